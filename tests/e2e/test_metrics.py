"""/metrics of every service, as Prometheus scrapes it, and the alert rules and Grafana dashboard
of deploy/observability that read it: HTTP requests by route and status, events a
consumer handled by outcome, each consumer's pending and ack-pending as JetStream's API reports
them, its dead letters, the outbox backlog and its oldest row's age, personal-data reads by role —
and no id, personal data or free text in any label.

A need is raised in 栾城区 (130111), which no other test uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from support.waiting import eventually

from contracts.flow import consumers_of
from contracts.values import citizen_id_check_char

COMMUNITY = "130111104001"
SERVICES = ("needs", "volunteers", "gateway")


@pytest.fixture(scope="module")
def urls(stack):
    stack.start(*SERVICES, WUSHE_METRICS_SAMPLE_S="0.5")
    return {name: stack.url(name) for name in SERVICES}


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


async def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(f"{url}/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    return samples(reply.text)


def value(found, name: str, **labels: str) -> float | None:
    hits = [v for n, ls, v in found if n == name and all(ls.get(k) == want for k, want in labels.items())]
    return sum(hits) if hits else None


async def test_every_service_reports_its_requests_consumers_and_outbox(urls, token):
    base = {name: await scrape(url) for name, url in urls.items()}
    applied_before = value(base["volunteers"], "wushe_consumer_events_total", consumer="volunteers-need-raised") or 0
    worker = {"Authorization": f"Bearer {token('social_worker', COMMUNITY, 'sw-luancheng')}"}
    serial = "13011119500315001"
    need = {
        "area_code": COMMUNITY,
        "category": "meal_aid",
        "description": "需要每日送午餐",
        "resident": {"name": "韩愈", "phone": "13600136011", "citizen_id": serial + citizen_id_check_char(serial)},
    }
    async with httpx.AsyncClient(base_url=urls["gateway"] + "/api/v1", timeout=10) as api:
        raised = await api.post("/needs", json=need, headers=worker)
        assert raised.status_code == 201, raised.text
        need_id = raised.json()["id"]
        shown = await api.get(f"/needs/{need_id}", params={"purpose": "上门服务核对身份"}, headers=worker)
        assert shown.status_code == 200, shown.text

    async def consumed():
        found = await scrape(urls["volunteers"])
        applied = value(found, "wushe_consumer_events_total", consumer="volunteers-need-raised", outcome="applied")
        return found if (applied or 0) > applied_before else None

    volunteers = await eventually(consumed, "the volunteers' consumer counting the need")
    gateway, needs = await scrape(urls["gateway"]), await scrape(urls["needs"])
    routes = {ls.get("http_route") for n, ls, _ in gateway if n.startswith("http_server_request_duration")}
    assert "/api/v1/needs" in routes
    assert value(gateway, "http_server_request_duration_seconds_count", http_route="/api/v1/needs") >= 1
    assert value(needs, "wushe_pii_reads_total", role="social_worker") >= 1

    async def caught_up():
        found = await scrape(urls["volunteers"])
        lag = [
            value(found, f"wushe_consumer_{g}", consumer="volunteers-need-raised") for g in ("pending", "ack_pending")
        ]
        return found if lag == [0, 0] else None

    volunteers = await eventually(caught_up, "the consumer's lag sampled back at zero")
    reported = {ls["consumer"] for n, ls, _ in volunteers if n == "wushe_consumer_pending"}
    assert reported == {c.durable for c in consumers_of("volunteers")}  # every consumer of the service, each once
    assert value(volunteers, "wushe_consumer_dead_letters", consumer="volunteers-need-raised") == 0
    needs = await scrape(urls["needs"])
    assert value(needs, "wushe_ready", service="needs") == 1
    assert value(needs, "wushe_outbox_pending", service="needs") is not None
    assert value(needs, "wushe_outbox_oldest_pending_age_seconds", service="needs") is not None

    # nothing that names a person, a record or a place in any label
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
    for found in (gateway, needs, volunteers):
        for name, labels, _ in found:
            if name == "target_info":
                continue  # the process's resource (service name, instance), not a metric's labels
            for label in labels.values():
                assert not uuid.search(label) and "韩愈" not in label and "1360013" not in label, (name, label)
                assert not re.search(r"\d{9,}", label), (name, label)


# --- deploy/observability: the alert rules and the dashboard name only what is exported --------------

OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy" / "observability"
PROMETHEUS_OWN = {"up"}  # what Prometheus itself records for every target
DURATION = re.compile(r"^\d+[smhd]$")


def selectors(node) -> set[str]:
    """The metric names an expression selects (promql_parser's tree, walked by its attributes)."""
    if isinstance(node, promql_parser.VectorSelector):
        return {node.name}
    found: set[str] = set()
    for attribute in ("lhs", "rhs", "expr", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            found |= selectors(child)
    for child in getattr(node, "args", None) or []:
        found |= selectors(child)
    return found


def rules() -> list[dict]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yaml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    board = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    return [t["expr"] for p in board["panels"] for t in p["targets"]]


def test_the_alert_rules_are_well_formed_and_said_in_chinese_first():
    assert rules(), "no rules"
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["alert"].isidentifier() and DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert not rule["annotations"]["summary"].split("/")[0].isascii(), rule["alert"]
        promql_parser.parse(rule["expr"])  # raises on an expression Prometheus would refuse


def test_a_broken_expression_is_refused_by_the_same_parse():
    with pytest.raises(ValueError):
        promql_parser.parse("max by (service) (wushe_outbox_pending > 60")


async def test_every_metric_the_rules_and_the_dashboard_name_is_exported(urls):
    exported = set(PROMETHEUS_OWN)
    for url in urls.values():
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{url}/metrics")).text
        for family in text_string_to_metric_families(text):
            exported |= {s.name for s in family.samples}
    named = set()
    for expr in [r["expr"] for r in rules()] + dashboard_exprs():
        named |= selectors(promql_parser.parse(expr.replace("$job", ".*")))
    assert named, "no metric named"
    assert named <= exported, f"named but not exported: {sorted(named - exported)}"
