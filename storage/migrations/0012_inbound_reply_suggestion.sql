-- What the reply reader (domain/replies, #19) made of each stored reply: a suggested answer
-- with its confidence and evidence, or the reason there is none. NULL for replies stored
-- before the reader existed (`cancelflow triage` reads those on demand).
ALTER TABLE inbound_mail ADD COLUMN suggestion jsonb;
