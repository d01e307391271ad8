-- Portal callbacks (门户回调): a portal that posted work orders (工单) hears of their later life —
-- 受理, 派单, 改派, 退单, 办结, 回访 — on its own endpoint, through the same delivery worker as the
-- partners' webhooks. A callback is a subscription owned by a portal instead of a partner; its
-- deliveries carry their own message (a partner's carry the public event of their event_id).
ALTER TABLE webhook_subscriptions ALTER COLUMN partner DROP NOT NULL;
ALTER TABLE webhook_subscriptions ADD COLUMN portal text UNIQUE;
ALTER TABLE webhook_subscriptions ADD COLUMN portal_label text;  -- as people call the portal
ALTER TABLE webhook_subscriptions ADD CONSTRAINT webhook_subscriptions_one_owner CHECK ((partner IS NULL) <> (portal IS NULL));
ALTER TABLE webhook_deliveries ADD COLUMN body jsonb;
CREATE SEQUENCE portal_message_seq;  -- a callback's sending order

-- the needs that came from a portal's work order (from NeedRaised.work_order: no personal data)
CREATE TABLE portal_work_orders (
    need_id     uuid        PRIMARY KEY,
    portal      text        NOT NULL,
    order_id    text        NOT NULL,
    routed      integer     NOT NULL DEFAULT 0,  -- NeedRouted seen: the first is 派单, each later one 改派
    stage       text        NOT NULL,            -- the latest stage told
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
