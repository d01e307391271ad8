"""Delivery and evaluation of an awarded project: the organization reports its milestones and
asks for volunteers, workers accept the milestones (each paid from a commitment), civil affairs
evaluates the project with residents' satisfaction weighing the most, and a project graded 优秀
may be nominated and shown on the public showcase. domain.py holds the evaluation rules, store.py
the SQL, handlers.py the use cases, api.py the routes, subscribers.py the residents' feedback."""
