-- A single record longer than the limit (WUSHE_VOLUNTEERS_MAX_LOG_MINUTES) is kept but approved
-- only with the verifier's explicit override; its reason is kept in `reason`.
ALTER TABLE hour_logs ADD COLUMN needs_override boolean NOT NULL DEFAULT false;
-- the verifiers' queue: records of an area by status, newest first
CREATE INDEX hour_logs_queue ON hour_logs (status, area_code text_pattern_ops, check_in DESC);
CREATE INDEX volunteers_registered ON volunteers (registered_at DESC, id);
