"""Pure rules of the time bank (时间银行): a double-entry ledger in integer units (100 units =
1 credit, like fen). No I/O: the service and the property tests share these functions.

Every community bank (a 12-digit area code) keeps its own books. A posting's sign is what it
does to the account's balance: earning moves units from the bank's `issuance` account (which
goes negative: the credits it owes) to the volunteer. Units moving between two banks pass
through a mirrored pair of `due` accounts, so each bank's books balance on their own and the
position between the banks stays visible until clearing (通存通兑):

    due(A→B) > 0   A owes B that many units;  due(B→A) is always its mirror, -due(A→B).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from contracts.taxonomy import LabelledEnum

UNITS_PER_CREDIT = 100
CHINA = ZoneInfo("Asia/Shanghai")  # the transfer limit runs per calendar year, Beijing time


class Kind(StrEnum):
    VOLUNTEER = "volunteer"
    ISSUANCE = "issuance"  # where credits come from; negative = the bank's liability
    REDEMPTION = "redemption"  # services bought with credits at this bank
    EXCHANGE = "exchange"  # credits turned into charity points (积分互兑)
    DUE = "due"  # the position towards another bank


class TxnKind(LabelledEnum):
    EARN = "earn", "服务所得", "Earned by service"
    TRANSFER = "transfer", "亲属转赠", "Family transfer"
    REDEEM = "redeem", "兑换服务", "Paid a service"
    EXCHANGE = "exchange", "兑换爱心积分", "Exchanged for charity points"
    SETTLE = "settle", "银行间清算", "Inter-bank clearing"


@dataclass(frozen=True, order=True)
class Account:
    kind: Kind
    bank: str
    volunteer: str | None = None  # the volunteer's id, for Kind.VOLUNTEER
    counterparty: str | None = None  # the other bank, for Kind.DUE


def volunteer(bank: str, volunteer_id: object) -> Account:
    return Account(Kind.VOLUNTEER, bank, volunteer=str(volunteer_id))


def issuance(bank: str) -> Account:
    return Account(Kind.ISSUANCE, bank)


def redemption(bank: str) -> Account:
    return Account(Kind.REDEMPTION, bank)


def exchange_account(bank: str) -> Account:
    return Account(Kind.EXCHANGE, bank)


def due(bank: str, counterparty: str) -> Account:
    return Account(Kind.DUE, bank, counterparty=counterparty)


@dataclass(frozen=True)
class Posting:
    account: Account
    units: int


@dataclass(frozen=True)
class Transaction:
    kind: TxnKind
    reference: str  # the idempotency key: one transaction per (kind, reference)
    postings: tuple[Posting, ...]

    @property
    def key(self) -> tuple[TxnKind, str]:
        return self.kind, self.reference

    @property
    def accounts(self) -> list[Account]:
        return sorted({p.account for p in self.postings})

    def same_effect(self, other: Transaction) -> bool:
        return self.key == other.key and Counter(self.postings) == Counter(other.postings)


# --- refusals ------------------------------------------------------------------------------


class LedgerError(Exception):
    """A refused transaction; `rule` names the rule, `field` the request field it concerns."""

    rule = "ledger"
    field = "units"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unbalanced(LedgerError):
    rule = "balanced"


class InvalidAmount(LedgerError):
    rule = "positive_units"


class BelowFloor(LedgerError):
    rule = "floor"


class LimitExceeded(LedgerError):
    rule = "family_transfer_limit"


class ReferenceConflict(LedgerError):
    rule = "reference_reused"
    field = "reference"


# --- amounts -------------------------------------------------------------------------------


def units_for(minutes: int, rate: float) -> int:
    """1 verified hour = `rate` credits. Decimal and half-up, so 1.5 credits/h for 1 minute is
    2.5 → 3 units, not float noise or banker's rounding."""
    if minutes <= 0:
        raise InvalidAmount(f"时长须为正数 / minutes must be positive: {minutes}")
    exact = Decimal(minutes) * Decimal(str(rate)) * UNITS_PER_CREDIT / 60
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_positive(units: int) -> None:
    if units <= 0:
        raise InvalidAmount(f"数额须为正整数 / units must be a positive integer: {units}")


def credits_text(units: int) -> str:
    return f"{Decimal(units) / UNITS_PER_CREDIT:.2f}"


# --- building transactions ------------------------------------------------------------------


def move(source: Account, target: Account, units: int) -> tuple[Posting, ...]:
    """Units from one account to another; across banks through the due pair, so that each
    bank's books balance and the inter-bank position is recorded."""
    check_positive(units)
    if source.bank == target.bank:
        return Posting(source, -units), Posting(target, units)
    a, b = source.bank, target.bank
    return Posting(source, -units), Posting(due(a, b), units), Posting(due(b, a), -units), Posting(target, units)


def earn(account: Account, bank: str, units: int, reference: str) -> Transaction:
    """Verified hours at `bank` (where the service was given) credited to the volunteer's own account."""
    return Transaction(TxnKind.EARN, reference, move(issuance(bank), account, units))


def transfer(giver: Account, receiver: Account, units: int, reference: str) -> Transaction:
    return Transaction(TxnKind.TRANSFER, reference, move(giver, receiver, units))


def redeem(account: Account, at_bank: str, units: int, reference: str) -> Transaction:
    return Transaction(TxnKind.REDEEM, reference, move(account, redemption(at_bank), units))


def exchange(account: Account, units: int, reference: str) -> Transaction:
    return Transaction(TxnKind.EXCHANGE, reference, move(account, exchange_account(account.bank), units))


def settle(debtor: str, creditor: str, units: int, reference: str) -> Transaction:
    """Close `units` of what `debtor` owes `creditor`: the liability for those credits moves from
    the debtor's issuance to the creditor's, who gave the service."""
    check_positive(units)
    return Transaction(
        TxnKind.SETTLE,
        reference,
        (
            Posting(due(debtor, creditor), -units),
            Posting(issuance(debtor), units),
            Posting(due(creditor, debtor), units),
            Posting(issuance(creditor), -units),
        ),
    )


@dataclass(frozen=True)
class PairNet:
    debtor: str
    creditor: str
    units: int


def clearing(due_balances: Mapping[Account, int], reference: str) -> tuple[list[Transaction], list[PairNet]]:
    """Settlements that bring every pair's position to zero, one transaction per pair."""
    txns, nets = [], []
    for account, balance in sorted(due_balances.items()):
        if account.kind != Kind.DUE or balance == 0 or account.bank > account.counterparty:
            continue  # each pair once, from its lower bank code
        debtor, creditor = (account.bank, account.counterparty) if balance > 0 else (account.counterparty, account.bank)
        nets.append(PairNet(debtor, creditor, abs(balance)))
        txns.append(settle(debtor, creditor, abs(balance), f"{reference}:{debtor}:{creditor}"))
    return txns, nets


# --- checks before any write ----------------------------------------------------------------


def check_balanced(postings: Iterable[Posting]) -> None:
    """At least two non-zero postings, summing to zero in each bank's books (so in total too)."""
    postings = list(postings)
    if len(postings) < 2:
        raise Unbalanced("一笔交易至少两条分录 / a transaction needs at least two postings")
    if any(p.units == 0 for p in postings):
        raise Unbalanced("分录金额不能为零 / a posting cannot be zero")
    per_bank: dict[str, int] = defaultdict(int)
    for p in postings:
        per_bank[p.account.bank] += p.units
    unbalanced = {bank: total for bank, total in per_bank.items() if total}
    if unbalanced:
        raise Unbalanced(f"借贷不平 / postings do not sum to zero: {unbalanced}")


def debits(txn: Transaction) -> dict[Account, int]:
    """Volunteer accounts the transaction takes units from, with the amount taken."""
    net: dict[Account, int] = defaultdict(int)
    for p in txn.postings:
        if p.account.kind == Kind.VOLUNTEER:
            net[p.account] += p.units
    return {account: -units for account, units in net.items() if units < 0}


def check_floor(txn: Transaction, balances: Mapping[Account, int], floor: int) -> None:
    for account, units in debits(txn).items():
        balance = balances.get(account, 0)
        if balance - units < floor:
            raise BelowFloor(
                f"余额不足：余额 {balance}，支出 {units}，下限 {floor}（单位，100 = 1 积分）/ "
                f"balance {balance} minus {units} would fall below the floor {floor} (units)"
            )


def check_transfer_limit(given_this_year: int, units: int, limit: int) -> None:
    if given_this_year + units > limit:
        raise LimitExceeded(
            f"超出年度亲属转赠上限：本年已转 {given_this_year}，上限 {limit} / "
            f"yearly family transfer limit: {given_this_year} given of {limit} (units)"
        )


def _year_of(at: datetime) -> tuple[datetime, datetime]:
    start = datetime(at.astimezone(CHINA).year, 1, 1, tzinfo=CHINA)
    return start, start.replace(year=start.year + 1)


# --- an in-memory ledger (the model the property tests check) ---------------------------------


@dataclass
class Ledger:
    floor: int = 0
    balances: dict[Account, int] = field(default_factory=lambda: defaultdict(int))
    transactions: dict[tuple[TxnKind, str], Transaction] = field(default_factory=dict)

    def apply(self, txn: Transaction) -> bool:
        """Post `txn`; False when that reference was already applied with the same effect."""
        prior = self.transactions.get(txn.key)
        if prior is not None:
            if prior.same_effect(txn):
                return False
            raise ReferenceConflict(f"引用 {txn.reference} 已用于另一笔交易 / reference already used differently")
        check_balanced(txn.postings)
        check_floor(txn, self.balances, self.floor)
        for p in txn.postings:
            self.balances[p.account] += p.units
        self.transactions[txn.key] = txn
        return True

    def balance(self, account: Account) -> int:
        return self.balances.get(account, 0)

    def due_balances(self) -> dict[Account, int]:
        return {a: b for a, b in self.balances.items() if a.kind == Kind.DUE}
