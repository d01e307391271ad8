-- The configurable need taxonomy (需求类别). The standard categories are added by the service at
-- start (contracts.taxonomy.NeedCategory); civil-affairs staff add local ones.
CREATE TABLE categories (
    code      text PRIMARY KEY,
    zh        text        NOT NULL,
    en        text        NOT NULL,
    active    boolean     NOT NULL DEFAULT true,
    added_by  text        NOT NULL,
    added_at  timestamptz NOT NULL DEFAULT now()
);
