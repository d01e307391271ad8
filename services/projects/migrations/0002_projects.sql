-- The project library and its saga: proposal → party gate → funding → call for bids → award →
-- delivery by milestones → evaluation. The status column is the saga's state; it survives restarts.
CREATE TABLE projects (
    id              uuid PRIMARY KEY,
    area_code       text        NOT NULL,
    title           text        NOT NULL,
    service_content text        NOT NULL,
    indicators      jsonb       NOT NULL DEFAULT '[]',   -- [{name, target}]
    budget_fen      bigint      NOT NULL CHECK (budget_fen > 0),
    need_ids        uuid[]      NOT NULL DEFAULT '{}',
    purchase_item   text,                                -- code in the purchase list (购买清单)
    year            int         NOT NULL,
    duration_months int         NOT NULL,
    vital_interests boolean     NOT NULL,
    status          text        NOT NULL,   -- draft | review_pending | funding_pending | funding_rejected | funded |
                                            -- published | procured | delivered | evaluated | closed
    review_id       uuid UNIQUE,             -- the current submission to the party organization
    review_due      timestamptz,
    review_note     text        NOT NULL DEFAULT '',    -- the party organization's reasons (revise / rejected)
    bid_deadline    timestamptz,
    criteria        jsonb,                   -- {criterion: weight}
    awarded_bid_id  uuid,
    organization_uscc text,
    awarded_fen     bigint,
    closed_reason   text,
    proposed_by     text        NOT NULL,
    proposed_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX projects_area ON projects (area_code text_pattern_ops, status);
CREATE INDEX projects_review_due ON projects (review_due) WHERE status = 'review_pending';
CREATE INDEX projects_bid_deadline ON projects (bid_deadline) WHERE status = 'published';

-- One funding request per source; the charity service answers each with FundsCommitted or FundingRejected.
CREATE TABLE funding (
    request_id     uuid PRIMARY KEY,
    project_id     uuid        NOT NULL REFERENCES projects (id),
    source         text        NOT NULL,   -- government_purchase | social_assistance | lottery | charity_cofunding | venture_philanthropy
    fund_id        uuid        NOT NULL,
    amount_fen     bigint      NOT NULL CHECK (amount_fen > 0),
    status         text        NOT NULL,   -- planned | requested | committed | rejected | superseded
    commitment_id  uuid,
    rule           text,
    reason         text,
    requested_at   timestamptz NOT NULL,
    decided_at     timestamptz
);
CREATE INDEX funding_project ON funding (project_id);

CREATE TABLE bids (
    id                uuid PRIMARY KEY,
    project_id        uuid        NOT NULL REFERENCES projects (id),
    organization_uscc text        NOT NULL,
    price_fen         bigint      NOT NULL CHECK (price_fen > 0),
    plan              text        NOT NULL,
    team              jsonb       NOT NULL,   -- [{role, qualification, count}]
    milestones        jsonb       NOT NULL,   -- [{title, due_on, amount_fen}]
    status            text        NOT NULL,   -- active | withdrawn
    submitted_by      text        NOT NULL,
    submitted_at      timestamptz NOT NULL,
    withdrawn_at      timestamptz
);
CREATE UNIQUE INDEX bids_one_active ON bids (project_id, organization_uscc) WHERE status = 'active';

CREATE TABLE bid_scores (
    bid_id     uuid NOT NULL REFERENCES bids (id),
    evaluator  text NOT NULL,
    scores     jsonb NOT NULL,
    total      double precision NOT NULL,
    scored_at  timestamptz NOT NULL,
    PRIMARY KEY (bid_id, evaluator)
);

CREATE TABLE milestones (
    id            uuid PRIMARY KEY,
    project_id    uuid        NOT NULL REFERENCES projects (id),
    seq           int         NOT NULL,
    title         text        NOT NULL,
    due_on        date        NOT NULL,
    amount_fen    bigint      NOT NULL CHECK (amount_fen >= 0),
    status        text        NOT NULL DEFAULT 'planned',   -- planned | reported | accepted
    evidence      jsonb       NOT NULL DEFAULT '[]',
    reported_by   text,
    reported_at   timestamptz,
    accepted_by   text,
    accepted_at   timestamptz,
    commitment_id uuid,                   -- the commitment its payment was asked from
    UNIQUE (project_id, seq)
);

-- Residents' judgement of the project's needs (NeedFeedbackGiven), one per event.
CREATE TABLE project_feedback (
    event_id     uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id),
    need_id      uuid NOT NULL,
    satisfaction int  NOT NULL,
    given_at     timestamptz NOT NULL
);

CREATE TABLE evaluations (
    project_id            uuid PRIMARY KEY REFERENCES projects (id),
    year                  int   NOT NULL,
    weights               jsonb NOT NULL,
    survey                int[] NOT NULL,
    feedback_count        int   NOT NULL,
    resident_satisfaction double precision NOT NULL,
    indicators            double precision NOT NULL,
    third_party           double precision NOT NULL,
    third_party_evaluator text  NOT NULL,
    score                 double precision NOT NULL,
    grade                 text  NOT NULL,
    evaluated_by          text  NOT NULL,
    evaluated_at          timestamptz NOT NULL
);

-- 典型案例 / 河北慈善奖 nominations of projects graded 优秀.
CREATE TABLE nominations (
    project_id   uuid NOT NULL REFERENCES evaluations (project_id),
    kind         text NOT NULL,   -- typical_case | hebei_charity_award
    citation     text NOT NULL,
    nominated_by text NOT NULL,
    nominated_at timestamptz NOT NULL,
    PRIMARY KEY (project_id, kind)
);

-- Volunteer tasks a project in delivery asked the volunteers service to open (same ids there).
CREATE TABLE project_tasks (
    id            uuid PRIMARY KEY,
    project_id    uuid        NOT NULL REFERENCES projects (id),
    title         text        NOT NULL,
    slots         int         NOT NULL,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL
);
CREATE INDEX project_tasks_project ON project_tasks (project_id);
