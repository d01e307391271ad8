"""The call for bids of the project library (政府购买服务的招投标): a funded project's call is
published, registered organizations of its area bid (or withdraw) through their administrators,
evaluators score the bids after the deadline and the best-ranked bid is awarded. domain.py holds
who may bid and how bids are scored and ranked (the venture calls rank the same way), store.py the
SQL of bids and scores, handlers.py the use cases, api.py the routes."""
