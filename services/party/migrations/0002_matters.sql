-- Major matters (重大事项) the community party organization studies before they are decided.
CREATE TABLE matters (
    id              uuid PRIMARY KEY,
    source          text        NOT NULL,      -- project_review | manual
    source_ref      uuid UNIQUE,               -- ProjectReviewRequested.review_id
    project_id      uuid,
    kind            text        NOT NULL,      -- project | foundation_use | other
    area_code       text        NOT NULL,
    title           text        NOT NULL,
    summary         text        NOT NULL DEFAULT '',
    amount_fen      bigint,
    vital_interests boolean     NOT NULL DEFAULT false,
    reasons         text[]      NOT NULL DEFAULT '{}',
    need_ids        uuid[]      NOT NULL DEFAULT '{}',
    submitted_by    text        NOT NULL,
    submitted_at    timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',   -- pending | decided
    escalated_at    timestamptz,
    escalated_to    text
);
CREATE INDEX matters_due ON matters (due_at) WHERE status = 'pending' AND escalated_at IS NULL;
CREATE INDEX matters_area ON matters (area_code text_pattern_ops);

-- A decision is final: written once with its votes, never changed.
CREATE TABLE decisions (
    matter_id      uuid PRIMARY KEY REFERENCES matters (id),
    org_id         uuid        NOT NULL REFERENCES organizations (id),
    outcome        text        NOT NULL,      -- approved | rejected | revise
    reasons        text        NOT NULL DEFAULT '',
    meeting_held_at timestamptz NOT NULL,
    committee_size int         NOT NULL,
    votes_for      int         NOT NULL,
    votes_against  int         NOT NULL,
    votes_abstain  int         NOT NULL,
    decided_by     text        NOT NULL,
    decided_at     timestamptz NOT NULL
);
CREATE TABLE votes (
    matter_id  uuid NOT NULL REFERENCES decisions (matter_id),
    seat_id    uuid NOT NULL REFERENCES committee_seats (id),
    vote       text NOT NULL,                 -- for | against | abstain
    PRIMARY KEY (matter_id, seat_id)
);
CREATE FUNCTION decisions_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a party decision is final (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER decisions_final BEFORE UPDATE OR DELETE ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_are_final();
CREATE TRIGGER votes_final BEFORE UPDATE OR DELETE ON votes FOR EACH ROW EXECUTE FUNCTION decisions_are_final();

-- The pool joint meetings draw their agenda from: escalated needs, disputes, overdue whistles,
-- escalated matters. Each source item appears once; a meeting takes it by setting meeting_id.
CREATE TABLE agenda_items (
    id          uuid PRIMARY KEY,
    area_code   text        NOT NULL,
    kind        text        NOT NULL,      -- escalated_need | dispute | overdue_whistle | escalated_matter | manual
    ref_id      uuid        NOT NULL,
    summary     text        NOT NULL,
    raised_at   timestamptz NOT NULL,
    meeting_id  uuid,
    UNIQUE (kind, ref_id)
);
CREATE INDEX agenda_open ON agenda_items (area_code text_pattern_ops) WHERE meeting_id IS NULL;
