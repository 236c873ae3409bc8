-- A file copy decrypted while it arrived: the name of its folder under
-- spool/plain/ ('' when the inbox keeps the ciphertext). Inbox accept
-- then links its files into place instead of decrypting and copying.
ALTER TABLE spool_inbox ADD COLUMN staged TEXT NOT NULL DEFAULT '';
