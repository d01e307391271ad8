"""Migrating the donations an earlier system received (历史数据迁移), for the records-migrator role:
each into its fund at the time it states, posted to the fund's ledger now, once per the earlier
system's id. A batch is checked whole before anything is stored, and leaves one audit entry."""

from __future__ import annotations

import asyncpg

from contracts.api import NOTHING_IMPORTED, HistoryImported
from contracts.api import charity as api
from contracts.envelope import new_id
from contracts.events.charity import DonationsImported
from kit.auth import Principal
from kit.clock import now
from kit.crypto import Keyring
from kit.problems import invalid_fields
from kit.uow import UnitOfWork
from services.charity import store
from services.charity.handlers import write_donation
from services.charity.history import domain
from services.charity.history import store as history


async def import_donations(
    pool: asyncpg.Pool, keyring: Keyring, who: Principal, batch: api.DonationHistoryIn
) -> HistoryImported:
    imported, already, total = 0, [], 0
    async with UnitOfWork(pool) as uow:
        funds = await _funds(uow.conn, who, batch)
        for record in batch.donations:
            donation_id = new_id()
            if not await history.claim(uow.conn, record.legacy_ref, donation_id, who.sub):
                already.append(record.legacy_ref)
                continue
            fund = funds[record.fund_id]
            await write_donation(
                uow, keyring, who, donation_id, fund, record.donor, record.amount_fen, record.received_at
            )
            imported, total = imported + 1, total + record.amount_fen
        if imported:
            uow.emit(
                DonationsImported(
                    area_code=who.area,
                    count=imported,
                    amount_fen=total,
                    imported_by=who.sub,
                    imported_by_role=who.role,
                    imported_at=now(),
                ),
                subject=f"history/{who.area}",
                area_code=who.area,
            )
    return HistoryImported(imported=imported, already=already)


async def _funds(conn: asyncpg.Connection, who: Principal, batch: api.DonationHistoryIn) -> dict:
    """The funds the batch names, each in the migrator's area; else 422 naming every record's
    `donations.N.fund_id` and nothing stored."""
    funds = {}
    for fund_id in {r.fund_id for r in batch.donations}:
        fund = await store.get_fund(conn, fund_id)
        if fund is not None and who.covers(fund["area_code"]):
            funds[fund_id] = fund
    errors = domain.outside_funds([r.fund_id for r in batch.donations], funds)
    if errors:
        raise invalid_fields(NOTHING_IMPORTED, errors)
    return funds
