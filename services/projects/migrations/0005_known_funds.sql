-- The funds the charity service announced (FundOpened): the projects service refuses a funding
-- line naming a fund it does not know, or one whose area does not contain the project's, before
-- asking the charity service (which still decides, and refuses an unknown fund by event too).
CREATE TABLE known_funds (
    fund_id    uuid PRIMARY KEY,
    name       text        NOT NULL,
    kind       text        NOT NULL,
    area_code  text        NOT NULL,
    opened_at  timestamptz NOT NULL
);

-- What an evaluation was made without: the needs whose residents had not given feedback yet.
ALTER TABLE evaluations ADD COLUMN feedback_pending uuid[] NOT NULL DEFAULT '{}';
