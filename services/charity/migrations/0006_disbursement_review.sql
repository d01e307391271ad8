-- Reviewing a disbursement request (issue 15).

-- A checker may reject a request instead of paying it, giving the reason; nothing moves in the
-- ledger. Who rejected it is kept with the role they acted in, so that views name them by role.
ALTER TABLE disbursements ADD COLUMN rejected_by text;
ALTER TABLE disbursements ADD COLUMN rejected_by_role text;
ALTER TABLE disbursements ADD COLUMN rejected_at timestamptz;
ALTER TABLE disbursements ADD COLUMN rejection_reason text;
ALTER TABLE disbursements ADD CONSTRAINT disbursements_status
    CHECK (status IN ('requested', 'disbursed', 'rejected'));
ALTER TABLE disbursements ADD CONSTRAINT disbursements_rejected_with_reason
    CHECK ((status = 'rejected') = (rejected_at IS NOT NULL AND rejected_by IS NOT NULL AND rejection_reason IS NOT NULL));
ALTER TABLE disbursements ADD CONSTRAINT disbursements_decided_once
    CHECK (approved_at IS NULL OR rejected_at IS NULL);

-- The project's milestone a request from the projects service pays (DisbursementRequested names it):
-- a rejection tells that milestone. Requests received before this migration do not know theirs.
ALTER TABLE disbursements ADD COLUMN milestone_id uuid;

-- The project's title, as its FundingRequested gives it (empty for requests made before it did), so
-- that its payments are shown by the project's name.
ALTER TABLE commitments ADD COLUMN project_title text NOT NULL DEFAULT '';
