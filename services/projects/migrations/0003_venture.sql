-- 公益创投 and 项目大赛: a call with a pool of money from one fund; organizations apply; judges
-- score; the best applications that fit the pool win and become projects of the library, funded by
-- the charity service from the call's fund and delivered by the winner (no second call for bids).
CREATE TABLE venture_calls (
    id              uuid PRIMARY KEY,
    kind            text        NOT NULL,   -- venture | competition
    title           text        NOT NULL,
    area_code       text        NOT NULL,
    fund_id         uuid        NOT NULL,
    pool_fen        bigint      NOT NULL CHECK (pool_fen > 0),
    max_grant_fen   bigint      NOT NULL CHECK (max_grant_fen > 0),
    criteria        jsonb       NOT NULL,
    apply_deadline  timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'open',   -- open | awarded
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL,
    awarded_at      timestamptz
);
CREATE INDEX venture_calls_area ON venture_calls (area_code text_pattern_ops);

CREATE TABLE venture_applications (
    id                uuid PRIMARY KEY,
    call_id           uuid        NOT NULL REFERENCES venture_calls (id),
    organization_uscc text        NOT NULL,
    area_code         text        NOT NULL,   -- where the project would serve (inside the call's area)
    title             text        NOT NULL,
    summary           text        NOT NULL,
    indicators        jsonb       NOT NULL,
    requested_fen     bigint      NOT NULL CHECK (requested_fen > 0),
    milestones        jsonb       NOT NULL,
    need_ids          uuid[]      NOT NULL DEFAULT '{}',
    status            text        NOT NULL,   -- submitted | withdrawn | won | lost
    submitted_by      text        NOT NULL,
    submitted_at      timestamptz NOT NULL,
    project_id        uuid
);
CREATE UNIQUE INDEX venture_one_application ON venture_applications (call_id, organization_uscc)
    WHERE status <> 'withdrawn';

CREATE TABLE venture_scores (
    application_id uuid NOT NULL REFERENCES venture_applications (id),
    judge          text NOT NULL,
    scores         jsonb NOT NULL,
    total          double precision NOT NULL,
    scored_at      timestamptz NOT NULL,
    PRIMARY KEY (application_id, judge)
);

-- A project born of a winning application: funded, then procured from the winner directly.
ALTER TABLE projects ADD COLUMN venture_application_id uuid;
