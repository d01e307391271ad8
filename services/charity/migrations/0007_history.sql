-- Donations migrated from an earlier system (历史数据迁移), one row per the earlier system's id: the
-- key that makes a record imported twice (or by two concurrent batches) one donation.
CREATE TABLE imported_donations (
    legacy_ref   text        PRIMARY KEY,
    donation_id  uuid        NOT NULL UNIQUE,
    imported_by  text        NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now()
);
