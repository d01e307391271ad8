-- What waits for a project (项目需求池): needs the community routed to "project", and projects a
-- joint meeting resolved to propose. A project proposed for them takes them out of the pool.
CREATE TABLE demands (
    kind         text        NOT NULL,   -- need | joint_meeting
    ref_id       uuid        NOT NULL,   -- the need's id, or the meeting action's id
    area_code    text        NOT NULL,
    title        text        NOT NULL,
    category     text,
    urgency      text,
    need_id      uuid,
    amount_fen   bigint,
    received_at  timestamptz NOT NULL,
    project_id   uuid,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX demands_open ON demands (area_code text_pattern_ops) WHERE project_id IS NULL;
