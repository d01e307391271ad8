-- Partners (合作方): who may read public events, of which area and event types. Their NATS users
-- and the events API are both derived from these rows; a revoked partner keeps its row.
CREATE TABLE partners (
    name        text        PRIMARY KEY,  -- the NATS user, the durable-name prefix, the token's sub
    label       text        NOT NULL,     -- as people call it, e.g. 石家庄市12345热线
    area_code   text        NOT NULL,
    events      text[]      NOT NULL,     -- patterns <domain>.<event>, either may be *
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- The highest seq the retention job has pruned: a cursor at or below it is gone (410).
CREATE TABLE public_events_horizon (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pruned_through bigint  NOT NULL
);
INSERT INTO public_events_horizon (pruned_through) VALUES (0);
