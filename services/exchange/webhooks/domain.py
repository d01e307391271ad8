"""The rules of outbound webhooks, pure (no I/O): which endpoint URLs and addresses are taken, the
Standard Webhooks signatures while a secret rotates, what an answer means for a delivery (delivered,
retried when, dead, the subscription gone), when a failing endpoint is disabled, and the
per-endpoint rate limit."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from contracts.areas import contains
from services.exchange.domain import covered

SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2000
# after the 1st, 2nd … failed attempt (s): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 14 h, 14 h
# — about 2.9 days in all; the attempt after the last step's failure is the last, then it is dead
DEFAULT_RETRY_S = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0, 50400.0, 50400.0, 50400.0)
JITTER = 0.1  # each delay ±10 %, so endpoints that failed together are not retried together
MAX_RETRY_AFTER_S = 86400.0  # a Retry-After further out is taken as a day
DELIVERY_STATUSES = ("pending", "failed", "delivered", "dead")
OPEN_STATUSES = ("pending", "failed")  # still to be sent: the head of line is the lowest seq of these

GONE_REASON = "接收端答复 410 Gone，订阅已停用 / the endpoint answered 410 Gone: subscription disabled"
BY_PARTNER_REASON = "合作方已停用 / disabled by the partner"


def failing_reason(days: float) -> str:
    return f"接收端连续 {days:g} 天未成功接收，订阅已停用 / no successful delivery for {days:g} days: subscription disabled"


# --- endpoint URLs ----------------------------------------------------------------------------------


def url_error(url: str) -> str | None:
    """Why an endpoint URL is refused, or None: absolute http(s), a host, no credentials in it."""
    if len(url) > MAX_URL_LENGTH:
        return f"网址过长（至多 {MAX_URL_LENGTH} 字符）/ URL longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return f"网址无效 / not a URL: {url}"
    if parts.scheme not in ("http", "https"):
        return f"只接受 http 或 https 网址 / only http and https URLs are taken: {url}"
    if not parts.hostname:
        return f"网址缺少主机名 / the URL names no host: {url}"
    if parts.username is not None or parts.password is not None:
        return "网址不得包含用户名或密码 / no user name or password in the URL"
    return None


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def address_error(host: str, addresses: Iterable[str]) -> str | None:
    """Why an endpoint whose host resolved to `addresses` is refused (SSRF), or None: no address, or
    any address that is not a public unicast one (loopback, private, link-local, shared, reserved,
    multicast, an IPv4 address inside IPv6)."""
    found = list(addresses)
    if not found:
        return f"无法解析主机名 / the host does not resolve: {host}"
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return f"不接受内网、环回或链路本地地址 / a loopback, private or link-local address is refused: {host} ({text})"
    return None


# --- scope ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _types_of(patterns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p.type_name() for p in covered(list(patterns)))


def in_scope(event_type: str, area_code: str, partner_patterns: Sequence[str], partner_area: str) -> bool:
    """A public event a partner may still see (its scope may have narrowed since it subscribed)."""
    return event_type in _types_of(tuple(partner_patterns)) and contains(partner_area, area_code)


# --- signatures -----------------------------------------------------------------------------------------


def secret_text(raw: bytes) -> str:
    """`whsec_<base64>`, as Standard Webhooks libraries take a secret."""
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def signing_secrets(current: str, previous: str | None, previous_until: datetime | None, at: datetime) -> list[str]:
    """The secrets that sign a delivery at `at`: the current one, and the one it replaced until its
    overlap ends (so a receiver may switch to the new secret at any time during the overlap)."""
    if previous and previous_until and at < previous_until:
        return [current, previous]
    return [current]


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: datetime, payload: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated. `timestamp` is aware."""
    at = timestamp.astimezone(UTC)  # the library takes the time as UTC whatever its zone says
    return " ".join(Webhook(secret).sign(msg_id, at, payload) for secret in secrets)


# --- outcomes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one attempt means: the delivery's new status; when to try again (s from now) while it is
    open; whether it advanced the back-off (a Retry-After the receiver asked for does not); whether
    the endpoint is gone (410: the subscription is disabled, the delivery waits for re-enabling)."""

    status: Literal["delivered", "failed", "dead"]
    retry_in_s: float | None = None
    counted: bool = False
    gone: bool = False


def retry_delay(failures: int, schedule: Sequence[float], jitter: float) -> float | None:
    """The wait after the `failures`-th failed attempt (1-based), or None once the schedule is spent
    (the delivery is dead). `jitter` in [0, 1) spreads it by ±JITTER."""
    if failures < 1 or failures > len(schedule):
        return None
    return max(0.0, schedule[failures - 1] * (1 + JITTER * (2 * jitter - 1)))


def retry_after_s(value: str | None, at: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `at`, at most a day; None
    when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - at).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def outcome(
    status: int | None, retry_after: str | None, failures: int, schedule: Sequence[float], jitter: float, at: datetime
) -> Outcome:
    """The outcome of an attempt that got HTTP `status` (None: no answer — refused, timed out …),
    after `failures` earlier failed attempts counted against the schedule."""
    if status is not None and 200 <= status < 300:
        return Outcome("delivered")
    if status == 410:
        return Outcome("failed", retry_in_s=0.0, gone=True)
    if status in (429, 503) and (wait := retry_after_s(retry_after, at)) is not None:
        return Outcome("failed", retry_in_s=wait)
    delay = retry_delay(failures + 1, schedule, jitter)
    if delay is None:
        return Outcome("dead", counted=True)
    return Outcome("failed", retry_in_s=delay, counted=True)


def should_disable(failing_since: datetime | None, at: datetime, disable_after_s: float) -> bool:
    """An endpoint that has not taken a delivery since `failing_since` for that long is disabled."""
    return failing_since is not None and at - failing_since >= timedelta(seconds=disable_after_s)


# --- rate limit ----------------------------------------------------------------------------------------


class TokenBucket:
    """At most `rate` sends a second to one endpoint, in bursts of at most max(1, rate). `take(t)`
    (t in seconds, monotonic) reserves one send and answers how long to wait before it."""

    def __init__(self, rate: float, at: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens, self.at = self.capacity, at

    def take(self, at: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (at - self.at) * self.rate)
        self.at = at
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def retune(self, rate: float) -> None:
        if rate != self.rate:
            self.rate, self.capacity = rate, max(1.0, rate)
            self.tokens = min(self.tokens, self.capacity)
