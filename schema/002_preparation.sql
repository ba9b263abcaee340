-- Preparing a meeting: people, rooms, lifecycle, agenda, invitations,
-- documents stored content-addressed, page text for search, holidays.

ALTER TABLE bodies
    ADD COLUMN allow_secret_distribution boolean NOT NULL DEFAULT false;

-- May create meetings of their body (a body's secretariat).
ALTER TABLE users ADD COLUMN can_prepare boolean NOT NULL DEFAULT false;

ALTER TABLE meetings
    ADD COLUMN confidentiality text NOT NULL DEFAULT 'internal'
        CHECK (confidentiality IN ('public', 'internal', 'confidential')),
    ADD COLUMN created_by bigint REFERENCES users(id),
    ADD COLUMN title_folded text NOT NULL DEFAULT '',
    ADD CONSTRAINT meetings_kind_check CHECK (kind IN (
        'regular', 'thematic', 'extraordinary', 'briefing', 'review', 'consultation', 'other'));

CREATE TABLE meeting_transitions (
    id          bigserial PRIMARY KEY,
    meeting_id  bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    actor_id    bigint REFERENCES users(id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

ALTER TABLE agenda_items
    ADD COLUMN presenter_user_id bigint REFERENCES users(id),
    ADD COLUMN title_folded text NOT NULL DEFAULT '';

ALTER TABLE meeting_participants
    ADD COLUMN invited_at      timestamptz,
    ADD COLUMN response        text NOT NULL DEFAULT 'pending'
        CHECK (response IN ('pending', 'attend', 'absent', 'deputy')),
    ADD COLUMN response_reason text NOT NULL DEFAULT '',
    ADD COLUMN responded_at    timestamptz,
    ADD COLUMN deputy_user_id  bigint REFERENCES users(id),
    ADD COLUMN deputy_status   text CHECK (deputy_status IN ('pending', 'approved', 'rejected')),
    -- A deputy, once approved, takes part in the place of this member.
    ADD COLUMN stands_in_for   bigint REFERENCES users(id);

-- File contents by SHA-256, in chunks so no row holds a whole 100 MB file.
CREATE TABLE files (
    sha256      bytea PRIMARY KEY,
    size        bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE file_chunks (
    sha256  bytea NOT NULL REFERENCES files(sha256) ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);

ALTER TABLE documents
    ADD COLUMN pdf_sha256      bytea REFERENCES files(sha256),
    ADD COLUMN original_sha256 bytea REFERENCES files(sha256),
    ADD COLUMN original_name   text NOT NULL DEFAULT '',
    ADD COLUMN original_type   text NOT NULL DEFAULT '',
    ADD COLUMN confidentiality text NOT NULL DEFAULT 'internal'
        CHECK (confidentiality IN ('public', 'internal', 'confidential')),
    ADD COLUMN secrecy         text NOT NULL DEFAULT 'none'
        CHECK (secrecy IN ('none', 'mat', 'toi_mat', 'tuyet_mat')),
    ADD COLUMN allow_download  boolean NOT NULL DEFAULT false,
    ADD COLUMN agenda_item_id  bigint REFERENCES agenda_items(id) ON DELETE SET NULL,
    ADD COLUMN uploaded_by     bigint REFERENCES users(id),
    ADD COLUMN published_at    timestamptz,
    ADD COLUMN title_folded    text NOT NULL DEFAULT '';

CREATE TABLE document_pages (
    document_id  bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page_no      integer NOT NULL,
    width_pt     real NOT NULL,
    height_pt    real NOT NULL,
    text         text NOT NULL DEFAULT '',
    text_folded  text NOT NULL DEFAULT '',
    search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', text_folded)) STORED,
    PRIMARY KEY (document_id, page_no)
);
CREATE INDEX document_pages_search_idx ON document_pages USING gin (search);

-- Who opened which document: the secretary's view. Every page view of a
-- non-public document is also in the audit log.
CREATE TABLE document_opens (
    document_id  bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users(id),
    first_at     timestamptz NOT NULL DEFAULT now(),
    last_at      timestamptz NOT NULL DEFAULT now(),
    page_views   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (document_id, user_id)
);

CREATE INDEX meetings_title_search_idx ON meetings
    USING gin (to_tsvector('simple', title_folded));
CREATE INDEX agenda_items_title_search_idx ON agenda_items
    USING gin (to_tsvector('simple', title_folded));

-- Days off besides weekends. body_id NULL: national holidays for every body.
CREATE TABLE holidays (
    day      date NOT NULL,
    body_id  bigint REFERENCES bodies(id) ON DELETE CASCADE,
    name     text NOT NULL,
    UNIQUE NULLS NOT DISTINCT (day, body_id)
);

-- Public holidays of 2026 (Labour Code 2019, art. 112; the Tết and Hùng Kings
-- days as announced for 2026) and the fixed-date ones of 2027. The lunar
-- holidays of later years are announced each year: admins add them through
-- the API (POST /api/holidays).
INSERT INTO holidays (day, name) VALUES
    ('2026-01-01', 'Tết Dương lịch'),
    ('2026-02-16', 'Tết Nguyên đán'), ('2026-02-17', 'Tết Nguyên đán'),
    ('2026-02-18', 'Tết Nguyên đán'), ('2026-02-19', 'Tết Nguyên đán'),
    ('2026-02-20', 'Tết Nguyên đán'),
    ('2026-04-27', 'Nghỉ bù Giỗ Tổ Hùng Vương'),
    ('2026-04-30', 'Ngày Chiến thắng'), ('2026-05-01', 'Quốc tế Lao động'),
    ('2026-09-01', 'Quốc khánh'), ('2026-09-02', 'Quốc khánh'),
    ('2027-01-01', 'Tết Dương lịch'),
    ('2027-04-30', 'Ngày Chiến thắng'),
    ('2027-09-02', 'Quốc khánh');
