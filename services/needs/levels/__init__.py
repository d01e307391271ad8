"""Service levels per area (服务时限): the first-response hours per urgency and the revisit and
proactive-visit days an area sets itself, audited, with their history. The rule every deadline is
computed with (the most specific area that sets a value wins) stays in services/needs/domain.py,
and the lookup intake uses in services/needs/handlers.py area_levels. domain.py holds the pure rules,
store.py the SQL, handlers.py the use cases, api.py the routes."""
