-- Service levels per area (服务时限), set by civil affairs: a value set here overrides the areas
-- above; NULL inherits (from an ancestor area, else the installation default, WUSHE_NEEDS_*).
CREATE TABLE service_levels (
    area_code             text PRIMARY KEY,   -- community, street, county, city or province
    urgent_hours          double precision,
    major_hours           double precision,
    routine_hours         double precision,
    revisit_days          double precision,
    proactive_visit_days  double precision,
    changed_by            text        NOT NULL,
    changed_at            timestamptz NOT NULL
);
CREATE INDEX service_levels_within ON service_levels (area_code text_pattern_ops);

-- Who changed which area's levels, when, from what to what, and why (also on the AUDIT stream).
CREATE TABLE service_level_changes (
    id               uuid PRIMARY KEY,
    area_code        text        NOT NULL,
    old              jsonb       NOT NULL,
    new              jsonb       NOT NULL,
    reason           text        NOT NULL,
    changed_by       text        NOT NULL,
    changed_by_role  text        NOT NULL,
    changed_at       timestamptz NOT NULL,
    event_id         uuid        NOT NULL
);
CREATE INDEX service_level_changes_area ON service_level_changes (area_code, changed_at DESC);

-- A need's weekly recurring slots (每周二、四、六 11:00–12:00), local time: [{weekday, start, end}].
ALTER TABLE needs ADD COLUMN weekly jsonb NOT NULL DEFAULT '[]';
