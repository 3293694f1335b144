-- Whether a stored reply came from one of the merchant's known contacts (an address in its
-- cancellation emails, or that address's domain). An unverified reply is kept and shown to ops
-- but does not stop the chase, since anyone can write to a reply address they have seen.
ALTER TABLE inbound_mail ADD COLUMN sender_verified boolean NOT NULL DEFAULT true;
