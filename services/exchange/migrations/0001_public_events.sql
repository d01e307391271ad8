-- Every public event the exchange published, in the order partners page them (/api/v1/events).
-- `seq` is assigned under one transaction-level lock (store.add_public_events), so a row with a
-- lower seq is never committed after one with a higher seq: a cursor never skips a late commit.
CREATE TABLE public_events (
    seq          bigserial   PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    type         text        NOT NULL,
    area_code    text        NOT NULL,
    subject      text        NOT NULL,  -- the NATS subject on the PUBLIC stream
    occurred_at  timestamptz NOT NULL,
    envelope     jsonb       NOT NULL
);
CREATE INDEX public_events_occurred ON public_events (occurred_at);
