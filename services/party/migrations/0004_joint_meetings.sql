-- 党建联席会议: the community (street) party organization convenes the other four actors, takes its
-- agenda from the agenda_items pool, adopts resolutions and dispatches actions to the services that
-- must act, then follows them up until done.
CREATE TABLE joint_meetings (
    id           uuid PRIMARY KEY,
    area_code    text        NOT NULL,      -- the community (12 digits) or street (9) that meets
    title        text        NOT NULL,
    scheduled_at timestamptz NOT NULL,
    place        text        NOT NULL,
    participants jsonb       NOT NULL,      -- [{actor, name, unit}]: who represents each actor
    status       text        NOT NULL DEFAULT 'scheduled',   -- scheduled | held
    held_at      timestamptz,               -- when its first resolution was recorded
    convened_by  text        NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX joint_meetings_area ON joint_meetings (area_code text_pattern_ops, scheduled_at);

CREATE TABLE resolutions (
    id             uuid PRIMARY KEY,
    meeting_id     uuid        NOT NULL REFERENCES joint_meetings (id),
    agenda_item_id uuid REFERENCES agenda_items (id),
    text           text        NOT NULL,
    resolved_by    text        NOT NULL,
    resolved_at    timestamptz NOT NULL
);
CREATE INDEX resolutions_meeting ON resolutions (meeting_id);
CREATE UNIQUE INDEX resolutions_one_per_item ON resolutions (agenda_item_id) WHERE agenda_item_id IS NOT NULL;

-- An action's id is also what the acting service calls its work (the volunteers' task id), so that
-- their events (TaskAccepted) can move it on.
CREATE TABLE meeting_actions (
    id              uuid PRIMARY KEY,
    meeting_id      uuid        NOT NULL REFERENCES joint_meetings (id),
    resolution_id   uuid        NOT NULL REFERENCES resolutions (id),
    area_code       text        NOT NULL,
    kind            text        NOT NULL,      -- volunteer_task | propose_project | earmark_funds | other
    target_service  text        NOT NULL,
    title           text        NOT NULL,
    details         text        NOT NULL DEFAULT '',
    need_id         uuid,
    amount_fen      bigint,
    required_skills text[]      NOT NULL DEFAULT '{}',
    owner           text        NOT NULL,      -- who answers for it, e.g. 志愿者:长安区志愿者协会
    due_at          timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'dispatched',   -- dispatched | in_progress | done
    overdue_at      timestamptz,               -- set once, when it was found past due and not done
    dispatched_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX meeting_actions_meeting ON meeting_actions (meeting_id);
CREATE INDEX meeting_actions_area ON meeting_actions (area_code text_pattern_ops);
CREATE INDEX meeting_actions_due ON meeting_actions (due_at) WHERE status <> 'done' AND overdue_at IS NULL;

-- The follow-up trail (督办): every report, by a person or by another service's event.
CREATE TABLE action_progress (
    id          uuid PRIMARY KEY,
    action_id   uuid        NOT NULL REFERENCES meeting_actions (id),
    status      text        NOT NULL,
    note        text        NOT NULL DEFAULT '',
    reported_by text        NOT NULL,
    reported_at timestamptz NOT NULL
);
CREATE INDEX action_progress_action ON action_progress (action_id, reported_at);
