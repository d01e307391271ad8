"""Public ledger and disclosure (慈善信息公开): anyone, without logging in, can follow a donation
by its receipt code to the need or project it paid for, read a project's disclosure report and
a fund's totals, and browse or download the ledger of an area.

Nothing here reveals personal data beyond a donor's name the donor consented to disclose.
store.py holds the read-only SQL, domain.py the pure rules, handlers.py the use cases, api.py the routes."""
