"""kit/settings.py's view of where PostgreSQL and the services are: WUSHE_PG_HOST a socket directory or a
host name, TLS to a host as WUSHE_PG_SSLMODE says (the arguments kit/db.py hands asyncpg), and the
gateway's per-service upstream URLs (WUSHE_UPSTREAM_URLS)."""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path
from unittest import mock

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError
from support.tls import TestCA

from kit import db
from kit.settings import SERVICES, Settings


def from_env(**env: str) -> Settings:
    """Settings as a process with exactly these WUSHE_ variables would read them."""
    with mock.patch.dict(os.environ, {f"WUSHE_{k.upper()}": v for k, v in env.items()}, clear=True):
        return Settings()


def given(**values: object) -> Settings:
    """Settings made in code, whatever the environment of the test session holds."""
    with mock.patch.dict(os.environ, {}, clear=True):
        return Settings(**values)


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> Path:
    return TestCA(tmp_path_factory.mktemp("ca")).cert_file


# --- the socket directory or the host --------------------------------------------------------------


def test_by_default_the_local_servers_socket_under_home_without_tls(tmp_path):
    settings = given(home=tmp_path)
    assert not settings.pg_over_tcp
    assert settings.pg_socket_dir == Path(settings.pg_address) == (tmp_path / "run").resolve()
    assert db.server_kwargs(settings) == {"host": str((tmp_path / "run").resolve()), "port": 5432, "ssl": False}
    assert db.connect_kwargs(settings, "needs") == {
        **db.server_kwargs(settings),
        "user": "wushe_needs",
        "database": "wushe_needs",
    }


def test_an_absolute_path_is_a_socket_directory_and_tls_does_not_apply(tmp_path):
    for settings in (from_env(pg_host=str(tmp_path)), given(pg_host=tmp_path), from_env(pg_host=f"{tmp_path}/")):
        assert not settings.pg_over_tcp
        assert settings.pg_socket_dir == tmp_path.resolve()
        assert settings.pg_sslmode == "verify-full"  # the default: it concerns a host only
        assert db.server_kwargs(settings)["ssl"] is False  # a socket is local: asyncpg never takes TLS on one


def test_a_path_object_may_be_relative_a_path_string_may_not():
    assert given(pg_host=Path("var/run")).pg_socket_dir == Path("var/run").resolve()
    with pytest.raises(ValidationError) as error:
        from_env(pg_host="var/run")
    assert "pg_host" in str(error.value) and "absolute path" in str(error.value)


def test_a_host_name_is_reached_over_tcp(ca):
    settings = from_env(pg_host="wushe-needs-db-rw", pg_port="5433", pg_sslrootcert=str(ca))
    assert settings.pg_over_tcp and settings.pg_address == "wushe-needs-db-rw"
    kwargs = db.server_kwargs(settings)
    assert (kwargs["host"], kwargs["port"]) == ("wushe-needs-db-rw", 5433)
    with pytest.raises(ValueError, match="host name, not a socket directory"):
        settings.pg_socket_dir  # noqa: B018 (a property that refuses)
    assert from_env(pg_host="10.0.0.5").pg_address == "10.0.0.5"
    assert from_env(pg_host="").pg_over_tcp is False  # empty: the default socket


# --- TLS to a host ---------------------------------------------------------------------------------


def tls(ca: Path | None, mode: str, host: str = "db.example") -> ssl.SSLContext | bool:
    env = {"pg_host": host, "pg_sslmode": mode} | ({"pg_sslrootcert": str(ca)} if ca else {})
    return db.tls_context(from_env(**env))


def test_verify_full_checks_the_ca_and_the_host_name(ca):
    context = tls(ca, "verify-full")
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    (only,) = context.get_ca_certs()  # the given CA, not the system's
    assert dict(x[0] for x in only["subject"])["commonName"] == "wushe test CA"
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_verify_ca_checks_the_ca_only(ca):
    context = tls(ca, "verify-ca")
    assert isinstance(context, ssl.SSLContext)
    assert not context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert len(context.get_ca_certs()) == 1


def test_require_encrypts_without_verifying(ca):
    context = tls(ca, "require")
    assert isinstance(context, ssl.SSLContext)
    assert not context.check_hostname and context.verify_mode == ssl.CERT_NONE


def test_disable_is_plain_tcp_and_no_libpq_variable_gets_around_the_settings(ca):
    assert tls(ca, "disable") is False
    # ssl=False, never None: asyncpg would otherwise read PGSSLMODE & co. itself
    settings = given(pg_host="db.example", pg_sslmode="disable")
    with mock.patch.dict(os.environ, {"PGSSLMODE": "require"}):
        assert db.server_kwargs(settings)["ssl"] is False


def test_without_a_root_certificate_verify_full_trusts_the_systems_cas():
    context = tls(None, "verify-full")
    assert isinstance(context, ssl.SSLContext) and context.check_hostname


def test_a_missing_root_certificate_fails_when_connecting_is_prepared(tmp_path):
    with pytest.raises(FileNotFoundError):
        tls(tmp_path / "absent.crt", "verify-full")


@pytest.mark.parametrize("bad", ["verify_full", "prefer", "on", "VERIFY-FULL", ""])
def test_a_bad_sslmode_is_refused_naming_the_field_and_the_choices(bad):
    with pytest.raises(ValidationError) as error:
        from_env(pg_sslmode=bad)
    (problem,) = error.value.errors()
    assert problem["loc"] == ("pg_sslmode",)
    assert "'disable', 'require', 'verify-ca' or 'verify-full'" in problem["msg"]


# --- the gateway's upstreams ---------------------------------------------------------------------


def test_url_of_is_http_host_and_the_port_unless_overridden():
    settings = given(http_host="0.0.0.0", http_port=9000)
    assert [settings.url_of(s) for s in ("gateway", *SERVICES)] == [f"http://0.0.0.0:{9000 + i}" for i in range(7)]


def test_an_upstream_url_overrides_that_service_only():
    urls = {"needs": "http://wushe-needs:8001", "exchange": "https://exchange.example/"}
    settings = from_env(upstream_urls=json.dumps(urls), http_port="9000")
    assert settings.url_of("needs") == "http://wushe-needs:8001"
    assert settings.url_of("exchange") == "https://exchange.example"  # the paths are appended to it
    assert settings.url_of("volunteers") == "http://127.0.0.1:9002"


@pytest.mark.parametrize(
    ("urls", "says"),
    [
        ({"neds": "http://wushe-needs:8001"}, "no such service: neds"),
        ({"needs": "wushe-needs:8001"}, "not an http:// or https:// URL"),
    ],
)
def test_a_bad_upstream_is_refused_naming_the_field(urls, says):
    with pytest.raises(ValidationError) as error:
        from_env(upstream_urls=json.dumps(urls))
    (problem,) = error.value.errors()
    assert problem["loc"] == ("upstream_urls",) and says in problem["msg"]


def test_upstream_urls_must_be_a_json_object():
    with pytest.raises(SettingsError, match='field "upstream_urls"'):
        from_env(upstream_urls="needs=http://wushe-needs:8001")
