-- How often each event failed in its consumer's handler. Not NATS's delivery count: a consumer
-- killed or paused mid-batch gets its events again without their having failed, and that must not
-- bring an event closer to DLQ. Pruned with the inbox (kit.retention).
CREATE TABLE event_failures (
    consumer       text        NOT NULL,
    event_id       uuid        NOT NULL,
    failures       integer     NOT NULL,
    last_failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX event_failures_last_failed_at ON event_failures (last_failed_at);
