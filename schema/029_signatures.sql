-- The signatures an uploaded PDF carried, as read when it was uploaded
-- (documents/pades.py): NULL for a document without any. A signed PDF is
-- downloaded as its original bytes, so the signatures still verify.
ALTER TABLE documents ADD COLUMN signatures jsonb;
ALTER TABLE documents ADD COLUMN signatures_checked_at timestamptz;
-- Served as uploaded: a signed PDF with nothing active in it (no scripts,
-- attachments or launch actions). Any other PDF leaves as its cleaned copy.
ALTER TABLE documents ADD COLUMN serve_original boolean NOT NULL DEFAULT false;
