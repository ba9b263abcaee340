-- Voting (biểu quyết): polls, ballots, secret choices and proxies (ủy quyền).
--
-- A ballot is a row committed before the voter gets an answer; one per member
-- counted, by the primary key of poll_ballots, not by a check in Python.
-- A secret poll keeps who voted (poll_ballots, choice NULL) apart from what
-- was chosen (poll_secret_choices): the two tables share no id, the choice
-- table has no sequence and no time, and closing the poll rewrites its choice
-- rows in random order, so neither physical order nor the inserting
-- transaction follows the order of casting.

CREATE TABLE polls (
    id            bigserial PRIMARY KEY,
    meeting_id    bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    item_id       bigint REFERENCES agenda_items(id) ON DELETE SET NULL,
    question      text NOT NULL,
    options       text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 10),
    kind          text NOT NULL CHECK (kind IN ('named', 'secret')),
    -- present_majority: more than half of the members present; members_majority:
    -- more than half of all members; two_thirds_members: at least two thirds of them.
    rule          text NOT NULL
                  CHECK (rule IN ('present_majority', 'members_majority', 'two_thirds_members')),
    allow_change  boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    opened_by     bigint NOT NULL REFERENCES users(id),
    opened_at     timestamptz NOT NULL,
    closed_by     bigint REFERENCES users(id),
    closed_at     timestamptz,
    -- At close: {counts, cast, passed, quorum_met, members, present, eligible, needed}.
    result        jsonb
);
CREATE INDEX polls_meeting_idx ON polls (meeting_id, id);
-- One open poll per meeting at a time.
CREATE UNIQUE INDEX polls_one_open_idx ON polls (meeting_id) WHERE status = 'open';

-- Who has voted, one row per member counted (a deputy's or a proxy's ballot
-- counts for the member, so the member is the key, not whoever clicked).
CREATE TABLE poll_ballots (
    poll_id    bigint NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    member_id  bigint NOT NULL REFERENCES users(id),
    cast_by    bigint NOT NULL REFERENCES users(id),
    cast_at    timestamptz NOT NULL,
    -- Index into polls.options; always NULL in a secret poll.
    choice     smallint CHECK (choice >= 0),
    CONSTRAINT poll_ballots_one_per_member PRIMARY KEY (poll_id, member_id)
);

-- What was chosen in a secret poll, and nothing about who or when. The key is
-- the voter's receipt, a random code only the voter was given.
CREATE TABLE poll_secret_choices (
    poll_id  bigint NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    receipt  text NOT NULL CHECK (receipt ~ '^[0-9A-Z]{10}$'),
    choice   smallint NOT NULL CHECK (choice >= 0),
    PRIMARY KEY (poll_id, receipt)
);

-- A member hands their vote to another member for the session.
CREATE TABLE proxies (
    meeting_id    bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id     bigint NOT NULL REFERENCES users(id),
    proxy_id      bigint NOT NULL REFERENCES users(id),
    status        text NOT NULL
                  CHECK (status IN ('requested', 'approved', 'rejected', 'withdrawn')),
    requested_at  timestamptz NOT NULL,
    decided_by    bigint REFERENCES users(id),
    decided_at    timestamptz,
    PRIMARY KEY (meeting_id, member_id),
    CHECK (proxy_id <> member_id)
);
