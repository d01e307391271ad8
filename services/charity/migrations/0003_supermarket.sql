-- The love supermarket (爱心超市). Points move only through the ledger (journal/postings, unit
-- 'points'); goods are not money, so stock lives here with an append-only movement log. Grants,
-- receipts and redemptions say what each movement was for, and feed the monthly publication (公示).
CREATE TABLE supermarket_items (
    id           uuid PRIMARY KEY,
    area_code    text        NOT NULL,   -- the supermarket's community (12 digits)
    name         text        NOT NULL,
    unit         text        NOT NULL,
    price_points integer     NOT NULL CHECK (price_points > 0),   -- the latest receipt sets it
    quantity     integer     NOT NULL DEFAULT 0 CHECK (quantity >= 0),   -- the sum of its movements
    created_at   timestamptz NOT NULL,
    UNIQUE (area_code, name, unit)
);
CREATE TABLE supermarket_stock_movements (
    seq         bigserial PRIMARY KEY,
    item_id     uuid        NOT NULL REFERENCES supermarket_items (id),
    direction   text        NOT NULL CHECK (direction IN ('in', 'out')),
    quantity    integer     NOT NULL CHECK (quantity > 0),
    reason      text        NOT NULL,   -- donation | redemption
    reference   text        NOT NULL,   -- the receipt or redemption id
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (item_id, reference)
);
CREATE TABLE supermarket_receipts (
    id                  uuid PRIMARY KEY,
    item_id             uuid        NOT NULL REFERENCES supermarket_items (id),
    area_code           text        NOT NULL,
    quantity            integer     NOT NULL CHECK (quantity > 0),
    estimated_value_fen bigint      NOT NULL CHECK (estimated_value_fen >= 0),
    donor_kind          text        NOT NULL CHECK (donor_kind IN ('person', 'anonymous', 'enterprise')),
    donor_uscc          text,       -- enterprises only: no personal names are kept
    donor_name          text,
    received_by         text        NOT NULL,
    received_at         timestamptz NOT NULL,
    CHECK ((donor_kind = 'enterprise') = (donor_uscc IS NOT NULL AND donor_name IS NOT NULL))
);
CREATE INDEX supermarket_receipts_month ON supermarket_receipts (area_code, received_at);
CREATE TABLE supermarket_grants (
    id          uuid PRIMARY KEY,
    reference   text        NOT NULL UNIQUE,   -- the ledger entry's reference (credits:<exchange id> | grant:<id>)
    area_code   text        NOT NULL,          -- the community whose pool issued the points
    holder_kind text        NOT NULL CHECK (holder_kind IN ('resident', 'volunteer')),
    holder_ref  text        NOT NULL,
    points      bigint      NOT NULL CHECK (points > 0),
    source      text        NOT NULL CHECK (source IN ('time_credits', 'activity')),
    reason      text        NOT NULL,
    granted_by  text        NOT NULL,
    granted_at  timestamptz NOT NULL
);
CREATE INDEX supermarket_grants_month ON supermarket_grants (area_code, granted_at);
CREATE TABLE supermarket_redemptions (
    id          uuid PRIMARY KEY,
    item_id     uuid        NOT NULL REFERENCES supermarket_items (id),
    area_code   text        NOT NULL,
    holder_kind text        NOT NULL CHECK (holder_kind IN ('resident', 'volunteer')),
    holder_ref  text        NOT NULL,
    quantity    integer     NOT NULL CHECK (quantity > 0),
    points      bigint      NOT NULL CHECK (points > 0),
    redeemed_by text        NOT NULL,
    redeemed_at timestamptz NOT NULL
);
CREATE INDEX supermarket_redemptions_month ON supermarket_redemptions (area_code, redeemed_at);

-- The records are history: the service only appends (stock quantities are the one mutable cache).
CREATE FUNCTION supermarket_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'love-supermarket records are append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER supermarket_stock_movements_append_only BEFORE UPDATE OR DELETE ON supermarket_stock_movements
    FOR EACH ROW EXECUTE FUNCTION supermarket_append_only();
CREATE TRIGGER supermarket_receipts_append_only BEFORE UPDATE OR DELETE ON supermarket_receipts
    FOR EACH ROW EXECUTE FUNCTION supermarket_append_only();
CREATE TRIGGER supermarket_grants_append_only BEFORE UPDATE OR DELETE ON supermarket_grants
    FOR EACH ROW EXECUTE FUNCTION supermarket_append_only();
CREATE TRIGGER supermarket_redemptions_append_only BEFORE UPDATE OR DELETE ON supermarket_redemptions
    FOR EACH ROW EXECUTE FUNCTION supermarket_append_only();
