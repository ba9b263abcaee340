-- Administration of a body in the browser: its units as a managed list and
-- saved groups of attendees a secretary adds to a meeting in one go.

-- A person's unit stays a text on `users` (the minutes print it as it was);
-- this list is what the admin screen offers, and a rename carries over.
CREATE TABLE body_units (
    id       bigserial PRIMARY KEY,
    body_id  bigint NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    name     text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200)
);
CREATE UNIQUE INDEX body_units_name_key ON body_units (body_id, lower(name));

-- A named list of people of one body ("Thường trực UBND", "Lãnh đạo các sở").
CREATE TABLE attendee_groups (
    id       bigserial PRIMARY KEY,
    body_id  bigint NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    name     text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200)
);
CREATE UNIQUE INDEX attendee_groups_name_key ON attendee_groups (body_id, lower(name));

CREATE TABLE attendee_group_members (
    group_id  bigint NOT NULL REFERENCES attendee_groups(id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
