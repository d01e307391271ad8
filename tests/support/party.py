"""Test helpers for flows that need a community party committee (through the gateway)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from contracts.values import citizen_id_check_char

_serial = itertools.count(1)
PART_TIME_ACTORS = [None, "social_org", "social_worker", "volunteer", "charity"]


def citizen_id(prefix: str = "13010219") -> str:
    n = next(_serial)
    body = f"{prefix}{70 + n % 20:02d}0101{n % 1000:03d}"
    return body + citizen_id_check_char(body)


def bearer(token, role: str, area: str, sub: str = "dw-shuji") -> dict:
    return {"Authorization": f"Bearer {token(role, area, sub)}"}


async def committee(client, token, community: str, size: int = 5, prefix: str = "13010219") -> tuple[str, list[str]]:
    """A community party committee with `size` seats — the secretary and part-time members drawn
    from the other actors — registered by the community's party secretary. → (org id, seat ids)."""
    secretary = bearer(token, "party_secretary", community)
    org = await client.post(
        "/party-organizations",
        headers=secretary,
        json={"name": f"{community} 社区党委", "kind": "committee", "area_code": community},
    )
    assert org.status_code == 201, org.text
    org_id, seats = org.json()["id"], []
    for n in range(size):
        member = await client.post(
            "/party-members",
            headers=secretary,
            json={
                "org_id": org_id,
                "name": f"委员{'甲乙丙丁戊己庚辛壬癸'[n % 10]}",
                "phone": f"1390000{next(_serial) % 10000:04d}",
                "citizen_id": citizen_id(prefix),
                "area_code": community,
                "in_service": n > 0,
                "employer": "长安区某单位" if n else "",
                "skills": ["调解"],
            },
        )
        assert member.status_code == 201, member.text
        actor = PART_TIME_ACTORS[n % len(PART_TIME_ACTORS)]
        seat = await client.post(
            f"/party-organizations/{org_id}/committee",
            headers=secretary,
            json={
                "member_id": member.json()["id"],
                "position": "secretary" if n == 0 else "member",
                "part_time": actor is not None,
                "from_actor": actor,
                "since": "2026-01-01",
            },
        )
        assert seat.status_code == 201, seat.text
        seats.append(seat.json()["id"])
    return org_id, seats


def votes(seats: list[str], *cast: str) -> list[dict]:
    return [{"seat_id": s, "vote": v} for s, v in zip(seats, cast, strict=False)]


def decision(seats: list[str], outcome: str, *cast: str, reasons: str = "") -> dict:
    return {
        "meeting_held_at": datetime.now(UTC).isoformat(),
        "votes": votes(seats, *cast),
        "outcome": outcome,
        "reasons": reasons,
    }
