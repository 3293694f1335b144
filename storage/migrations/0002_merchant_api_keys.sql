-- Per-merchant API keys for merchant integrations. Only a SHA-256 of the secret is kept:
-- the secret is shown once when the key is created and cannot be recovered from here.
CREATE TABLE merchant_api_keys (
    key_id       text PRIMARY KEY,
    merchant_id  text NOT NULL REFERENCES merchants (merchant_id) ON DELETE CASCADE,
    secret_hash  bytea NOT NULL,
    label        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE INDEX merchant_api_keys_by_merchant ON merchant_api_keys (merchant_id);
