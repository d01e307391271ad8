-- Volunteer service record certificates (志愿服务记录证明, 民政部令第67号).
-- `snapshot` freezes what was certified at issue time (hours later verified or rejected do not
-- change it); `digest` is the SHA-256 of its canonical JSON, so an edited snapshot is detected.
-- The snapshot holds no plaintext PII: name and citizen ID are decrypted from volunteers on read.
CREATE TABLE certificates (
    id            uuid PRIMARY KEY,
    code          text        NOT NULL UNIQUE CHECK (code ~ '^[2-9A-HJKMNP-Z]{12}$'),  -- public verification code
    volunteer_id  uuid        NOT NULL REFERENCES volunteers (id),
    period_start  date        NOT NULL,
    period_end    date        NOT NULL,
    issued_by     text        NOT NULL,
    issued_at     timestamptz NOT NULL,
    snapshot      jsonb       NOT NULL,
    digest        text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    CHECK (period_end >= period_start)
);
CREATE INDEX certificates_volunteer ON certificates (volunteer_id, issued_at);
