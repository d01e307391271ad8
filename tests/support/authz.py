"""Shared by the role × jurisdiction tables: which routes of a service a table leaves out."""

from __future__ import annotations

import re
from collections.abc import Iterable


def uncovered_routes(routers: Iterable, calls: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (method, path template) of every route with no row among `calls` (method, concrete path)."""
    calls = [(method, path.partition("?")[0]) for method, path in calls]
    templates = {(method, route.path) for router in routers for route in router.routes for method in route.methods}
    return {
        (method, template)
        for method, template in templates
        if not any(m == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), p) for m, p in calls)
    }
