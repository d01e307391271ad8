-- The retention job prunes closed deliveries oldest first, and the office's health figures read a
-- window of recent ones: both by the time a delivery was queued (written once, at its insert).
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
