"""PostgreSQL over TCP with TLS, as kit/db.py connects on Kubernetes (WUSHE_PG_HOST a host name,
WUSHE_PG_SSLMODE, WUSHE_PG_SSLROOTCERT). The embedded server listens on a Unix socket only and is built
without OpenSSL, so a loopback stand-in speaks the protocol's first steps: it answers the client's
SSLRequest, completes the TLS handshake with a certificate of a test CA, asks for the password in
clear (over that TLS) and then refuses the login. What asyncpg does up to there is the real thing."""

from __future__ import annotations

import asyncio
import os
import ssl
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import asyncpg
import pytest
from support.tls import TestCA

from kit import db
from kit.settings import Settings

SSL_REQUEST = 80877103
PROTOCOL_3 = 196608
HOST = "127.0.0.1"  # the server certificates name this address (or another name, to be refused)


@dataclass
class Seen:
    tls: list[str | None] = field(default_factory=list)  # per connection: the TLS version, None if plain
    startup: list[dict[str, str]] = field(default_factory=list)
    passwords: list[str] = field(default_factory=list)


def _error(code: str, message: str) -> bytes:
    body = b"".join(
        k + v.encode() + b"\0" for k, v in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message))
    )
    body += b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


class StandIn:
    """A TCP listener that speaks enough of PostgreSQL's protocol to prove TLS and the password."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.seen = Seen()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            length, code = struct.unpack("!ii", await reader.readexactly(8))
            version = None
            if code == SSL_REQUEST:
                writer.write(b"S")
                await writer.drain()
                await writer.start_tls(self.context)
                version = writer.get_extra_info("ssl_object").version()
                length, code = struct.unpack("!ii", await reader.readexactly(8))
            self.seen.tls.append(version)
            assert code == PROTOCOL_3
            fields = (await reader.readexactly(length - 8)).split(b"\0")
            self.seen.startup.append({k.decode(): v.decode() for k, v in zip(fields[::2], fields[1::2], strict=False)})
            writer.write(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            await writer.drain()
            tag, size = struct.unpack("!ci", await reader.readexactly(5))
            assert tag == b"p"
            self.seen.passwords.append((await reader.readexactly(size - 4)).rstrip(b"\0").decode())
            writer.write(_error("28P01", "the stand-in lets no one in"))
            await writer.drain()
        except (ssl.SSLError, asyncio.IncompleteReadError, ConnectionError):
            pass  # the client gave up: the tests look at what the client raised
        finally:
            writer.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("pg-ca"))


@pytest.fixture
async def stand_in(request, ca) -> AsyncIterator[tuple[StandIn, int]]:
    """A stand-in whose certificate names `request.param` (default: the address it listens on)."""
    server_name = getattr(request, "param", HOST)
    stand = StandIn(*ca.issue(server_name))
    server = await asyncio.start_server(stand.handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield stand, port
    finally:
        server.close()
        await server.wait_closed()


def settings_for(port: int, mode: str, root: Path | None) -> Settings:
    return Settings(pg_host=HOST, pg_port=port, pg_sslmode=mode, pg_sslrootcert=root)


async def login(settings: Settings) -> BaseException:
    with mock.patch.dict(os.environ, {"PGPASSWORD": "from-the-secret"}):
        with pytest.raises(BaseException) as raised:
            await asyncio.wait_for(db.connect(settings, "needs"), 10)
    return raised.value


async def test_verify_full_reaches_the_server_over_tls_with_the_password_from_pgpassword(stand_in, ca):
    stand, port = stand_in
    refused = await login(settings_for(port, "verify-full", ca.cert_file))
    assert isinstance(refused, asyncpg.InvalidPasswordError), refused  # the stand-in's answer: TLS held
    assert stand.seen.tls == ["TLSv1.3"] or stand.seen.tls == ["TLSv1.2"]
    assert stand.seen.startup[0]["user"] == stand.seen.startup[0]["database"] == "wushe_needs"
    assert stand.seen.passwords == ["from-the-secret"]  # libpq's variable, as the manifests set it


async def test_every_pooled_connection_takes_tls_too(stand_in, ca):
    stand, port = stand_in
    with mock.patch.dict(os.environ, {"PGPASSWORD": "from-the-secret"}):
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncio.wait_for(db.create_pool(settings_for(port, "verify-full", ca.cert_file), "needs", size=1), 10)
    assert stand.seen.tls and all(stand.seen.tls)


@pytest.mark.parametrize("stand_in", ["db.elsewhere.example"], indirect=True)
async def test_verify_full_refuses_a_certificate_for_another_host_and_verify_ca_takes_it(stand_in, ca):
    stand, port = stand_in
    refused = await login(settings_for(port, "verify-full", ca.cert_file))
    assert isinstance(refused, ssl.SSLCertVerificationError) and "IP address mismatch" in str(refused), refused
    assert stand.seen.passwords == []  # nothing was sent to it
    assert isinstance(await login(settings_for(port, "verify-ca", ca.cert_file)), asyncpg.InvalidPasswordError)


async def test_verify_full_refuses_a_server_of_another_ca(stand_in, tmp_path):
    stand, port = stand_in
    other = TestCA(tmp_path, "another CA")
    refused = await login(settings_for(port, "verify-full", other.cert_file))
    assert isinstance(refused, ssl.SSLCertVerificationError) and "self-signed" not in str(refused), refused
    assert stand.seen.passwords == []
    # require encrypts but checks nothing: it gets through
    assert isinstance(await login(settings_for(port, "require", other.cert_file)), asyncpg.InvalidPasswordError)
    assert stand.seen.passwords == ["from-the-secret"] and stand.seen.tls[-1] is not None


async def test_disable_speaks_plainly(stand_in):
    stand, port = stand_in
    assert isinstance(await login(settings_for(port, "disable", None)), asyncpg.InvalidPasswordError)
    assert stand.seen.tls == [None]
