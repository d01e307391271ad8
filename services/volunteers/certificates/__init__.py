"""Volunteer service record certificates (志愿服务记录证明, 民政部令第67号《志愿服务记录与证明出具办法》).

A certificate freezes, at issue time, a volunteer's recorded hours in a period: verified hours are
certified, hours still awaiting verification are listed apart and not certified. Anyone holding
the printed certificate can check its code without logging in, and sees masked data only.
store.py holds the SQL, domain.py the rules (and the HTTP models), handlers.py the use cases, api.py the
routes and the printable page."""
