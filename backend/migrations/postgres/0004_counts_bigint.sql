-- Counters as 64-bit integers, as SQLite keeps every INTEGER: one Rust type (i64) reads
-- them on both backends, so the SQL and the code that decodes it are written once.
ALTER TABLE throttle ALTER COLUMN count TYPE BIGINT;
ALTER TABLE tokens ALTER COLUMN attempts TYPE BIGINT;
ALTER TABLE mail_queue ALTER COLUMN attempts TYPE BIGINT;
