-- The processed profile picture: where its bytes are kept (a key in the blob store, not
-- a path) and a digest of them, which is both the HTTP ETag and the cache-busting part of
-- the picture URL. NULL when the account has no picture.
ALTER TABLE users ADD COLUMN picture_key TEXT;
ALTER TABLE users ADD COLUMN picture_etag TEXT;
