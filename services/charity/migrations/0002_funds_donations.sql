-- Funds, donations, earmarks, funding commitments and disbursements. Money moves only through
-- the ledger (journal/postings); these tables say what each movement was for.
CREATE TABLE funds (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL,
    kind        text        NOT NULL,   -- community_foundation | special_fund | government_purchase |
                                        -- social_assistance | lottery | general
    area_code   text        NOT NULL,   -- a social-assistance fund belongs to a county (the 2 % rule)
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE fund_budgets (
    fund_id  uuid    NOT NULL REFERENCES funds (id),
    year     integer NOT NULL,
    amount   bigint  NOT NULL CHECK (amount >= 0),   -- fen
    PRIMARY KEY (fund_id, year)
);
CREATE TABLE donations (
    id             uuid PRIMARY KEY,
    fund_id        uuid        NOT NULL REFERENCES funds (id),
    area_code      text        NOT NULL,
    donor_kind     text        NOT NULL,   -- person | anonymous | enterprise
    donor_name_enc bytea,                  -- people's names are personal data
    donor_uscc     text,                   -- an enterprise's unified social credit code
    disclose_name  boolean     NOT NULL DEFAULT false,   -- shown on the public ledger only if consented
    amount         bigint      NOT NULL CHECK (amount > 0),
    receipt_code   text        NOT NULL UNIQUE,
    received_by    text        NOT NULL,
    received_at    timestamptz NOT NULL,
    refunded_at    timestamptz
);
CREATE TABLE earmarks (
    id           uuid PRIMARY KEY,
    donation_id  uuid        NOT NULL REFERENCES donations (id),
    target_kind  text        NOT NULL,   -- need | project | fund
    target_id    uuid        NOT NULL,
    area_code    text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount > 0),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX earmarks_target ON earmarks (target_kind, target_id);
CREATE TABLE commitments (
    id             uuid PRIMARY KEY,
    request_id     uuid        NOT NULL UNIQUE,   -- the FundingRequested it answers
    project_id     uuid        NOT NULL,
    fund_id        uuid        NOT NULL REFERENCES funds (id),
    area_code      text        NOT NULL,
    purpose        text        NOT NULL,          -- service_purchase | other
    amount         bigint      NOT NULL,
    status         text        NOT NULL,          -- committed | rejected
    rule           text,                          -- the rule that refused it
    reason         text,
    decided_at     timestamptz NOT NULL
);
CREATE INDEX commitments_fund_year ON commitments (fund_id, decided_at) WHERE status = 'committed';
CREATE TABLE disbursements (
    id             uuid PRIMARY KEY,
    commitment_id  uuid REFERENCES commitments (id),   -- a project's milestone …
    earmark_id     uuid REFERENCES earmarks (id),      -- … or money earmarked for a need
    CHECK ((commitment_id IS NULL) <> (earmark_id IS NULL)),
    milestone      text        NOT NULL,
    amount         bigint      NOT NULL CHECK (amount > 0),
    requested_by   text        NOT NULL,   -- the maker
    requested_at   timestamptz NOT NULL,
    approved_by    text,                   -- the checker: never the maker
    approved_at    timestamptz,
    status         text        NOT NULL    -- requested | disbursed
);
