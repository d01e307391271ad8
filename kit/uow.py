"""Unit of work: the state change and the events it causes commit in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from contracts.envelope import DataRead, Envelope, Event, wrap
from contracts.subjects import event_subject
from kit import audit, idempotency, metrics
from kit.db import AnyConnection
from kit.telemetry import current_traceparent

NOTIFY_CHANNEL = "outbox"  # see kit/migrations/0003_outbox_notify.sql


class Events:
    """Events of one transaction, written to the outbox when the transaction's work is done."""

    def __init__(self, conn: AnyConnection) -> None:
        self.conn = conn
        self.envelopes: list[Envelope[Any]] = []

    def emit(
        self,
        event: Event,
        *,
        subject: str,
        area_code: str,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        time: datetime | None = None,
    ) -> Envelope[Any]:
        envelope = wrap(
            event,
            subject=subject,
            area_code=area_code,
            correlation_id=correlation_id,
            causation_id=causation_id,
            traceparent=current_traceparent(),
            time=time,
        )
        self.envelopes.append(envelope)
        return envelope

    def add(self, envelopes: Iterable[Envelope[Any]]) -> None:
        """Events already in their envelopes, wrapped where their request's trace was current."""
        self.envelopes.extend(envelopes)

    async def flush(self) -> None:
        if self.envelopes:
            await write_outbox(self.conn, self.envelopes)
            for read in (e.data for e in self.envelopes if isinstance(e.data, DataRead)):
                metrics.pii_reads.add(1, {"role": str(read.reader_role)})
            self.envelopes = []


class UnitOfWork(Events):
    """`async with UnitOfWork(pool) as uow:` use `uow.conn` for state and `uow.emit(...)` for events.
    Leaving the block normally writes the outbox rows and commits; an exception rolls everything
    back, so no event exists without its state and no state without its events.

    A consumer, already inside its inbox transaction, uses `UnitOfWork.joining(conn)` to emit
    events and `flush()` them before that transaction commits.

    The first unit of work of an HTTP write with an Idempotency-Key claims the key in its
    transaction (kit.idempotency), so a retry can never apply the write twice."""

    conn: PoolConnectionProxy  # acquired from the pool on entering

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.envelopes = []

    @staticmethod
    def joining(conn: AnyConnection) -> Events:
        return Events(conn)

    async def __aenter__(self) -> UnitOfWork:
        self.conn = await self.pool.acquire()
        self.tx = self.conn.transaction()
        try:
            await self.tx.start()
            self.claim = await idempotency.claim_in(self.conn)
        except BaseException:
            await _safe_rollback(self.tx)
            await self.pool.release(self.conn)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.flush()
                await self.tx.commit()
                idempotency.committed(self.claim)
            else:
                await self.tx.rollback()
        except BaseException:
            await _safe_rollback(self.tx)
            raise
        finally:
            await self.pool.release(self.conn)


async def _safe_rollback(tx: Transaction) -> None:
    try:
        await tx.rollback()
    except Exception:  # noqa: BLE001 - already closed; releasing the connection resets it anyway
        pass


async def write_outbox(conn: AnyConnection, envelopes: list[Envelope[Any]]) -> None:
    """One statement for all of a transaction's events; a trigger NOTIFYs the relay at commit.
    Audit events are also kept in the service's audit trail (kit.audit)."""
    await audit.record(conn, envelopes)
    await conn.execute(
        """INSERT INTO outbox (event_id, subject, payload, traceparent)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[])""",
        [e.id for e in envelopes],
        [event_subject(type(e.data), e.area_code) for e in envelopes],
        [e.model_dump_json().encode() for e in envelopes],
        [e.traceparent for e in envelopes],
    )
