"""The rules of the composed views' cache (services/gateway/cache.py): an answer is given again only
to the caller it was composed for, never once a service it asked has changed (even a change heard
while it was being composed), never while the gateway could miss a change, never past its time to
live; an answer with a section that did not answer is not kept; the size stays bounded."""

from __future__ import annotations

import time

from contracts.api.views import Section
from services.gateway.cache import Composed, Generations, Kept, ViewCache

SERVICES = ("needs", "volunteers", "projects", "charity", "party", "exchange")
WORKER = ("/api/v1/views/needs/n1", b"", "sw-1", "social_worker", "130102001001")
OTHER_WORKER = ("/api/v1/views/needs/n1", b"", "sw-2", "social_worker", "130104001001")


def cache(ttl_s: float = 30.0, max_bytes: int = 1 << 20) -> ViewCache:
    generations = Generations(SERVICES)
    generations.hear(True)
    return ViewCache("views", generations, ttl_s, max_bytes)


def asked(*services: str, unavailable: str | None = None) -> Composed:
    composed = Composed()
    composed.asked(
        Section(service=s, status="unavailable" if s == unavailable else "available", data={}) for s in services
    )
    return composed


def answer(body: bytes = b'{"need": 1}') -> Kept:
    return Kept(body, b"application/json")


def keep(views: ViewCache, key=WORKER, body: bytes = b'{"need": 1}', services=("needs", "party")) -> None:
    views.put(key, answer(body), views.generations.now(), asked(*services))


def test_an_answer_is_given_again_to_the_same_caller_only():
    views = cache()
    keep(views)
    assert views.get(WORKER).body == b'{"need": 1}'
    assert views.get(OTHER_WORKER) is None
    same_person_other_role = (*WORKER[:3], "civil_affairs", WORKER[4])
    assert views.get(same_person_other_role) is None


def test_a_change_of_a_service_it_asked_ends_it_and_of_another_service_does_not():
    views = cache()
    keep(views, services=("needs", "party"))
    views.generations.changed("exchange")
    views.generations.changed("charity")
    assert views.get(WORKER) is not None
    views.generations.changed("party")
    assert views.get(WORKER) is None


def test_a_change_heard_while_it_was_composed_keeps_it_from_being_kept():
    views = cache()
    before = views.generations.now()
    views.generations.changed("needs")  # the needs service changed after the view began asking
    views.put(WORKER, answer(), before, asked("needs", "party"))
    assert views.get(WORKER) is None


def test_nothing_is_kept_or_given_while_a_change_could_go_unheard():
    views = cache()
    keep(views)
    views.generations.hear(False)  # NATS away
    assert views.get(WORKER) is None
    keep(views)
    assert views.get(WORKER) is None
    views.generations.hear(True)  # back: what was kept before may have missed a change
    assert views.get(WORKER) is None


def test_an_answer_lives_at_most_its_time_to_live(monkeypatch):
    views = cache(ttl_s=30.0)
    keep(views)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 22.0)  # within the spread's floor
    assert views.get(WORKER) is not None
    later = now + 30.5
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert views.get(WORKER) is None


def test_an_answer_with_a_section_that_did_not_answer_is_not_kept():
    views = cache()
    views.put(WORKER, answer(), views.generations.now(), asked("needs", "charity", unavailable="charity"))
    assert views.get(WORKER) is None


def test_a_time_to_live_of_zero_keeps_nothing():
    views = cache(ttl_s=0.0)
    keep(views)
    assert views.get(WORKER) is None


def test_the_least_recently_used_answers_go_first_beyond_the_size():
    views = cache(max_bytes=250)
    keys = [(f"/api/v1/views/needs/n{i}", b"", "sw-1", "social_worker", "130102001001") for i in range(3)]
    for key in keys[:2]:
        keep(views, key, body=b"x" * 100)
    assert views.get(keys[0]) is not None  # used: now the most recent
    keep(views, keys[2], body=b"x" * 100)
    assert views.get(keys[1]) is None
    assert views.get(keys[0]) is not None and views.get(keys[2]) is not None
