-- Party organizations (社区党委/党总支/党支部, and those inside social organizations), their
-- committees (with part-time members drawn from the other four actors: 兼职委员制), registered party
-- members (在职党员到社区报到) and the responsible units a whistle may call on.
CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL,
    kind        text        NOT NULL,          -- committee | general_branch | branch
    area_code   text        NOT NULL,          -- the community (12 digits) or township (9) it leads
    host_kind   text        NOT NULL,          -- community | social_org
    host_uscc   text,                          -- the social organization it sits in
    parent_id   uuid REFERENCES organizations (id),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX organizations_area ON organizations (area_code text_pattern_ops);
CREATE UNIQUE INDEX organizations_in_social_org ON organizations (host_uscc) WHERE host_uscc IS NOT NULL;

-- A party member's identity is sensitive: name and phone are encrypted, the citizen ID is kept only
-- as a keyed hash (member_ref), which is also how events name the member.
CREATE TABLE members (
    id              uuid PRIMARY KEY,
    member_ref      text        NOT NULL UNIQUE,
    name_enc        bytea       NOT NULL,
    phone_enc       bytea       NOT NULL,
    org_id          uuid        NOT NULL REFERENCES organizations (id),  -- where the membership is held
    area_code       text        NOT NULL,      -- the home community they report to
    in_service      boolean     NOT NULL,      -- 在职党员 (employed elsewhere, reports to the community)
    employer        text        NOT NULL DEFAULT '',
    skills          text[]      NOT NULL DEFAULT '{}',
    preferred_posts text[]      NOT NULL DEFAULT '{}',
    volunteer_id    uuid,                      -- their record in the volunteers service, if any
    account         text,                      -- the subject of their login token, to answer whistles themselves
    status          text        NOT NULL DEFAULT 'active',   -- active | left
    registered_by   text        NOT NULL,
    registered_at   timestamptz NOT NULL
);
CREATE INDEX members_area ON members (area_code text_pattern_ops) WHERE status = 'active';
CREATE UNIQUE INDEX members_account ON members (account) WHERE account IS NOT NULL;

CREATE TABLE committee_seats (
    id          uuid PRIMARY KEY,
    org_id      uuid        NOT NULL REFERENCES organizations (id),
    member_id   uuid        NOT NULL REFERENCES members (id),
    position    text        NOT NULL,          -- secretary | deputy_secretary | member
    part_time   boolean     NOT NULL DEFAULT false,
    from_actor  text,                          -- social_org | social_worker | volunteer | charity (part-time members)
    since       date        NOT NULL,
    until       date,                          -- null while serving
    UNIQUE (org_id, member_id, since)
);

-- 责任单位: street offices, resident units, utilities … that a whistle calls on for its categories.
CREATE TABLE units (
    id          uuid PRIMARY KEY,
    area_code   text        NOT NULL,
    name        text        NOT NULL,
    categories  text[]      NOT NULL DEFAULT '{}',   -- empty: answers every category
    contact     text        NOT NULL DEFAULT '',
    account     text,                              -- the subject of the unit's duty login, if any
    created_at  timestamptz NOT NULL,
    UNIQUE (area_code, name)
);
CREATE UNIQUE INDEX units_account ON units (account) WHERE account IS NOT NULL;
