-- Wake the relay at commit whenever events were written: one NOTIFY per statement (PostgreSQL
-- folds identical notifications of a transaction into one), no extra round trip for writers.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
