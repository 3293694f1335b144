-- Issue 20: a data key per case (crypto-shredding), the record of each erasure, and the hash
-- chain that proves the archive unaltered.

-- One AES-256 data key per case, wrapped (AES-GCM) by the codec key ring's key named in
-- wrapping_key_id. Erasing the case destroys the wrapped key and keeps the row as a tombstone,
-- so the key is never made again for that case.
CREATE TABLE case_keys (
    case_id         text PRIMARY KEY,
    wrapping_key_id text,
    wrapped_key     bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    erased_at       timestamptz,
    CHECK ((erased_at IS NULL) = (wrapped_key IS NOT NULL)),
    CHECK ((wrapping_key_id IS NULL) = (wrapped_key IS NULL))
);

-- One row per erased case: who, when, why, and what the case still shows (its timeline and
-- status with every personal value replaced). No personal data.
CREATE TABLE case_erasures (
    case_id     text PRIMARY KEY,
    erased_at   timestamptz NOT NULL,
    erased_by   text NOT NULL,
    reason      text NOT NULL,
    trigger     text NOT NULL CHECK (trigger IN ('request', 'retention')),
    withdrawn   boolean NOT NULL DEFAULT false,
    remains     jsonb NOT NULL,
    remains_sha256 bytea NOT NULL
);

-- Every archived run's bytes, hashed into a chain per case and one across the archive, in
-- the order the runs were archived. case_link = H(previous case_link, run identity, run hash);
-- archive_link = H(previous archive_link, case_link).
CREATE TABLE archive_chain (
    seq          bigint PRIMARY KEY,
    workflow_id  text NOT NULL,
    run_id       text NOT NULL,
    case_id      text NOT NULL,
    day          date NOT NULL,
    run_sha256   bytea NOT NULL,
    case_link    bytea NOT NULL,
    archive_link bytea NOT NULL,
    purged_at    timestamptz,
    UNIQUE (workflow_id, run_id)
);

CREATE INDEX archive_chain_case ON archive_chain (case_id, seq);

-- Each day's head (the archive link of its last run) chained to the previous day's.
CREATE TABLE archive_chain_days (
    day       date PRIMARY KEY,
    last_seq  bigint NOT NULL,
    runs      integer NOT NULL,
    day_link  bytea NOT NULL
);

-- Which archived runs are in the chain: all but those archived before this migration, which
-- the next archiving write chains first (in the order they were archived).
ALTER TABLE case_archive ADD COLUMN chained boolean NOT NULL DEFAULT false;
CREATE INDEX case_archive_unchained ON case_archive (archived_at) WHERE NOT chained;
