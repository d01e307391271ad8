-- The need's life after intake: assessment and route, SLA, matching, resolution, feedback.
ALTER TABLE needs
    ADD COLUMN first_response_due timestamptz,
    ADD COLUMN first_response_at  timestamptz,
    ADD COLUMN escalated_at       timestamptz,
    ADD COLUMN route              text,
    ADD COLUMN service_plan       text,
    ADD COLUMN assessed_by        text,
    ADD COLUMN matched_at         timestamptz,
    ADD COLUMN resolved_at        timestamptz,
    ADD COLUMN revisit_due        date,
    ADD COLUMN satisfaction       smallint,
    ADD COLUMN resident_id        uuid;
UPDATE needs SET first_response_due = raised_at + interval '7 days' WHERE first_response_due IS NULL;
ALTER TABLE needs ALTER COLUMN first_response_due SET NOT NULL;
CREATE INDEX needs_sla ON needs (first_response_due) WHERE status = 'raised' AND escalated_at IS NULL;
CREATE INDEX needs_revisit ON needs (revisit_due) WHERE revisit_due IS NOT NULL;

-- What each actor did for a need, in order: the need's own steps and the other services' events.
CREATE TABLE need_timeline (
    id         bigserial PRIMARY KEY,
    need_id    uuid        NOT NULL REFERENCES needs (id),
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,   -- community | volunteers | projects | charity | party
    kind       text        NOT NULL,   -- e.g. need_raised, task_accepted, hours_verified
    detail     jsonb       NOT NULL DEFAULT '{}',
    event_id   uuid UNIQUE
);
CREATE INDEX need_timeline_need ON need_timeline (need_id, at);

-- Residents (the households a community serves). PII is AES-GCM ciphertext with its key id.
CREATE TABLE residents (
    id                uuid PRIMARY KEY,
    area_code         text        NOT NULL,   -- 12-digit community code of the address
    resident_ref      text        NOT NULL UNIQUE,
    name_enc          bytea       NOT NULL,
    citizen_id_enc    bytea       NOT NULL,
    phone_enc         bytea       NOT NULL,
    address_enc       bytea,
    birth_date        date        NOT NULL,   -- from the ID number: decides who is a minor
    tags              text[]      NOT NULL DEFAULT '{}',
    disability_grade  smallint,
    guardian_id       uuid REFERENCES residents (id),
    registered_by     text        NOT NULL,
    registered_at     timestamptz NOT NULL,
    last_visited_at   timestamptz
);
CREATE INDEX residents_area ON residents (area_code text_pattern_ops);
CREATE INDEX residents_tags ON residents USING gin (tags);

-- PIPL separate consent: purpose, date, and who gave it (the guardian for a minor).
CREATE TABLE consents (
    id           uuid PRIMARY KEY,
    resident_id  uuid        NOT NULL REFERENCES residents (id),
    purpose      text        NOT NULL,
    given_by     text        NOT NULL,   -- 'self' or 'guardian:<resident id>'
    given_at     timestamptz NOT NULL,
    recorded_by  text        NOT NULL,
    withdrawn_at timestamptz
);
CREATE INDEX consents_resident ON consents (resident_id);

-- Needs surveys (需求调研): a campaign over an area, and the household visits recorded in it.
CREATE TABLE surveys (
    id          uuid PRIMARY KEY,
    area_code   text        NOT NULL,
    title       text        NOT NULL,
    starts_on   date        NOT NULL,
    ends_on     date        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE visits (
    id           uuid PRIMARY KEY,
    survey_id    uuid REFERENCES surveys (id),
    resident_id  uuid        NOT NULL REFERENCES residents (id),
    area_code    text        NOT NULL,
    visited_by   text        NOT NULL,
    visited_at   timestamptz NOT NULL,
    notes        text        NOT NULL DEFAULT '',
    need_ids     uuid[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX visits_survey ON visits (survey_id);

-- Revisits (回访) after resolution.
CREATE TABLE revisits (
    id          uuid PRIMARY KEY,
    need_id     uuid        NOT NULL REFERENCES needs (id),
    visited_by  text        NOT NULL,
    visited_at  timestamptz NOT NULL,
    notes       text        NOT NULL DEFAULT ''
);

-- Mediation (调处) of a dispute about a need.
CREATE TABLE mediations (
    id           uuid PRIMARY KEY,
    need_id      uuid        NOT NULL REFERENCES needs (id),
    area_code    text        NOT NULL,
    status       text        NOT NULL,   -- open | settled | escalated
    reason       text        NOT NULL,
    opened_by    text        NOT NULL,
    opened_at    timestamptz NOT NULL,
    outcome      text,
    closed_at    timestamptz
);
