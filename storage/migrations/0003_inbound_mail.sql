-- Reply-by-email addresses: reply+<token>@<reply domain> names a case by its opaque case key.
-- A row is written when a merchant email offering that address is sent.
CREATE TABLE reply_addresses (
    case_key    text PRIMARY KEY,
    case_id     text NOT NULL UNIQUE,
    merchant_id text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Merchant replies received by the mail gateway, stored raw before SMTP says 250, so nothing
-- accepted is lost. One row per (case, Message-ID): a resent message is stored once.
-- signal_status tracks telling the case's workflow; 'pending' rows are retried.
CREATE TABLE inbound_mail (
    id                bigserial PRIMARY KEY,
    case_id           text NOT NULL,
    message_id        text NOT NULL,
    sender            text NOT NULL,
    subject           text NOT NULL,
    raw               bytea NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    signal_status     text NOT NULL DEFAULT 'pending'
                      CHECK (signal_status IN ('pending', 'delivered', 'case_closed')),
    signal_attempts   integer NOT NULL DEFAULT 0,
    last_signal_error text,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    signalled_at      timestamptz,
    UNIQUE (case_id, message_id)
);

CREATE INDEX inbound_mail_pending ON inbound_mail (next_attempt_at)
    WHERE signal_status = 'pending';
