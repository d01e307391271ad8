"""Who wins a venture-philanthropy call: the best-ranked applications (score, then the smaller
request, then the earlier one), each funded in full while the pool still holds it — one that no
longer fits is passed over for the next that does."""

from __future__ import annotations

from collections.abc import Sequence

from services.projects.procurement.domain import RankedBid, rank


def winners(candidates: Sequence[RankedBid], pool_fen: int) -> list[RankedBid]:
    chosen, left = [], pool_fen
    for candidate in rank(candidates):
        if candidate.price_fen <= left:
            chosen.append(candidate)
            left -= candidate.price_fen
    return chosen
