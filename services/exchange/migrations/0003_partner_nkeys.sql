-- A partner's NATS user is its nkey: the server keeps the public key (in the PARTNERS account's
-- users, written from this column), the partner keeps the seed, which the platform never stores.
ALTER TABLE partners ADD COLUMN nkey text;
