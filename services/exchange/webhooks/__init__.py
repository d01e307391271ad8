"""Outbound webhooks (Standard Webhooks) of the exchange: a partner subscribes an HTTPS endpoint to
public events of its scope; each public event is queued for every matching subscription in the
transaction that publishes it, and a delivery worker posts it, signed, in order per subscription,
at least once, retrying with back-off over about three days. domain.py holds the pure rules (URL,
retry schedule, outcomes, rate limit), store.py the SQL, handlers.py the use cases and the worker,
config.py the settings, api.py the routes."""
