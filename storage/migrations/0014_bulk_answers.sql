-- Answers in bulk (issue 21): a batch (an API call, an upload or a portal selection) and its
-- rows. Each row ends recorded, already recorded or refused, exactly once (result is set
-- only while NULL); a batch is complete when every row has a result. The merchant's answer
-- fields are kept to replay the row after a crash; no customer identifier is stored here.
CREATE TABLE bulk_answer_batches (
    batch_id        text PRIMARY KEY,
    merchant_id     text NOT NULL,
    source          text NOT NULL CHECK (source IN ('api', 'upload', 'portal')),
    idempotency_key text,
    request_digest  text NOT NULL,
    answered_at     timestamptz NOT NULL,
    timezone        text NOT NULL,
    channel         text NOT NULL,
    responded_by    text NOT NULL,
    total           integer NOT NULL CHECK (total >= 0),
    blank_rows      integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    UNIQUE (merchant_id, idempotency_key)
);
CREATE INDEX bulk_answer_batches_digest ON bulk_answer_batches (merchant_id, request_digest);

CREATE TABLE bulk_answer_items (
    batch_id    text NOT NULL REFERENCES bulk_answer_batches ON DELETE CASCADE,
    position    integer NOT NULL,
    row_number  integer,
    case_id     text NOT NULL,
    answer      jsonb,
    result      text CHECK (result IN ('recorded', 'already_recorded', 'refused')),
    problem     jsonb,
    finished_at timestamptz,
    PRIMARY KEY (batch_id, position)
);
CREATE INDEX bulk_answer_items_pending ON bulk_answer_items (batch_id, position)
    WHERE result IS NULL;
