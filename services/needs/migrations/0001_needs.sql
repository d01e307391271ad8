-- The need library (需求库). Resident PII is stored only as AES-GCM ciphertext (key id inside).
CREATE TABLE needs (
    id                  uuid PRIMARY KEY,
    area_code           text        NOT NULL,
    category            text        NOT NULL,
    urgency             text        NOT NULL,
    channel             text        NOT NULL,
    status              text        NOT NULL DEFAULT 'raised',
    description         text        NOT NULL,
    required_skills     text[]      NOT NULL DEFAULT '{}',
    target_groups       text[]      NOT NULL DEFAULT '{}',
    window_start        timestamptz,
    window_end          timestamptz,
    resident_ref        text        NOT NULL,   -- pseudonymous id, the only resident id in events
    resident_name_enc   bytea       NOT NULL,
    resident_phone_enc  bytea       NOT NULL,
    resident_cid_enc    bytea       NOT NULL,
    raised_by           text        NOT NULL,
    raised_at           timestamptz NOT NULL,
    version             integer     NOT NULL DEFAULT 1
);
CREATE INDEX needs_area ON needs (area_code text_pattern_ops, raised_at DESC);
CREATE INDEX needs_resident ON needs (resident_ref);
