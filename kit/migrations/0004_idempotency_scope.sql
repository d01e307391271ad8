-- An Idempotency-Key belongs to the caller, the method and the path; the answer is kept whole
-- (status, content type, body) so that any write can be replayed, not only those with a model.
ALTER TABLE idempotency_keys
    ADD COLUMN scope        text NOT NULL DEFAULT '',
    ADD COLUMN status       smallint,
    ADD COLUMN content_type text;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (caller, scope, key);
