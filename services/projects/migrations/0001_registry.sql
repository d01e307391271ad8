-- The registry of social organizations (社会组织登记), their evaluation grades, the service
-- platforms (社工站 / 社会工作室 / 孵化基地), the communities the coverage targets are counted over,
-- and the purchase lists (购买社区公共服务项目清单). Areas are matched by code prefix.

CREATE TABLE organizations (
    uscc               text PRIMARY KEY,
    name               text        NOT NULL,
    legal_type         text        NOT NULL CHECK (legal_type IN ('social_group', 'social_service_agency', 'foundation')),
    category           text        NOT NULL,
    area_code          text        NOT NULL,   -- registration area: county, township or village/community
    hub                boolean     NOT NULL,
    social_work_agency boolean     NOT NULL,
    charity_certified  boolean     NOT NULL,
    incubation_base    uuid,                   -- a platform of kind incubation_base
    incubated_since    date,
    graduated_on       date,
    full_time_staff    int         NOT NULL CHECK (full_time_staff >= 0),
    admin_accounts     text[]      NOT NULL DEFAULT '{}',   -- token subjects of its org_admins
    status             text        NOT NULL CHECK (status IN ('registered', 'deregistered')),
    registered_by      text        NOT NULL,
    registered_at      timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            int         NOT NULL DEFAULT 1,
    CHECK ((incubation_base IS NULL) = (incubated_since IS NULL))
);
CREATE INDEX organizations_area ON organizations (area_code text_pattern_ops, status);
CREATE INDEX organizations_admins ON organizations USING gin (admin_accounts);

-- One row per evaluated project; a year's grade for eligibility is the worst of its rows.
CREATE TABLE org_grades (
    uscc        text             NOT NULL REFERENCES organizations (uscc),
    year        int              NOT NULL,
    grade       text             NOT NULL CHECK (grade IN ('excellent', 'good', 'basic', 'unqualified')),
    project_id  uuid             NOT NULL,
    score       double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    recorded_at timestamptz      NOT NULL,
    PRIMARY KEY (uscc, year, project_id)
);

CREATE TABLE platforms (
    id             uuid PRIMARY KEY,
    kind           text        NOT NULL CHECK (kind IN ('station', 'room', 'incubation_base')),
    name           text        NOT NULL,
    area_code      text        NOT NULL,
    operator_uscc  text REFERENCES organizations (uscc),
    contract_until date,
    staff          int         NOT NULL CHECK (staff >= 0),
    opened_on      date        NOT NULL,
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX platforms_area ON platforms (area_code text_pattern_ops, kind);
-- one social-work station per township (街道/乡镇)
CREATE UNIQUE INDEX platforms_one_station ON platforms (area_code) WHERE kind = 'station';

ALTER TABLE organizations ADD FOREIGN KEY (incubation_base) REFERENCES platforms (id);

-- The villages and communities that exist (the area table ships no 12-digit rows).
CREATE TABLE communities (
    area_code     text PRIMARY KEY,
    urban         boolean     NOT NULL,   -- 社区 (suffix 001–199), not 村
    registered_by text        NOT NULL,
    registered_at timestamptz NOT NULL
);
CREATE INDEX communities_area ON communities (area_code text_pattern_ops);

CREATE TABLE purchase_lists (
    area_code  text        NOT NULL,
    year       int         NOT NULL,
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (area_code, year)
);

CREATE TABLE purchase_items (
    area_code      text   NOT NULL,
    year           int    NOT NULL,
    code           text   NOT NULL,
    name           text   NOT NULL,
    category       text   NOT NULL,
    max_budget_fen bigint CHECK (max_budget_fen >= 0),
    seq            int    NOT NULL,   -- the order the list gave
    PRIMARY KEY (area_code, year, code),
    FOREIGN KEY (area_code, year) REFERENCES purchase_lists (area_code, year)
);
