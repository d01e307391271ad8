-- A row the relay cannot publish (no stream takes its subject, too large …) is retried with
-- back-off and, after the last attempt, parked: the relay never stalls behind it, and an operator
-- sees it in `wushe outbox list` and re-queues it with `wushe outbox retry`.
ALTER TABLE outbox
    ADD COLUMN attempts   integer     NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN retry_at   timestamptz,
    ADD COLUMN parked_at  timestamptz;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked ON outbox (id) WHERE parked_at IS NOT NULL;

-- What the retention job prunes, oldest first, in small batches.
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX inbox_processed_at ON inbox (processed_at);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
