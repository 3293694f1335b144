-- A merchant's list of closed cases keeps the cases Temporal's retention deleted: the archive
-- holds each run's RequestedAt (as visibility had it) and is searched by merchant.
ALTER TABLE case_archive ADD COLUMN requested_at timestamptz;

CREATE INDEX case_archive_merchant ON case_archive (merchant_id, close_time);
