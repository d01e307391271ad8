"""The time bank (时间银行) of the volunteers service: verified hours become credits in a
double-entry ledger, redeemable for services at any community bank or exchangeable for charity
points. domain.py holds the pure rules, store.py the SQL, handlers.py the use cases, config.py the
settings, api.py the routes."""
