-- The 2 % rule counts a commitment in the budget year of its request, not of the day it was decided
-- (a request from December decided in January still belongs to December's budget).
ALTER TABLE commitments ADD COLUMN budget_year integer;
UPDATE commitments SET budget_year = extract(year FROM decided_at AT TIME ZONE 'Asia/Shanghai');
ALTER TABLE commitments ALTER COLUMN budget_year SET NOT NULL;
CREATE INDEX commitments_budget_year ON commitments (fund_id, budget_year) WHERE status = 'committed';
