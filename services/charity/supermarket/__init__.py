"""The love supermarket (爱心超市) of the charity service: donated goods, stocked per community and
priced in points; points held by residents and volunteers in the charity ledger (unit "points"),
granted for activities or exchanged from time-bank credits (积分互认互通互兑), and redeemed for goods.
store.py holds the SQL, domain.py the pure rules, handlers.py the use cases, config.py the settings,
api.py the routes, subscribers.py the CreditsExchanged consumer."""
