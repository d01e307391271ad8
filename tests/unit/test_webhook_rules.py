"""The exchange's webhook rules (services/exchange/webhooks/domain.py): endpoint URLs and addresses,
signatures while a secret rotates, what an answer means, the retry schedule, the rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kit.clock import now
from services.exchange.webhooks import domain

AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.cn/wushe", "http://203.0.113.7:8080/in?x=1", "https://[2001:db8::1]/hook"],
)
def test_an_absolute_http_url_is_taken(url):
    assert domain.url_error(url) is None


@pytest.mark.parametrize(
    "url, says",
    [
        ("ftp://example.cn/x", "http"),
        ("file:///etc/passwd", "http"),
        ("example.cn/hook", "http"),
        ("https:///nohost", "host"),
        ("https://user:pw@example.cn/", "password"),
        ("https://example.cn:99999/", "URL"),
        ("https://example.cn/" + "a" * 2000, "2000"),
    ],
)
def test_other_urls_are_refused_saying_why(url, says):
    assert says in (domain.url_error(url) or "")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1"]
    + ["fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1", "ff02::1"],
)
def test_internal_addresses_are_refused(address):
    assert "refused" in (domain.address_error("h", [address]) or "")


def test_a_host_is_refused_when_any_address_is_internal_or_none_resolves():
    assert domain.address_error("h", ["93.184.216.34"]) is None
    assert domain.address_error("h", ["2606:2800:220:1:248:1893:25c8:1946"]) is None
    assert domain.address_error("h", ["93.184.216.34", "10.0.0.1"]) is not None
    assert "resolve" in (domain.address_error("nowhere.invalid", []) or "")


def test_ip_literals():
    assert domain.ip_literal("127.0.0.1") and domain.ip_literal("::1") and not domain.ip_literal("example.cn")
    assert domain.host_of("https://[::1]:8443/x") == "::1"


# --- signatures ------------------------------------------------------------------------------------------

OLD, NEW = domain.secret_text(b"o" * 32), domain.secret_text(b"n" * 32)


def test_a_rotated_secret_signs_beside_the_new_one_until_its_overlap_ends():
    until = AT + timedelta(hours=24)
    assert domain.signing_secrets(NEW, OLD, until, AT) == [NEW, OLD]
    assert domain.signing_secrets(NEW, OLD, until, until) == [NEW]
    assert domain.signing_secrets(NEW, None, None, AT) == [NEW]


def test_each_secret_verifies_a_delivery_signed_by_both():
    at = now()  # a Beijing time: signed as the UTC instant it is
    payload, msg_id = '{"id":"e1","data":{}}', "0190f0f0-0000-7000-8000-000000000001"
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": domain.signature_header([NEW, OLD], msg_id, at, payload),
    }
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (NEW, OLD):
        assert Webhook(secret).verify(payload, headers) == {"id": "e1", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(domain.secret_text(b"x" * 32)).verify(payload, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(payload.replace("e1", "e2"), headers)


# --- outcomes and the schedule ------------------------------------------------------------------------------

SCHEDULE = domain.DEFAULT_RETRY_S


def test_the_default_schedule_spans_about_three_days():
    assert SCHEDULE[:5] == (5.0, 300.0, 1800.0, 7200.0, 18000.0)
    assert 2.5 * 86400 <= sum(SCHEDULE) <= 3 * 86400


@given(st.integers(min_value=1, max_value=len(SCHEDULE)), st.floats(min_value=0, max_value=0.999))
def test_each_retry_waits_its_step_within_the_jitter(failures, jitter):
    delay = domain.retry_delay(failures, SCHEDULE, jitter)
    base = SCHEDULE[failures - 1]
    assert delay is not None and base * (1 - domain.JITTER) <= delay <= base * (1 + domain.JITTER)


def test_after_the_last_step_a_delivery_is_dead():
    assert domain.retry_delay(len(SCHEDULE) + 1, SCHEDULE, 0.5) is None
    last = domain.outcome(500, None, len(SCHEDULE), SCHEDULE, 0.5, AT)
    assert last == domain.Outcome("dead", counted=True)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status):
    assert domain.outcome(status, None, 3, SCHEDULE, 0.5, AT) == domain.Outcome("delivered")


@pytest.mark.parametrize("status", [None, 301, 400, 404, 429, 500, 502, 503])
def test_other_answers_back_off_from_the_schedule(status):
    first = domain.outcome(status, None, 0, SCHEDULE, 0.5, AT)
    assert first == domain.Outcome("failed", retry_in_s=5.0, counted=True)
    assert domain.outcome(status, None, 1, SCHEDULE, 0.5, AT).retry_in_s == 300.0


def test_410_disables_and_keeps_the_delivery_open():
    assert domain.outcome(410, None, 0, SCHEDULE, 0.5, AT) == domain.Outcome("failed", retry_in_s=0.0, gone=True)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_does_not_advance_the_back_off(status):
    assert domain.outcome(status, "120", 4, SCHEDULE, 0.5, AT) == domain.Outcome("failed", retry_in_s=120.0)
    date = "Fri, 01 May 2026 08:10:00 GMT"
    assert domain.outcome(status, date, 4, SCHEDULE, 0.5, AT).retry_in_s == 600.0
    # unreadable: as if there were none
    assert domain.outcome(status, "soon", 0, SCHEDULE, 0.5, AT).retry_in_s == 5.0


def test_retry_after_is_bounded():
    assert domain.retry_after_s("99999999", AT) == domain.MAX_RETRY_AFTER_S
    assert domain.retry_after_s("Thu, 01 Jan 2026 00:00:00 GMT", AT) == 0.0
    assert domain.retry_after_s(None, AT) is None


def test_an_endpoint_failing_for_three_days_is_disabled():
    limit = 3 * 86400
    assert not domain.should_disable(None, AT, limit)
    assert not domain.should_disable(AT - timedelta(days=2, hours=23), AT, limit)
    assert domain.should_disable(AT - timedelta(days=3), AT, limit)
    assert "3 天" in domain.failing_reason(3) and "3 days" in domain.failing_reason(3)


# --- rate limit -----------------------------------------------------------------------------------------------


def test_the_bucket_lets_a_burst_of_rate_then_one_per_interval():
    bucket = domain.TokenBucket(2, at=0.0)
    assert [bucket.take(0.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)  # reserved: sent at 0.5
    assert bucket.take(0.5) == pytest.approx(0.5)  # the next at 1.0
    assert bucket.take(10.0) == 0.0  # refilled, never beyond the burst
    assert bucket.take(10.0) == 0.0 and bucket.take(10.0) > 0


def test_a_slow_rate_spaces_every_send():
    bucket = domain.TokenBucket(0.5, at=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == pytest.approx(2.0)


@given(st.floats(min_value=0.1, max_value=100), st.integers(min_value=1, max_value=200))
def test_no_more_than_the_rate_over_any_run(rate, sends):
    bucket, at, times = domain.TokenBucket(rate, at=0.0), 0.0, []
    for _ in range(sends):
        at += bucket.take(at)
        times.append(at)
    span = times[-1] - times[0]
    assert sends <= max(1.0, rate) + rate * span + 1e-6
