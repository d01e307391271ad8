-- Outbound webhooks (Standard Webhooks): a partner's subscriptions and one delivery row per public
-- event per matching subscription. (0003 belongs to partners' NATS credentials; migrations apply by
-- file name, each once, so either may be applied first.)
CREATE TABLE webhook_subscriptions (
    id                     uuid        PRIMARY KEY,
    partner                text        NOT NULL REFERENCES partners (name),
    url                    text        NOT NULL,
    types                  text[]      NOT NULL,  -- CloudEvents types of the public events it takes
    area_code              text        NOT NULL,  -- inside the partner's area
    area_prefix            text        NOT NULL,  -- contracts.areas.code_prefix(area_code)
    rate_limit_per_s       real        NOT NULL,
    secret                 bytea       NOT NULL,  -- whsec_…, encrypted (AES-256-GCM, the exchange's webhook key)
    previous_secret        bytea,                 -- still signing until previous_secret_until (rotation)
    previous_secret_until  timestamptz,
    enabled                boolean     NOT NULL DEFAULT true,
    disabled_reason        text,
    disabled_at            timestamptz,
    last_success_at        timestamptz,
    failing_since          timestamptz,           -- first failure since the last success
    lease_owner            uuid,                  -- the delivery worker sending to it now …
    leased_until           timestamptz,           -- … until then (a killed worker's lease runs out)
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_partner ON webhook_subscriptions (partner);

CREATE TABLE webhook_deliveries (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id  uuid        NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         uuid        NOT NULL,   -- the public event (public_events.event_id), the webhook-id
    seq              bigint      NOT NULL,   -- its public_events.seq: a subscription's sending order
    type             text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,  -- every attempt
    failures         integer     NOT NULL DEFAULT 0,  -- failed attempts since it was (re)queued: the back-off step
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status      integer,
    last_latency_ms  integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, event_id)
);
-- a subscription's head of line: its open delivery with the lowest seq
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (subscription_id, seq) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, seq);
