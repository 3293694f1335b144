-- A webhook event whose delivery gave up after its retry window: ops are emailed at once and
-- the daily digest lists it. One row per event; the delivery record per endpoint stays in
-- webhook_deliveries. Holds ids, times and our own error text, never customer identifiers.
CREATE TABLE webhook_failures (
    event_id    text PRIMARY KEY,
    merchant_id text NOT NULL,
    event_type  text NOT NULL,
    case_id     text NOT NULL,
    started_at  timestamptz NOT NULL,
    gave_up_at  timestamptz NOT NULL,
    last_error  text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_failures_by_time ON webhook_failures (gave_up_at);

-- Sign-in links are rate-limited per merchant and per contact address by counting the
-- links issued in the last hour; this index keeps that count cheap.
CREATE INDEX merchant_sign_in_links_recent ON merchant_sign_in_links (merchant_id, created_at);
