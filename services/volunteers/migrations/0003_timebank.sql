-- Time bank (时间银行): a double-entry ledger in integer units (100 units = 1 credit).
-- Every community bank keeps its own books; see services/volunteers/timebank/ledger.py.
CREATE TABLE timebank_accounts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('volunteer', 'issuance', 'redemption', 'exchange', 'due')),
    bank          text        NOT NULL,          -- 12-digit community code whose books hold the account
    volunteer_id  uuid REFERENCES volunteers (id),
    counterparty  text,                          -- the other bank of a due account
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'volunteer') = (volunteer_id IS NOT NULL)),
    CHECK ((kind = 'due') = (counterparty IS NOT NULL)),
    CHECK (counterparty <> bank),
    UNIQUE NULLS NOT DISTINCT (kind, bank, volunteer_id, counterparty)
);
CREATE INDEX timebank_accounts_volunteer ON timebank_accounts (volunteer_id) WHERE volunteer_id IS NOT NULL;
CREATE INDEX timebank_accounts_banks ON timebank_accounts (bank) WHERE kind <> 'volunteer';

CREATE TABLE timebank_transactions (
    id          uuid PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('earn', 'transfer', 'redeem', 'exchange', 'settle')),
    reference   text        NOT NULL,            -- idempotency: the hour log id, a request key …
    memo        text        NOT NULL DEFAULT '', -- e.g. the service a redemption paid for
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    UNIQUE (kind, reference)
);

CREATE TABLE timebank_postings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  uuid   NOT NULL REFERENCES timebank_transactions (id),
    account_id      bigint NOT NULL REFERENCES timebank_accounts (id),
    units           bigint NOT NULL CHECK (units <> 0)
);
CREATE INDEX timebank_postings_account ON timebank_postings (account_id, id);
CREATE INDEX timebank_postings_transaction ON timebank_postings (transaction_id);

-- Whom a volunteer may give credits to (registered family members), declared by the giver.
CREATE TABLE family_links (
    volunteer_id  uuid        NOT NULL REFERENCES volunteers (id),
    relative_id   uuid        NOT NULL REFERENCES volunteers (id),
    relation      text        NOT NULL,
    declared_by   text        NOT NULL,
    declared_at   timestamptz NOT NULL,
    PRIMARY KEY (volunteer_id, relative_id),
    CHECK (volunteer_id <> relative_id)
);

-- Double entry, checked by the database at commit whatever the code does: each transaction has
-- at least two postings, and they sum to zero in each bank's books (hence in total).
CREATE FUNCTION timebank_assert_balanced(txn uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    postings int;
    bad_bank text;
BEGIN
    SELECT count(*) INTO postings FROM timebank_postings WHERE transaction_id = txn;
    IF postings < 2 THEN
        RAISE EXCEPTION '交易 % 至少需要两条分录 / transaction % needs at least two postings', txn, txn
            USING ERRCODE = 'check_violation', CONSTRAINT = 'timebank_balanced';
    END IF;
    SELECT a.bank INTO bad_bank
      FROM timebank_postings p JOIN timebank_accounts a ON a.id = p.account_id
     WHERE p.transaction_id = txn GROUP BY a.bank HAVING sum(p.units) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '交易 % 在 % 的账簿中借贷不平 / transaction % does not sum to zero in bank %',
            txn, bad_bank, txn, bad_bank USING ERRCODE = 'check_violation', CONSTRAINT = 'timebank_balanced';
    END IF;
END $$;

CREATE FUNCTION timebank_posting_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM timebank_assert_balanced(NEW.transaction_id);
    RETURN NULL;
END $$;

CREATE FUNCTION timebank_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM timebank_assert_balanced(NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER timebank_posting_balanced AFTER INSERT ON timebank_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION timebank_posting_balanced();
CREATE CONSTRAINT TRIGGER timebank_transaction_balanced AFTER INSERT ON timebank_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION timebank_transaction_balanced();

-- The books are append-only: a mistake is corrected by a new transaction, never by an edit.
CREATE FUNCTION timebank_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '时间银行账簿只能追加 / the time-bank books are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER timebank_postings_append_only BEFORE UPDATE OR DELETE ON timebank_postings
    FOR EACH ROW EXECUTE FUNCTION timebank_append_only();
CREATE TRIGGER timebank_transactions_append_only BEFORE UPDATE OR DELETE ON timebank_transactions
    FOR EACH ROW EXECUTE FUNCTION timebank_append_only();
