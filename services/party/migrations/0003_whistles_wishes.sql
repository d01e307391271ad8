-- 社区吹哨、党员报到: the community blows the whistle, dispatched party members and responsible
-- units report (接单) and do the work; unanswered whistles go up to the township.
CREATE TABLE whistles (
    id                uuid PRIMARY KEY,
    area_code         text        NOT NULL,      -- the village/community that blew it
    source            text        NOT NULL,      -- manual | need_escalated
    source_event_id   uuid UNIQUE,               -- the NeedEscalated envelope: a redelivery makes no second whistle
    need_id           uuid,
    title             text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    category          text,
    urgency           text        NOT NULL,
    required_skills   text[]      NOT NULL DEFAULT '{}',
    blown_by          text        NOT NULL,
    blown_at          timestamptz NOT NULL,
    respond_by        timestamptz NOT NULL,
    first_response_at timestamptz,
    status            text        NOT NULL DEFAULT 'open',   -- open | responded | closed
    escalated_at      timestamptz,                           -- apart from status: an escalated whistle may still be answered
    escalated_to      text,
    satisfaction      int CHECK (satisfaction BETWEEN 1 AND 5),
    evaluated_by      text,                                  -- community | resident
    comment           text,
    closed_by         text,
    closed_at         timestamptz
);
CREATE INDEX whistles_area ON whistles (area_code text_pattern_ops, blown_at DESC);
CREATE INDEX whistles_unanswered ON whistles (respond_by) WHERE first_response_at IS NULL AND escalated_at IS NULL;

-- One row per responder called on: a party member of the community or a responsible unit.
CREATE TABLE dispatches (
    whistle_id     uuid        NOT NULL REFERENCES whistles (id),
    responder_kind text        NOT NULL,      -- member | unit
    responder_id   uuid        NOT NULL,      -- members.id or units.id
    dispatched_at  timestamptz NOT NULL,
    reported_at    timestamptz,
    reported_by    text,                      -- the token subject: the responder, or a worker on their behalf
    handled_at     timestamptz,
    handled_by     text,
    note           text,
    PRIMARY KEY (whistle_id, responder_id)
);
CREATE INDEX dispatches_responder ON dispatches (responder_id);

-- 微心愿: a resident's small wish, posted by the community, claimed and fulfilled by one party member.
-- The beneficiary is a masked description (王**（独居老人）); personal data stays in the needs service.
CREATE TABLE wishes (
    id           uuid PRIMARY KEY,
    area_code    text        NOT NULL,
    title        text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    beneficiary  text        NOT NULL,
    need_id      uuid,
    status       text        NOT NULL DEFAULT 'open',   -- open | claimed | fulfilled
    posted_by    text        NOT NULL,
    posted_at    timestamptz NOT NULL,
    member_id    uuid REFERENCES members (id),
    claimed_by   text,
    claimed_at   timestamptz,
    fulfilled_by text,
    fulfilled_at timestamptz,
    note         text
);
CREATE INDEX wishes_area ON wishes (area_code text_pattern_ops, posted_at DESC);
