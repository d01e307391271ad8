-- One-time check-in codes (shown as a QR code at the place of service): a check-in that
-- presents one proves the volunteer was there. Only a hash of the code is stored.
CREATE TABLE checkin_codes (
    code_hash   text PRIMARY KEY,
    task_id     uuid        NOT NULL REFERENCES tasks (id),
    expires_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    used_by     uuid REFERENCES volunteers (id),
    used_at     timestamptz
);
ALTER TABLE hour_logs ADD COLUMN code_checked boolean NOT NULL DEFAULT false;
