"""One rule for every worker: is a failure the infrastructure's (PostgreSQL or NATS away, a timeout,
a conflict that a retry resolves) or the work's own (an event or a row that can never succeed)?

Infrastructure failures pause the worker and retry; they never count towards an event's
`max_deliver` or an outbox row's attempts, so a database restart dead-letters nothing."""

from __future__ import annotations

import asyncio

import asyncpg
import nats.errors
import nats.js.errors

# SQLSTATE classes of a server that is away or busy, not of bad data: 08 connection exception,
# 40 transaction rollback (serialization failure, deadlock), 53 insufficient resources,
# 57 operator intervention (shutdown, starting up), 58 system error (I/O)
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")

NATS_AWAY = (
    nats.errors.ConnectionClosedError,
    nats.errors.NoServersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.js.errors.ServiceUnavailableError,
)

# asyncpg files bad query arguments and misconfiguration under InterfaceError too
NOT_TRANSIENT = (asyncpg.exceptions.DataError, asyncpg.exceptions.ClientConfigurationError)

# When PostgreSQL shuts down, a pooled connection can be handed out between the server's error and
# the socket's close, its protocol still consuming that error: the next query fails with this
# InternalClientError (asyncpg issues #784, #1069) and the connection is dropped on release.
TORN_DOWN_CONNECTION = "another operation"


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same work later can succeed without changing it."""
    if isinstance(exc, NOT_TRANSIENT):
        return False
    if isinstance(exc, (OSError, asyncio.TimeoutError, asyncpg.InterfaceError, *NATS_AWAY)):
        return True  # sockets, timeouts (nats.errors.TimeoutError is an OSError), closed connections
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        return TORN_DOWN_CONNECTION in str(exc)
    if isinstance(exc, asyncpg.PostgresError):
        return str(getattr(exc, "sqlstate", "") or "")[:2] in TRANSIENT_SQLSTATE_CLASSES
    return False


def describe(exc: BaseException) -> str:
    """A short reason for logs, readiness and dead letters."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
