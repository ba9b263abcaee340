-- Secret ballots sealed in the voter's own row (storage/sealing.py).
--
-- Before, a secret cast wrote its choice row (poll_secret_choices) in the
-- voter's transaction: until VACUUM, the dead rows left by the reshuffle at
-- close kept the voter's transaction id (xmin) and the primary-key index the
-- order of casting, so joining on system columns linked every voter to a
-- choice. Now the choice never reaches the database in the voter's
-- transaction, not even as a query parameter: the ballot row carries it
-- sealed with AES-GCM under a key of the poll derived from a key kept outside
-- the database (the keys folder), bound to the poll, the member and who cast
-- it. At close the server opens every sealed value, refuses to count if one
-- does not open or if choice rows are already there, writes all choices in
-- one batch ordered by choice (an order that says nothing but the counts),
-- and erases the sealed values, all in the closing transaction. Dead tuples
-- of poll_ballots then hold only sealed values an operator cannot open; the
-- choice table has never held a row of the poll before the close.

ALTER TABLE poll_ballots ADD COLUMN sealed bytea
    CHECK (octet_length(sealed) = 39);  -- nonce 12, choice 1, receipt 10, tag 16

-- Every secret ballot is sealed, with no flag an operator could turn off to
-- make plain rows count. A secret poll left open across this upgrade holds
-- ballots stored in the open: its close is refused (`tally_refused`), and the
-- chair cancels it and puts the question again (docs/operations.md).

-- Receipts let a voter check their ballot after the close, and so let them
-- prove it to someone else (docs/security.md): the body may turn them off for
-- a poll. On by default, as before.
ALTER TABLE polls ADD COLUMN receipts boolean NOT NULL DEFAULT true;
