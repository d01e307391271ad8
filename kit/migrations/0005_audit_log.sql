-- The service's audit trail, written in the same transaction as the audit events it sends to
-- AUDIT (who read or changed what, when, why): what an auditor queries and exports.
CREATE TABLE audit_log (
    id         uuid        PRIMARY KEY,  -- the audit event's id, as on the AUDIT stream
    at         timestamptz NOT NULL,
    area_code  text        NOT NULL,
    service    text        NOT NULL,
    action     text        NOT NULL,     -- the event's name, e.g. personal_data_read
    actor      text        NOT NULL,
    actor_role text        NOT NULL DEFAULT '',
    record     text        NOT NULL,
    purpose    text        NOT NULL DEFAULT '',
    fields     text[]      NOT NULL DEFAULT '{}',
    detail     jsonb       NOT NULL
);
CREATE INDEX audit_log_area_at ON audit_log (area_code text_pattern_ops, at DESC, id DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
