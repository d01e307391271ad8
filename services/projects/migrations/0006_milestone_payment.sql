-- A milestone's payment (issue 15): the request its acceptance sent to the charity service, and that
-- service's rejection of it (DisbursementRejected) with the checker's reason. A rejected payment no
-- longer holds its share of the commitment (commitment_id is cleared), and accepting the milestone
-- again asks anew. Milestones accepted before this migration do not know their request.
ALTER TABLE milestones ADD COLUMN payment_request_id uuid;
ALTER TABLE milestones ADD COLUMN payment_rejected_at timestamptz;
ALTER TABLE milestones ADD COLUMN payment_rejection_reason text;
ALTER TABLE milestones ADD CONSTRAINT milestones_payment_rejected_with_reason
    CHECK ((payment_rejected_at IS NULL) = (payment_rejection_reason IS NULL));
