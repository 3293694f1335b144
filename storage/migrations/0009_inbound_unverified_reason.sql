-- Why a stored reply is unverified, in words for ops (`cancelflow cases show`): its From is none
-- of the merchant's contacts, or (with DKIM sender authentication) it carries no valid DKIM
-- signature of the From address's domain, or the key lookup failed. NULL for a verified reply.
ALTER TABLE inbound_mail ADD COLUMN unverified_reason text;
-- Replies stored unverified before this column existed were all from unknown senders.
UPDATE inbound_mail SET unverified_reason = 'not from one of the merchant''s contacts'
WHERE NOT sender_verified;
