-- Decisions are found by search too: the questions put to a vote, and the
-- conclusion notices. Folded text (no diacritics) is written by the server.

ALTER TABLE polls ADD COLUMN question_folded text NOT NULL DEFAULT '';
CREATE INDEX polls_question_search_idx ON polls
    USING gin (to_tsvector('simple', question_folded));

ALTER TABLE conclusion_notices
    ADD COLUMN text_folded text NOT NULL DEFAULT '',
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text_folded)) STORED;
CREATE INDEX conclusion_notices_search_idx ON conclusion_notices USING gin (search);
