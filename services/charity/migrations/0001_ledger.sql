-- One double-entry ledger for all money (fen) and love-supermarket points. Append-only; each
-- journal entry is chained to the previous one by a SHA-256 hash, so an edited row is detectable.
CREATE TABLE accounts (
    id         text PRIMARY KEY,          -- e.g. fund:<id>, restricted:<earmark id>, world, points:<ref>
    kind       text        NOT NULL,      -- world | fund | restricted | committed | points | points_pool | stock
    unit       text        NOT NULL,      -- fen | points
    area_code  text        NOT NULL,
    label      text        NOT NULL DEFAULT '',
    may_go_negative boolean NOT NULL DEFAULT false,   -- only the outside world (where money comes from)
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE journal (
    seq        bigserial PRIMARY KEY,
    id         uuid        NOT NULL UNIQUE,
    kind       text        NOT NULL,      -- donation | earmark | commitment | disbursement | refund | points_* …
    reference  text        NOT NULL UNIQUE,   -- idempotency: the event or request that caused it
    memo       text        NOT NULL DEFAULT '',
    unit       text        NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL,
    prev_hash  text        NOT NULL,
    hash       text        NOT NULL UNIQUE
);
CREATE TABLE postings (
    journal_id uuid        NOT NULL REFERENCES journal (id),
    account_id text        NOT NULL REFERENCES accounts (id),
    amount     bigint      NOT NULL,      -- + into the account, - out of it
    PRIMARY KEY (journal_id, account_id)
);
CREATE INDEX postings_account ON postings (account_id);

-- Append-only: no row of the journal or its postings is ever changed or removed by the service.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END $$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Every journal entry sums to zero, checked at commit (postings are inserted one statement after the entry).
CREATE FUNCTION journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint; n int;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, n FROM postings WHERE journal_id = NEW.id;
    IF n < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance (% postings, sum %)', NEW.id, n, total;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_balanced AFTER INSERT ON journal
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_balanced();
