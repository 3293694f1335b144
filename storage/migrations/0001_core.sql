-- The merchant directory: the whole Merchant model as jsonb, display_name for listings.
CREATE TABLE merchants (
    merchant_id  text PRIMARY KEY,
    merchant     jsonb NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT merchants_id_matches_document CHECK (merchant ->> 'merchant_id' = merchant_id)
);

-- One row per email a case sends, keyed like its Message-ID, claimed before the SMTP
-- transaction and marked sent after it: a retried activity finds 'sent' and does not resend.
CREATE TABLE email_outbox (
    case_id    text NOT NULL,
    round      integer NOT NULL CHECK (round >= 1),
    kind       text NOT NULL,
    message_id text NOT NULL UNIQUE,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    status     text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent')),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    PRIMARY KEY (case_id, round, kind),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
