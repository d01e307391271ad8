-- Portal work orders (工单) received, one row per portal and order number: the key that makes a
-- work order posted twice (or concurrently) raise one need. `event_id` is the CloudEvent's id.
CREATE TABLE work_orders (
    portal       text        NOT NULL,
    order_id     text        NOT NULL,
    need_id      uuid        NOT NULL,
    event_id     text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal, order_id)
);
CREATE UNIQUE INDEX work_orders_need ON work_orders (need_id);
