-- Written opinions (phiếu lấy ý kiến): a body's office asks named members to
-- answer questions on a draft by a deadline, without a meeting, and issues a
-- summary of the answers for the chair (docs/opinions.md).

CREATE TABLE opinion_requests (
    id              bigserial PRIMARY KEY,
    body_id         bigint NOT NULL REFERENCES bodies(id),
    title           text NOT NULL,
    title_folded    text NOT NULL DEFAULT '',
    -- What the office asks and why, shown above the questions.
    description     text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'open', 'issued')),
    confidentiality text NOT NULL DEFAULT 'internal'
                    CHECK (confidentiality IN ('public', 'internal', 'confidential')),
    -- Who receives the summary and decides (the body's chair); sees the answers.
    chair_id        bigint REFERENCES users(id),
    created_by      bigint NOT NULL REFERENCES users(id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Set when the request goes out: the deadline counted in working days.
    sent_at         timestamptz,
    working_days    integer CHECK (working_days BETWEEN 1 AND 30),
    deadline_day    date,
    -- Answers are taken until this moment (the end of deadline_day, Vietnam's time).
    closes_at       timestamptz,
    -- The summary: drafted from the answers, edited by the office, then issued.
    summary_text    text NOT NULL DEFAULT '',
    summary_number  text NOT NULL DEFAULT '',
    summary_layout  jsonb,
    summary_sha256  bytea,
    summary_pdf     bytea REFERENCES files(sha256),
    summary_folded  text NOT NULL DEFAULT '',
    issued_by       bigint REFERENCES users(id),
    issued_at       timestamptz,
    CHECK ((status = 'draft') = (sent_at IS NULL)),
    CHECK ((status = 'issued') = (issued_at IS NOT NULL AND summary_pdf IS NOT NULL))
);
CREATE INDEX opinion_requests_body_idx ON opinion_requests (body_id, id);
CREATE INDEX opinion_requests_search_idx ON opinion_requests
    USING gin (to_tsvector('simple', title_folded || ' ' || summary_folded));

CREATE TABLE opinion_questions (
    id          bigserial PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES opinion_requests(id) ON DELETE CASCADE,
    position    integer NOT NULL,
    text        text NOT NULL,
    text_folded text NOT NULL DEFAULT '',
    UNIQUE (request_id, position)
);

-- The members asked.
CREATE TABLE opinion_members (
    request_id  bigint NOT NULL REFERENCES opinion_requests(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id),
    PRIMARY KEY (request_id, user_id)
);

-- One answer per member and question (a unique key, not a check in Python);
-- changing it replaces the row until the deadline, and `changes` counts how often.
CREATE TABLE opinion_answers (
    question_id  bigint NOT NULL REFERENCES opinion_questions(id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users(id),
    choice       text NOT NULL CHECK (choice IN ('agree', 'disagree', 'other')),
    comment      text NOT NULL DEFAULT '',
    answered_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    changes      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (question_id, user_id),
    -- "Other opinion" says what it is.
    CHECK (choice <> 'other' OR length(btrim(comment)) > 0)
);

-- The draft and its papers: stored like a meeting's documents (content-addressed
-- files, page text), read as watermarked page images.
CREATE TABLE opinion_documents (
    id               bigserial PRIMARY KEY,
    request_id       bigint NOT NULL REFERENCES opinion_requests(id) ON DELETE CASCADE,
    title            text NOT NULL,
    page_count       integer NOT NULL CHECK (page_count >= 0),
    pdf_sha256       bytea NOT NULL REFERENCES files(sha256),
    original_sha256  bytea NOT NULL REFERENCES files(sha256),
    original_name    text NOT NULL DEFAULT '',
    original_type    text NOT NULL DEFAULT '',
    confidentiality  text NOT NULL DEFAULT 'internal'
                     CHECK (confidentiality IN ('public', 'internal', 'confidential')),
    uploaded_by      bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opinion_documents_request_idx ON opinion_documents (request_id, id);

CREATE TABLE opinion_document_pages (
    document_id  bigint NOT NULL REFERENCES opinion_documents(id) ON DELETE CASCADE,
    page_no      integer NOT NULL,
    width_pt     real NOT NULL,
    height_pt    real NOT NULL,
    text         text NOT NULL DEFAULT '',
    PRIMARY KEY (document_id, page_no)
);
