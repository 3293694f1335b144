-- Merchant integrations: webhook endpoints and their deliveries, portal sign-in links and
-- sessions, and the log of every change a merchant (or ops) made to its settings.

-- The signing secret is needed in clear to sign, so it cannot be hashed: it is kept
-- encrypted (AES-GCM, key from CANCELFLOW_WEBHOOKS__SECRETS_KEY) and shown once, at creation.
CREATE TABLE merchant_webhook_endpoints (
    endpoint_id      text PRIMARY KEY,
    merchant_id      text NOT NULL REFERENCES merchants (merchant_id) ON DELETE CASCADE,
    url              text NOT NULL CHECK (url ~ '^https?://'),
    secret_encrypted bytea NOT NULL,
    events           text[] NOT NULL CHECK (cardinality(events) >= 1),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz
);

CREATE INDEX merchant_webhook_endpoints_live ON merchant_webhook_endpoints (merchant_id)
    WHERE disabled_at IS NULL;

-- One row per (event, endpoint): a retried activity skips the endpoints that already took
-- the event, so each endpoint gets each event id once (after a 2xx).
CREATE TABLE webhook_deliveries (
    event_id        text NOT NULL,
    endpoint_id     text NOT NULL REFERENCES merchant_webhook_endpoints (endpoint_id)
                    ON DELETE CASCADE,
    merchant_id     text NOT NULL,
    event_type      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    first_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    PRIMARY KEY (event_id, endpoint_id),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);

-- Sign-in links for the merchant's settings page: only a SHA-256 of the token is kept,
-- a link works once and for a short time.
CREATE TABLE merchant_sign_in_links (
    token_hash  bytea PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (merchant_id) ON DELETE CASCADE,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- A signed-in browser: the cookie holds a random token, the row its hash.
CREATE TABLE merchant_portal_sessions (
    session_hash bytea PRIMARY KEY,
    merchant_id  text NOT NULL REFERENCES merchants (merchant_id) ON DELETE CASCADE,
    email        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz
);

-- Who changed what in a merchant's settings, and when. Never holds secrets.
CREATE TABLE merchant_changes (
    id          bigserial PRIMARY KEY,
    merchant_id text NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    what        text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX merchant_changes_by_merchant ON merchant_changes (merchant_id, changed_at);
