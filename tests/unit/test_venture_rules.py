"""Venture philanthropy: winners are the best-ranked applications the pool can fund in full."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.projects.procurement.domain import RankedBid
from services.projects.venture.domain import winners

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def app(name: str, score: float, asked: int, minutes: int = 0) -> RankedBid:
    return RankedBid(name, score, asked, T0 + timedelta(minutes=minutes))


def test_the_best_that_fit_win_and_a_too_large_one_is_passed_over():
    chosen = winners([app("a", 90, 60), app("b", 85, 50), app("c", 80, 40), app("d", 70, 10)], pool_fen=100)
    assert [w.bid_id for w in chosen] == ["a", "c"]  # b no longer fits after a; c does; d would overflow


def test_ties_go_to_the_smaller_request_then_the_earlier():
    chosen = winners([app("late", 88, 30, 5), app("big", 88, 50), app("early", 88, 30, 1)], pool_fen=60)
    assert [w.bid_id for w in chosen] == ["early", "late"]


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(1, 1_000)), max_size=30), st.integers(0, 5_000))
def test_never_more_than_the_pool(apps, pool):
    chosen = winners([app(str(i), s, a, i) for i, (s, a) in enumerate(apps)], pool)
    assert sum(w.price_fen for w in chosen) <= pool
    assert len({w.bid_id for w in chosen}) == len(chosen)
