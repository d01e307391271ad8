"""The charity service's pure rules: the 2 % cap on service purchases from the social-assistance
fund, restricted-money-first funding splits, balanced entries and the ledger's hash chain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.charity import domain, ledger
from services.charity.domain import FundKind, Refusal, split_funding, two_percent_rule
from services.charity.ledger import GENESIS, Entry, Unbalanced, check_balanced, entry_hash, verify_chain

SA = FundKind.SOCIAL_ASSISTANCE.value
OTHER_KINDS = [k.value for k in FundKind if k is not FundKind.SOCIAL_ASSISTANCE]


# --- the 2 % rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_only_the_social_assistance_fund_is_capped(kind):
    assert two_percent_rule(kind, "service_purchase", None, 0, 10**12) is None
    assert two_percent_rule(kind, "service_purchase", 100, 2, 1) is None


def test_only_service_purchases_count():
    assert two_percent_rule(SA, "other", 100_000, 2_000, 10**9) is None
    assert two_percent_rule(SA, "other", None, 0, 1) is None  # no budget needed for other purposes


def test_the_enum_member_and_its_code_are_the_same_kind():
    assert two_percent_rule(FundKind.SOCIAL_ASSISTANCE, "service_purchase", 100, 0, 3) == two_percent_rule(
        SA, "service_purchase", 100, 0, 3
    )


def test_no_budget_is_refused():
    refusal = two_percent_rule(SA, "service_purchase", None, 0, 1)
    assert isinstance(refusal, Refusal) and refusal.rule == "no_budget"


def test_exactly_at_the_cap_is_allowed_one_fen_over_is_refused():
    budget, cap = 1_000_000, 20_000
    assert two_percent_rule(SA, "service_purchase", budget, 15_000, 5_000) is None
    assert two_percent_rule(SA, "service_purchase", budget, 0, cap) is None
    refusal = two_percent_rule(SA, "service_purchase", budget, 15_000, 5_001)
    assert refusal is not None and refusal.rule == "two_percent_cap"
    assert f"上限 {cap} 分" in refusal.reason and f"cap {cap} fen" in refusal.reason
    assert "2%" in refusal.reason and str(budget) in refusal.reason
    over = two_percent_rule(SA, "service_purchase", budget, 0, cap + 1)
    assert over is not None and over.rule == "two_percent_cap"


def test_the_cap_rounds_down_to_whole_fen():
    assert two_percent_rule(SA, "service_purchase", 149, 0, 2) is None  # 2.98 fen → 2
    assert two_percent_rule(SA, "service_purchase", 149, 0, 3).rule == "two_percent_cap"
    assert two_percent_rule(SA, "service_purchase", 0, 0, 1).rule == "two_percent_cap"  # a zero budget buys nothing


@given(budget=st.integers(0, 10**11), committed=st.integers(0, 10**9), amount=st.integers(1, 10**9))
def test_refused_exactly_when_the_year_would_exceed_two_percent(budget, committed, amount):
    refusal = two_percent_rule(SA, "service_purchase", budget, committed, amount)
    over = (committed + amount) * 100 > budget * 2  # more than 2 % of the budget, in exact arithmetic
    assert (refusal is not None) == over
    if refusal:
        assert refusal.rule == "two_percent_cap" and str(budget * 2 // 100) in refusal.reason


# --- splitting a funding request ----------------------------------------------------------------

E1, E2, E3 = UUID(int=1), UUID(int=2), UUID(int=3)


def test_restricted_money_is_taken_first_in_order():
    assert split_funding(400, [(E1, 300), (E2, 200)], 1_000) == [
        (domain.restricted_account(E1), 300),
        (domain.restricted_account(E2), 100),
    ]


def test_then_the_funds_free_money():
    assert split_funding(700, [(E1, 300), (E2, 200)], 1_000) == [
        (domain.restricted_account(E1), 300),
        (domain.restricted_account(E2), 200),
        ("fund", 200),
    ]
    assert split_funding(50, [], 50) == [("fund", 50)]


def test_short_is_refused():
    assert split_funding(1_501, [(E1, 300), (E2, 200)], 1_000) is None
    assert split_funding(1, [], 0) is None
    assert split_funding(1_500, [(E1, 300), (E2, 200)], 1_000) is not None  # exactly enough


def test_empty_earmarks_are_skipped():
    assert split_funding(100, [(E1, 0), (E2, 100), (E3, 50)], 0) == [(domain.restricted_account(E2), 100)]


@given(amount=st.integers(1, 10_000), free=st.integers(0, 10_000), held=st.lists(st.integers(0, 3_000), max_size=5))
def test_a_split_never_takes_more_than_each_source_holds(amount, free, held):
    restricted = [(UUID(int=i + 1), h) for i, h in enumerate(held)]
    split = split_funding(amount, restricted, free)
    if amount > sum(held) + free:
        assert split is None
        return
    assert split is not None and sum(v for _, v in split) == amount and all(v > 0 for _, v in split)
    holds = {domain.restricted_account(e): h for e, h in restricted} | {"fund": free}
    assert all(v <= holds[a] for a, v in split)
    assert len({a for a, _ in split}) == len(split)
    taken = dict(split)
    # restricted first: free money is used only once every earmark is empty, and earmarks in order
    if "fund" in taken:
        assert all(taken.get(domain.restricted_account(e), 0) == h for e, h in restricted)
    amounts = [taken.get(domain.restricted_account(e), 0) for e, _ in restricted]
    for i, (_, h) in enumerate(restricted):
        if amounts[i] < h:
            assert sum(amounts[i + 1 :]) == 0 and "fund" not in taken


# --- balanced entries ----------------------------------------------------------------------------


def test_a_balanced_entry_passes():
    check_balanced((("world", -100), ("fund:a", 100)))
    check_balanced((("fund:a", -100), ("restricted:x", 60), ("committed:y", 40)))


@pytest.mark.parametrize(
    "postings",
    [
        (),
        (("fund:a", 0),),
        (("fund:a", 100),),
        (("world", -100), ("fund:a", 99)),
        (("world", -100), ("fund:a", 100), ("fund:b", 1)),
        (("world", 0), ("fund:a", 0)),
        (("world", -100), ("fund:a", 100), ("fund:b", 0)),
        (("fund:a", -100), ("fund:a", 100)),
    ],
)
def test_an_unbalanced_entry_is_refused(postings):
    with pytest.raises(Unbalanced):
        check_balanced(postings)


# --- the hash chain ---------------------------------------------------------------------------------

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def entry(i: int, amount: int = 100, memo: str = "") -> Entry:
    return Entry(
        id=uuid4(),
        kind="donation",
        reference=f"donation:{i}",
        memo=memo or f"捐赠收据 R{i:04d}",
        unit="fen",
        created_by="cz-1",
        created_at=T0 + timedelta(minutes=i),
        postings=(("world", -amount), (f"fund:{i % 3}", amount)),
    )


def chain_of(entries: list[Entry], first_seq: int = 1) -> list[tuple[int, str, str, Entry]]:
    rows, prev = [], GENESIS
    for n, e in enumerate(entries):
        h = entry_hash(prev, e)
        rows.append((first_seq + n, prev, h, e))
        prev = h
    return rows


def with_entry(rows, k: int, new: Entry):
    seq, prev, h, _ = rows[k]
    return rows[:k] + [(seq, prev, h, new)] + rows[k + 1 :]


def test_a_good_chain_verifies():
    assert verify_chain([]) is None
    assert verify_chain(chain_of([entry(i, 100 + i) for i in range(8)], first_seq=41)) is None


def test_the_hash_covers_every_field_and_the_previous_hash():
    e = entry(1)
    h = entry_hash(GENESIS, e)
    assert len(h) == 64 and h == entry_hash(GENESIS, e)
    assert entry_hash("1" * 64, e) != h
    for change in (
        {"memo": "x"},
        {"kind": "refund"},
        {"reference": "donation:2"},
        {"unit": "points"},
        {"created_by": "someone"},
        {"created_at": e.created_at + timedelta(microseconds=1)},
        {"id": uuid4()},
        {"postings": (("world", -101), ("fund:1", 101))},
    ):
        assert entry_hash(GENESIS, dataclasses.replace(e, **change)) != h, change
    # the order postings are read back in does not matter
    assert entry_hash(GENESIS, dataclasses.replace(e, postings=tuple(reversed(e.postings)))) == h


@pytest.mark.parametrize("k", [0, 3, 7])
def test_a_changed_amount_is_found_at_its_entry(k):
    rows = chain_of([entry(i) for i in range(8)])
    e = rows[k][3]
    still_balanced = dataclasses.replace(e, postings=((e.postings[0][0], -150), (e.postings[1][0], 150)))
    broken = verify_chain(with_entry(rows, k, still_balanced))
    assert broken is not None and broken.seq == rows[k][0] and "hash" in broken.reason
    one_side = dataclasses.replace(e, postings=((e.postings[0][0], -100), (e.postings[1][0], 101)))
    assert verify_chain(with_entry(rows, k, one_side)).seq == rows[k][0]


@pytest.mark.parametrize("k", [0, 4, 7])
def test_a_changed_memo_is_found_at_its_entry(k):
    rows = chain_of([entry(i) for i in range(8)], first_seq=100)
    broken = verify_chain(with_entry(rows, k, dataclasses.replace(rows[k][3], memo="改过的备注")))
    assert broken is not None and broken.seq == 100 + k


def test_a_changed_order_is_found_where_the_order_breaks():
    rows = chain_of([entry(i) for i in range(6)], first_seq=10)
    # the rows' contents of positions 2 and 4 trade places (seq stays the order of the table)
    swapped = list(rows)
    swapped[2] = (rows[2][0], *rows[4][1:])
    swapped[4] = (rows[4][0], *rows[2][1:])
    broken = verify_chain(swapped)
    assert broken is not None and broken.seq == 12 and "prev_hash" in broken.reason
    adjacent = rows[:3] + [rows[4], rows[3]] + rows[5:]
    assert verify_chain(adjacent).seq == rows[4][0]


@pytest.mark.parametrize("k", [0, 2, 5])
def test_a_changed_prev_hash_is_found_at_its_entry(k):
    rows = chain_of([entry(i) for i in range(6)], first_seq=1)
    seq, _, h, e = rows[k]
    tampered = rows[:k] + [(seq, "f" * 64, h, e)] + rows[k + 1 :]
    broken = verify_chain(tampered)
    assert broken is not None and broken.seq == seq and "prev_hash" in broken.reason


def test_an_entry_rehashed_after_editing_breaks_the_link_to_the_next():
    rows = chain_of([entry(i) for i in range(5)])
    seq, prev, _, e = rows[2]
    edited = dataclasses.replace(e, memo="改过")
    tampered = rows[:2] + [(seq, prev, entry_hash(prev, edited), edited)] + rows[3:]
    assert verify_chain(tampered).seq == rows[3][0]


def test_a_removed_entry_is_found_at_its_successor():
    rows = chain_of([entry(i) for i in range(5)])
    assert verify_chain(rows[:2] + rows[3:]).seq == rows[3][0]


def test_an_unbalanced_entry_with_a_matching_hash_is_still_refused():
    rows = chain_of([entry(0), dataclasses.replace(entry(1), postings=(("world", -100), ("fund:1", 90)))])
    broken = verify_chain(rows)
    assert broken is not None and broken.seq == 2
    assert verify_chain(chain_of([dataclasses.replace(entry(0), postings=())])).seq == 1


@given(n=st.integers(1, 12), data=st.data())
def test_any_single_change_is_found_at_the_changed_entry(n, data):
    rows = chain_of([entry(i, 1 + i) for i in range(n)], first_seq=data.draw(st.integers(1, 10**6)))
    k = data.draw(st.integers(0, n - 1))
    seq, prev, h, e = rows[k]
    how = data.draw(st.sampled_from(["amount", "memo", "prev_hash", "hash", "account"]))
    if how == "amount":
        v = data.draw(st.integers(1, 10**9).filter(lambda v: v != -e.postings[0][1]))
        row = (seq, prev, h, dataclasses.replace(e, postings=((e.postings[0][0], -v), (e.postings[1][0], v))))
    elif how == "memo":
        row = (seq, prev, h, dataclasses.replace(e, memo=e.memo + data.draw(st.text(min_size=1, max_size=5))))
    elif how == "prev_hash":
        row = (seq, data.draw(st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda s: s != prev)), h, e)
    elif how == "hash":
        row = (seq, prev, data.draw(st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda s: s != h)), e)
    else:
        moved = (("world", e.postings[0][1]), ("fund:other", e.postings[1][1]))
        row = (seq, prev, h, dataclasses.replace(e, postings=moved))
    broken = verify_chain(rows[:k] + [row] + rows[k + 1 :])
    assert broken is not None and broken.seq == seq
    assert isinstance(broken, ledger.ChainBreak)


# --- the love supermarket's known holders (issue 12) --------------------------------------------------------


def test_the_events_that_prove_a_holder_real():
    from contracts.events.needs import NeedRaised, ResidentRegistered
    from contracts.events.volunteers import VolunteerRegistered
    from services.charity.supermarket.domain import seen_holder

    at = datetime(2026, 3, 1, tzinfo=UTC)
    area = "130102001001"
    assert seen_holder(VolunteerRegistered(volunteer_ref="v1", area_code=area, registered_at=at)) == (
        "volunteer",
        "v1",
        area,
        at,
    )
    assert seen_holder(ResidentRegistered(resident_ref="r1", area_code=area, registered_at=at)) == (
        "resident",
        "r1",
        area,
        at,
    )
    raised = NeedRaised(
        need_id=uuid4(),
        area_code=area,
        category="daily_care",
        urgency="routine",
        channel="self_report",
        resident_ref="r2",
        raised_by="sw",
        raised_at=at,
    )
    assert seen_holder(raised) == ("resident", "r2", area, at)  # the same ref as the resident's registration


# --- reviewing a disbursement request: approve or reject, once, never one's own (issue 15) -----------------

STATUSES = [s.value for s in domain.DisbursementStatus]


@pytest.mark.parametrize("action", list(domain.Review))
def test_a_request_awaiting_review_may_be_decided_by_another_person(action):
    assert domain.review_refusal("requested", "cz-maker", "cz-checker", action) is None


@pytest.mark.parametrize("action", list(domain.Review))
def test_the_maker_decides_neither_way_on_their_own_request(action):
    refusal = domain.review_refusal("requested", "cz-maker", "cz-maker", action)
    assert refusal is not None and refusal.rule == "maker_checker"
    assert refusal.reason.startswith("申请人不能") and " / " in refusal.reason  # Chinese first, then English


@pytest.mark.parametrize("action", list(domain.Review))
@pytest.mark.parametrize("status", ["disbursed", "rejected"])
def test_a_decided_request_is_decided_once(status, action):
    for checker in ("cz-checker", "cz-maker"):  # the state is named first, whoever asks
        refusal = domain.review_refusal(status, "cz-maker", checker, action)
        assert refusal is not None and refusal.rule == "state", refusal
    zh, en = domain.review_refusal(status, "cz-maker", "cz-checker", action).reason.split(" / ")
    assert domain.DisbursementStatus(status).zh in zh and action.zh in zh
    assert en.endswith("approved" if action is domain.Review.APPROVE else "rejected")


@given(
    st.sampled_from(STATUSES),
    st.sampled_from(["a", "b"]),
    st.sampled_from(["a", "b"]),
    st.sampled_from(list(domain.Review)),
)
def test_only_a_requested_disbursement_decided_by_someone_else_passes(status, maker, checker, action):
    allowed = domain.review_refusal(status, maker, checker, action) is None
    assert allowed == (status == "requested" and maker != checker)


def test_every_status_has_a_chinese_label():
    assert {s.value: s.zh for s in domain.DisbursementStatus} == {
        "requested": "待复核",
        "disbursed": "已拨付",
        "rejected": "已驳回",
    }
