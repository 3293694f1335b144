-- The merchants' lists of open cases (issue 21): a read model of the case workflows' search
-- attributes, kept by workers/case_list_sync.py, so a merchant's list is an indexed read here
-- rather than a Temporal visibility query per page. A row exists while its case is open and
-- leaves when it closes; it holds no customer data (the ids, the status, three instants).
CREATE TABLE case_list (
    case_id      text PRIMARY KEY,
    workflow_id  text NOT NULL,
    merchant_id  text NOT NULL REFERENCES merchants ON DELETE CASCADE,
    status       text NOT NULL,
    round        integer NOT NULL,
    escalated    boolean NOT NULL,
    requested_at timestamptz NOT NULL,
    started_at   timestamptz NOT NULL,
    changed_at   timestamptz
);
CREATE INDEX case_list_by_merchant ON case_list (merchant_id, status, started_at DESC);

-- How far the sync has read: one row.
CREATE TABLE case_list_sync (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    read_to  timestamptz NOT NULL,
    full_at  timestamptz NOT NULL
);
