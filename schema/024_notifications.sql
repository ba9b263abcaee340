-- Notifications by e-mail and by an SMS/Zalo gateway (collab_server/notify/):
-- each person's channels, and a durable outbox the delivery worker drains.
-- A notification is queued in the same transaction as the change it tells
-- of, so it exists if and only if the change committed.

-- The accounts table has no e-mail or phone: they live here, with the
-- person's choices. No row: e-mail on, gateway off, no address yet (so
-- nothing is sent until the person or the admin enters one).
CREATE TABLE notification_settings (
    user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    email       text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone       text NOT NULL DEFAULT '' CHECK (length(phone) <= 20),
    by_email    boolean NOT NULL DEFAULT true,
    by_gateway  boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_outbox (
    id               bigserial PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('email', 'gateway')),
    -- What the message is about ("meeting.invitation", "opinion.reminder" ...).
    kind             text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    -- The caller's name for the event ("meeting:12:invitation:1"): the same
    -- event is queued once per person and channel, whoever asks again.
    key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    subject          text NOT NULL CHECK (length(subject) <= 300),
    body             text NOT NULL CHECK (length(body) <= 20000),
    link             text NOT NULL DEFAULT '' CHECK (length(link) <= 2000),
    ics              bytea CHECK (ics IS NULL OR length(ics) <= 200000),
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- A reminder waits until then.
    not_before       timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When the worker may take it next: after a failure, the back-off; while
    -- a worker holds it, the end of that worker's lease.
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The claim of the worker holding it: only that claim marks it sent.
    claim            uuid,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- The server's answer or the network error, never a password or a secret.
    last_error       text CHECK (length(last_error) <= 1000),
    -- Given up on (a permanent refusal, or too many attempts); "retry now" clears it.
    failed_at        timestamptz,
    sent_at          timestamptz,
    cancelled_at     timestamptz,
    UNIQUE (user_id, channel, key),
    CHECK (sent_at IS NULL OR cancelled_at IS NULL)
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL;
CREATE INDEX notification_outbox_key ON notification_outbox (key text_pattern_ops)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX notification_outbox_recent ON notification_outbox (created_at DESC);

-- What the invitees were last told of a meeting: its calendar entry's
-- SEQUENCE (RFC 5545: a change carries a higher one) and the time and place
-- they hold, so a change is told once, whoever saves it.
CREATE TABLE notification_meetings (
    meeting_id  bigint PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE,
    sequence    integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    room_id     bigint
);
