-- Trust (issue 12).

-- The maker of a disbursement is a person: for a project milestone, whoever accepted it in the
-- projects service (it was stored as "projects:<sub>", which never equals a checker's sub, so the
-- acceptor could approve his own payment). Where the request came from is kept apart.
ALTER TABLE disbursements ADD COLUMN requested_via text NOT NULL DEFAULT 'charity'
    CHECK (requested_via IN ('charity', 'projects'));
UPDATE disbursements SET requested_via = 'projects', requested_by = substr(requested_by, length('projects:') + 1)
 WHERE requested_by LIKE 'projects:%';

-- A funding request naming a fund that does not exist is refused and recorded: the fund asked for
-- in its own column, the foreign key left null (it used to break the key, and the event was
-- retried into the dead letters with no answer to the project).
ALTER TABLE commitments ADD COLUMN requested_fund_id uuid;
UPDATE commitments SET requested_fund_id = fund_id;
ALTER TABLE commitments ALTER COLUMN requested_fund_id SET NOT NULL;
ALTER TABLE commitments ALTER COLUMN fund_id DROP NOT NULL;
ALTER TABLE commitments ADD CONSTRAINT commitments_fund_as_requested
    CHECK (CASE WHEN fund_id IS NULL THEN status = 'rejected' AND rule IS NOT DISTINCT FROM 'unknown_fund'
                ELSE fund_id = requested_fund_id END);

-- The needs a committed project serves (from its FundingRequested), carried by FundsCommitted and
-- by the project's FundsDisbursed, so they reach the needs' timelines.
ALTER TABLE commitments ADD COLUMN need_ids uuid[] NOT NULL DEFAULT '{}';

-- Every fund is announced once (FundOpened): at its opening, or on the first start after this
-- migration for the funds opened before it.
ALTER TABLE funds ADD COLUMN announced_at timestamptz;

-- The love supermarket's known holders, learnt from events (VolunteerRegistered, ResidentRegistered,
-- NeedRaised, CreditsExchanged): points go only to a ref that is a real volunteer or resident.
CREATE TABLE supermarket_holders (
    holder_kind   text        NOT NULL CHECK (holder_kind IN ('resident', 'volunteer')),
    holder_ref    text        NOT NULL,
    area_code     text        NOT NULL,   -- where they were first seen
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (holder_kind, holder_ref)
);
-- volunteers who exchanged time-bank credits are real (their exchange came from the volunteers service)
INSERT INTO supermarket_holders (holder_kind, holder_ref, area_code, registered_at)
SELECT DISTINCT ON (holder_ref) 'volunteer', holder_ref, area_code, granted_at FROM supermarket_grants
 WHERE source = 'time_credits' ORDER BY holder_ref, granted_at
ON CONFLICT DO NOTHING;
