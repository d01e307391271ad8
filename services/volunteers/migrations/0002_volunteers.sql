-- People who serve: volunteers and social workers (real-name registration, 志愿者注册登记).
-- PII is AES-GCM ciphertext with its key id; events name people by volunteer_ref only.
CREATE TABLE volunteers (
    id                    uuid PRIMARY KEY,
    volunteer_ref         text        NOT NULL UNIQUE,   -- pseudonym of the citizen ID
    area_code             text        NOT NULL,          -- home community (12-digit): the time-bank bank
    name_enc              bytea       NOT NULL,
    citizen_id_enc        bytea       NOT NULL,
    phone_enc             bytea       NOT NULL,
    birth_date            date        NOT NULL,
    skills                text[]      NOT NULL DEFAULT '{}',
    service_areas         text[]      NOT NULL DEFAULT '{}',
    availability          jsonb       NOT NULL DEFAULT '[]',   -- [{"weekday": 0-6, "start": "09:00", "end": "12:00"}]
    party_member          boolean     NOT NULL DEFAULT false,
    sw_level              text,                                -- assistant | social_worker | senior
    sw_certificate_enc    bytea,
    guardian_consent      jsonb,                               -- minors 14–18: {guardian_name_enc…, given_at}
    registered_by         text        NOT NULL,
    registered_at         timestamptz NOT NULL
);
CREATE INDEX volunteers_area ON volunteers (area_code text_pattern_ops);
CREATE INDEX volunteers_skills ON volunteers USING gin (skills);

-- Community service facilities, volunteer service stations attached to them, and teams.
CREATE TABLE facilities (
    id          uuid PRIMARY KEY,
    area_code   text        NOT NULL,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE stations (
    id           uuid PRIMARY KEY,
    facility_id  uuid        NOT NULL UNIQUE REFERENCES facilities (id),
    name         text        NOT NULL,
    area_code    text        NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE TABLE teams (
    id             uuid PRIMARY KEY,
    name           text        NOT NULL,
    area_code      text        NOT NULL,
    station_id     uuid REFERENCES stations (id),
    supervisor_id  uuid REFERENCES volunteers (id),   -- a social worker leads the team (社工引领志愿者)
    created_at     timestamptz NOT NULL
);
CREATE TABLE team_members (
    team_id       uuid NOT NULL REFERENCES teams (id),
    volunteer_id  uuid NOT NULL REFERENCES volunteers (id),
    PRIMARY KEY (team_id, volunteer_id)
);
CREATE TABLE trainings (
    id          uuid PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES teams (id),
    course      text        NOT NULL,
    held_on     date        NOT NULL,
    attendees   uuid[]      NOT NULL DEFAULT '{}',
    recorded_by text        NOT NULL
);
CREATE TABLE supervisions (
    id             uuid PRIMARY KEY,
    team_id        uuid        NOT NULL REFERENCES teams (id),
    social_worker  uuid        NOT NULL REFERENCES volunteers (id),
    held_at        timestamptz NOT NULL,
    notes          text        NOT NULL DEFAULT ''
);

-- Tasks (from a need routed to volunteers, or by hand), invitations and hours.
CREATE TABLE tasks (
    id              uuid PRIMARY KEY,
    need_id         uuid UNIQUE,                -- one task per routed need
    area_code       text        NOT NULL,
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    required_skills text[]      NOT NULL DEFAULT '{}',
    slots           integer     NOT NULL DEFAULT 1 CHECK (slots > 0),
    window_start    timestamptz,
    window_end      timestamptz,
    place           text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'open',   -- open | filled | closed
    source          text        NOT NULL,                  -- need_routed | manual
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX tasks_open ON tasks (area_code text_pattern_ops) WHERE status = 'open';
CREATE TABLE assignments (
    task_id       uuid        NOT NULL REFERENCES tasks (id),
    volunteer_id  uuid        NOT NULL REFERENCES volunteers (id),
    status        text        NOT NULL,   -- invited | accepted | declined | no_show
    score         real,
    invited_by    text        NOT NULL,
    invited_at    timestamptz NOT NULL,
    responded_at  timestamptz,
    PRIMARY KEY (task_id, volunteer_id)
);
CREATE TABLE hour_logs (
    id            uuid PRIMARY KEY,
    task_id       uuid        NOT NULL REFERENCES tasks (id),
    volunteer_id  uuid        NOT NULL REFERENCES volunteers (id),
    area_code     text        NOT NULL,
    check_in      timestamptz NOT NULL,
    check_out     timestamptz,
    minutes       integer,
    provenance    text        NOT NULL,   -- self_check_in | organizer_entry | backfill
    status        text        NOT NULL DEFAULT 'open',   -- open | logged | verified | rejected
    flagged       boolean     NOT NULL DEFAULT false,     -- more than 12 h in a day
    verified_by   text,
    reason        text,
    created_at    timestamptz NOT NULL
);
CREATE INDEX hour_logs_volunteer ON hour_logs (volunteer_id, check_in);
-- residents' satisfaction with a volunteer's service, learnt from the needs service
CREATE TABLE satisfaction (
    need_id       uuid PRIMARY KEY,
    task_id       uuid        NOT NULL REFERENCES tasks (id),
    satisfaction  smallint    NOT NULL
);
