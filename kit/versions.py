"""Optimistic concurrency over HTTP: a record's `version` is its ETag, and an update that names the
version it was read at (`If-Match`) is refused with 412 when someone else changed the record since,
so that one person's edit never silently overwrites another's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from kit.problems import Problem, invalid

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="读取时的 ETag：记录此后被他人修改则拒绝（412）/ the ETag you read: refused (412) if the record changed since",
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names; None when there is no precondition (absent, or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise invalid("If-Match", "应为读取时返回的 ETag / must be the ETag a read returned")
    return int(tag)


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Problem(
            412,
            "记录已被修改 / The record has changed",
            "读取后该记录已被他人修改，请重新读取后再提交 / it changed since you read it: read it again, then retry",
            errors=[
                {"field": "If-Match", "message": f"当前版本为 {etag(current)} / the current ETag is {etag(current)}"}
            ],
        )
