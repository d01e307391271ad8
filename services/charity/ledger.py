"""The charity ledger's pure rules: balanced double entry and the hash chain. No I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

GENESIS = "0" * 64  # the hash before the first entry


class Unbalanced(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    id: UUID
    kind: str
    reference: str
    memo: str
    unit: str  # fen | points
    created_by: str
    created_at: datetime
    postings: tuple[tuple[str, int], ...]  # (account id, amount): + in, - out


def check_balanced(postings: tuple[tuple[str, int], ...]) -> None:
    """At least two postings, each non-zero, on distinct accounts, summing to exactly zero."""
    accounts = [a for a, _ in postings]
    if len(postings) < 2 or len(set(accounts)) != len(accounts) or any(v == 0 for _, v in postings):
        raise Unbalanced(
            "记账分录须至少两行、账户不重复且金额非零 / an entry needs two or more distinct non-zero postings"
        )
    if sum(v for _, v in postings) != 0:
        raise Unbalanced("借贷不平衡 / the postings do not sum to zero")


def entry_hash(prev_hash: str, entry: Entry) -> str:
    """SHA-256 over the previous hash and a canonical form of the entry and its postings (its time
    in UTC, however the time was read)."""
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "id": str(entry.id),
            "kind": entry.kind,
            "reference": entry.reference,
            "memo": entry.memo,
            "unit": entry.unit,
            "by": entry.created_by,
            "at": entry.created_at.astimezone(UTC).isoformat(),
            "postings": sorted([a, v] for a, v in entry.postings),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(rows: list[tuple[int, str, str, Entry]]) -> ChainBreak | None:
    """Walk (seq, prev_hash, hash, entry) in order; the first entry that does not follow is reported."""
    expected_prev = GENESIS
    for seq, prev_hash, stored_hash, entry in rows:
        if prev_hash != expected_prev:
            return ChainBreak(seq, "链接断开：前一哈希不符 / prev_hash does not match the previous entry")
        if entry_hash(prev_hash, entry) != stored_hash:
            return ChainBreak(seq, "内容被修改：哈希不符 / the entry's content does not match its hash")
        try:
            check_balanced(entry.postings)
        except Unbalanced as exc:
            return ChainBreak(seq, str(exc))
        expected_prev = stored_hash
    return None
