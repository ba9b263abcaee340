-- A rehearsal before a big session (`phonghop rehearsal`): a throwaway body
-- with test accounts and a copy of a meeting, on the real servers. Marked, so
-- that removing it can never touch a real body.
ALTER TABLE bodies ADD COLUMN rehearsal boolean NOT NULL DEFAULT false;
