-- The case archive: every closed run of every case, its history exactly as Temporal held it
-- (payloads still encrypted), kept for years after Temporal's retention deletes it.
-- One row per run; a retried archiving job writes nothing twice (primary key).
CREATE TABLE case_archive (
    workflow_id   text NOT NULL,
    run_id        text NOT NULL,
    case_id       text NOT NULL,
    merchant_id   text,
    round         integer,
    final_status  text,
    workflow_status text NOT NULL,
    start_time    timestamptz,
    close_time    timestamptz NOT NULL,
    history       bytea NOT NULL,
    event_count   integer NOT NULL,
    archived_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, run_id)
);

CREATE INDEX case_archive_case ON case_archive (case_id, close_time);
CREATE INDEX case_archive_close_time ON case_archive (close_time);

-- How far the archiving job has got: every run closed before close_time is archived.
CREATE TABLE case_archive_checkpoint (
    name        text PRIMARY KEY,
    close_time  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
