"""`wushe dlq list|replay`: what the consumers gave up on, and sending it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import nats
import nats.js.errors
import orjson

from kit.settings import Settings

REASON = "Wushe-Dlq-Reason"


async def _entries(js, seqs: list[int] | None = None):
    info = await js.stream_info("DLQ")
    wanted = seqs or range(info.state.first_seq, info.state.last_seq + 1)
    for seq in wanted:
        if info.state.messages == 0:
            return
        try:
            yield await js.get_msg("DLQ", seq)
        except nats.js.errors.NotFoundError:
            continue


async def list_(settings: Settings) -> int:
    nc = await nats.connect(settings.nats_servers)
    try:
        count = 0
        async for msg in _entries(nc.jetstream()):
            h = msg.headers or {}
            print(
                f"#{msg.seq}  {h.get('Wushe-Dlq-Consumer', '?')}  {h.get('Wushe-Dlq-Subject', '?')}  "
                f"deliveries={h.get('Wushe-Dlq-Deliveries', '?')}\n    原因 / reason: {h.get(REASON, '?')}"
            )
            count += 1
        print(f"{count} 条死信 / dead letters")
    finally:
        await nc.close()
    return 0


def _older_than_retention(settings: Settings, data: bytes) -> bool:
    """An event older than the inbox's horizon may have been forgotten by the consumers that applied
    it (kit.retention): sent again, they would apply it twice."""
    try:
        at = datetime.fromisoformat(orjson.loads(data)["time"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return False  # a malformed letter: no consumer can have applied it
    return datetime.now(UTC) - at > timedelta(days=settings.retention_days)


async def replay(settings: Settings, seqs: list[int], force: bool = False) -> int:
    """Publish each dead letter again on its original subject, then remove it from DLQ. Consumers
    that already applied the event skip it (inbox), so replaying is safe — within the inbox's
    retention horizon; older letters are skipped unless `force`."""
    nc = await nats.connect(settings.nats_servers)
    js = nc.jetstream()
    replayed = 0
    try:
        async for msg in _entries(js, seqs or None):
            h = msg.headers or {}
            subject = h.get("Wushe-Dlq-Subject")
            if not subject:
                print(f"#{msg.seq}: no original subject, skipped")
                continue
            if not force and _older_than_retention(settings, msg.data):
                print(
                    f"#{msg.seq}: 事件早于保留期限（{settings.retention_days:g} 天），已跳过；确认无重复后用 --force / "
                    f"older than the inbox retention ({settings.retention_days:g} days), skipped: use --force "
                    "once you have checked that no consumer applied it"
                )
                continue
            await js.publish(subject, msg.data, headers={"Nats-Msg-Id": f"dlq-replay-{msg.seq}"})
            await js.delete_msg("DLQ", msg.seq)
            replayed += 1
            print(f"#{msg.seq} → {subject}")
        print(f"已重放 {replayed} 条 / replayed {replayed}")
    finally:
        await nc.close()
    return 0
