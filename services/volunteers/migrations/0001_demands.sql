-- Needs waiting to be matched with volunteers, as learnt from NeedRaised (no resident PII).
CREATE TABLE demands (
    need_id          uuid PRIMARY KEY,
    area_code        text        NOT NULL,
    category         text        NOT NULL,
    urgency          text        NOT NULL,
    required_skills  text[]      NOT NULL DEFAULT '{}',
    window_start     timestamptz,
    window_end       timestamptz,
    status           text        NOT NULL DEFAULT 'awaiting_match',
    event_id         uuid        NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX demands_open ON demands (area_code text_pattern_ops, urgency) WHERE status = 'awaiting_match';
