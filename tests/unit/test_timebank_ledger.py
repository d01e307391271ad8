"""The time bank's pure ledger: a Hypothesis state machine over earn / transfer / redeem /
exchange / clearing / replay, plus table tests of amounts, the floor and the family limit."""

from __future__ import annotations

from itertools import count

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.volunteers.timebank import domain
from services.volunteers.timebank.domain import (
    BelowFloor,
    InvalidAmount,
    Kind,
    LimitExceeded,
    ReferenceConflict,
    Unbalanced,
)

BANKS = ("130102001001", "130102001002", "130104002001")
PEOPLE = {f"v{i}": BANKS[i % len(BANKS)] for i in range(5)}  # volunteer -> home bank
LIMIT = 3_000


def account(person: str) -> domain.Account:
    return domain.volunteer(PEOPLE[person], person)


people = st.sampled_from(sorted(PEOPLE))
banks = st.sampled_from(BANKS)
units = st.integers(min_value=1, max_value=2_000)


class TimeBank(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = domain.Ledger(floor=0)
        self.given: dict[str, int] = {p: 0 for p in PEOPLE}  # transfers per giver (the limit's year)
        self.references = count()

    def ref(self) -> str:
        return f"r{next(self.references)}"

    def volunteers_total(self) -> int:
        return sum(self.book.balance(account(p)) for p in PEOPLE)

    def try_apply(self, txn: domain.Transaction) -> bool:
        """Apply; a refusal must leave every balance as it was."""
        before = dict(self.book.balances)
        try:
            return self.book.apply(txn)
        except (BelowFloor, LimitExceeded):
            assert dict(self.book.balances) == before
            return False

    @rule(person=people, bank=banks, minutes=st.integers(min_value=1, max_value=600))
    def earn(self, person, bank, minutes):
        amount = domain.units_for(minutes, 1.0)
        before = self.book.balance(account(person))
        assert self.book.apply(domain.earn(account(person), bank, amount, self.ref()))
        assert self.book.balance(account(person)) == before + amount

    @rule(giver=people, receiver=people, amount=units)
    def transfer(self, giver, receiver, amount):
        if giver == receiver:
            return
        pair = lambda: self.book.balance(account(giver)) + self.book.balance(account(receiver))  # noqa: E731
        before, total = pair(), self.volunteers_total()
        try:
            domain.check_transfer_limit(self.given[giver], amount, LIMIT)
        except LimitExceeded:
            return
        if self.try_apply(domain.transfer(account(giver), account(receiver), amount, self.ref())):
            self.given[giver] += amount
        assert pair() == before and self.volunteers_total() == total  # transfers conserve credits
        assert self.given[giver] <= LIMIT

    @rule(person=people, bank=banks, amount=units)
    def redeem(self, person, bank, amount):  # at the own bank or another one
        before = self.book.balance(domain.redemption(bank))
        applied = self.try_apply(domain.redeem(account(person), bank, amount, self.ref()))
        assert self.book.balance(domain.redemption(bank)) == before + (amount if applied else 0)

    @rule(person=people, amount=units)
    def exchange(self, person, amount):
        self.try_apply(domain.exchange(account(person), amount, self.ref()))

    @rule()
    def clearing(self):
        txns, nets = domain.clearing(self.book.due_balances(), self.ref())
        assert len(txns) == len(nets) and all(n.units > 0 for n in nets)
        for txn in txns:
            assert self.book.apply(txn)
        assert all(balance == 0 for balance in self.book.due_balances().values())

    @precondition(lambda self: self.book.transactions)
    @rule(data=st.data())
    def reapply(self, data):
        txn = data.draw(st.sampled_from(sorted(self.book.transactions.values(), key=lambda t: t.reference)))
        before = dict(self.book.balances)
        assert self.book.apply(txn) is False  # already applied: a no-op
        assert dict(self.book.balances) == before
        if txn.postings[0].units > 1:  # the same reference with another effect is refused
            changed = domain.Transaction(
                txn.kind,
                txn.reference,
                tuple(domain.Posting(p.account, p.units // abs(p.units) * (abs(p.units) - 1)) for p in txn.postings),
            )
            with pytest.raises(ReferenceConflict):
                self.book.apply(changed)

    @invariant()
    def every_transaction_sums_to_zero_in_every_bank(self):
        for txn in self.book.transactions.values():
            domain.check_balanced(txn.postings)
            assert sum(p.units for p in txn.postings) == 0

    @invariant()
    def all_balances_sum_to_zero(self):
        assert sum(self.book.balances.values()) == 0

    @invariant()
    def no_volunteer_below_the_floor(self):
        assert all(b >= self.book.floor for a, b in self.book.balances.items() if a.kind == Kind.VOLUNTEER)

    @invariant()
    def due_accounts_mirror_each_other(self):
        for a, balance in self.book.due_balances().items():
            assert self.book.balance(domain.due(a.counterparty, a.bank)) == -balance


TimeBank.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestTimeBank = TimeBank.TestCase


# --- table tests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "rate", "expected"),
    [
        (60, 1.0, 100),  # one hour, one credit
        (90, 1.0, 150),
        (1, 1.0, 2),  # 1.67 rounds up
        (20, 1.0, 33),  # 33.3 rounds down
        (1, 1.5, 3),  # 2.5: half up, not to even
        (45, 2.0, 150),
        (60, 0.1, 10),  # exact in Decimal, not 9.999… in float
    ],
)
def test_units_for_minutes(minutes, rate, expected):
    assert domain.units_for(minutes, rate) == expected


def test_units_for_refuses_no_time():
    with pytest.raises(InvalidAmount):
        domain.units_for(0, 1.0)


@pytest.mark.parametrize(
    ("given", "amount", "refused"),
    [
        (0, 5_000, False),
        (4_000, 1_000, False),
        (4_000, 1_001, True),
        (5_000, 1, True),
        (0, 5_001, True),
    ],
)
def test_family_transfer_limit(given, amount, refused):
    if refused:
        with pytest.raises(LimitExceeded):
            domain.check_transfer_limit(given, amount, 5_000)
    else:
        domain.check_transfer_limit(given, amount, 5_000)


@pytest.mark.parametrize(
    ("balance", "amount", "floor", "refused"),
    [
        (100, 100, 0, False),
        (100, 101, 0, True),
        (0, 1, 0, True),
        (0, 50, -50, False),
        (0, 51, -50, True),
    ],
)
def test_floor(balance, amount, floor, refused):
    book = domain.Ledger(floor=floor)
    me = domain.volunteer(BANKS[0], "me")
    if balance:
        book.apply(domain.earn(me, BANKS[0], balance, "seed"))
    txn = domain.exchange(me, amount, "x")
    if refused:
        with pytest.raises(BelowFloor):
            book.apply(txn)
        assert book.balance(me) == balance
    else:
        assert book.apply(txn)
        assert book.balance(me) == balance - amount


def test_redeeming_at_another_bank_goes_through_the_due_pair():
    home, other = BANKS[0], BANKS[1]
    me = domain.volunteer(home, "me")
    txn = domain.redeem(me, other, 300, "r")
    assert {(p.account, p.units) for p in txn.postings} == {
        (me, -300),
        (domain.due(home, other), 300),
        (domain.due(other, home), -300),
        (domain.redemption(other), 300),
    }


def test_clearing_nets_each_pair_once_and_moves_the_liability():
    book = domain.Ledger()
    a, b = domain.volunteer(BANKS[0], "a"), domain.volunteer(BANKS[1], "b")
    book.apply(domain.earn(a, BANKS[0], 500, "ea"))
    book.apply(domain.earn(b, BANKS[1], 500, "eb"))
    book.apply(domain.redeem(a, BANKS[1], 300, "ra"))  # bank 0 owes bank 1: 300
    book.apply(domain.redeem(b, BANKS[0], 100, "rb"))  # … less 100
    txns, nets = domain.clearing(book.due_balances(), "c")
    assert [(n.debtor, n.creditor, n.units) for n in nets] == [(BANKS[0], BANKS[1], 200)]
    for txn in txns:
        book.apply(txn)
    assert book.due_balances() == {domain.due(BANKS[0], BANKS[1]): 0, domain.due(BANKS[1], BANKS[0]): 0}
    assert book.balance(domain.issuance(BANKS[0])) == -300 and book.balance(domain.issuance(BANKS[1])) == -700


@pytest.mark.parametrize(
    "postings",
    [
        [],
        [(BANKS[0], 5)],
        [(BANKS[0], 5), (BANKS[0], -4)],
        [(BANKS[0], 5), (BANKS[1], -5)],  # zero in total, but neither bank's books balance
        [(BANKS[0], 0), (BANKS[0], 0)],
    ],
)
def test_unbalanced_postings_are_refused(postings):
    with pytest.raises(Unbalanced):
        domain.check_balanced([domain.Posting(domain.issuance(bank), amount) for bank, amount in postings])


def test_amounts_must_be_positive():
    with pytest.raises(InvalidAmount):
        domain.exchange(domain.volunteer(BANKS[0], "me"), 0, "x")
