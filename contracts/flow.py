"""Who consumes what: every durable consumer of the platform, the event it takes, the service (and
sub-domain) that runs it and what it does. An event is published by its own service
(`Event.service`), from that service's handlers, through the outbox.

This is the one map of the event flow, and the code is wired from it: a service starts only when
the handlers its subscribers modules offer are exactly its consumers here (kit.wiring). The
README's flow section is generated from it (`python -m contracts.flow --write`), and
tests/e2e/test_running_consumers.py compares it with the consumers the running streams hold.

A durable is named after the service that runs it (`volunteers-need-raised`); its name is also the
key of its inbox rows, so a durable is never renamed.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from contracts.envelope import Event
from contracts.events import ALL_EVENTS
from contracts.events.charity import (
    DisbursementRejected,
    DonationEarmarked,
    FundingRejected,
    FundOpened,
    FundsCommitted,
    FundsDisbursed,
)
from contracts.events.needs import (
    MediationEscalated,
    NeedEscalated,
    NeedFeedbackGiven,
    NeedRaised,
    NeedResolved,
    NeedReturned,
    NeedRouted,
    ResidentRegistered,
)
from contracts.events.party import ActionDispatched, MatterDecided, MemberReported, WhistleBlown, WhistleClosed
from contracts.events.projects import (
    DisbursementRequested,
    FundingRequested,
    ProjectClosed,
    ProjectEvaluated,
    ProjectMilestoneReported,
    ProjectProcured,
    ProjectProposed,
    ProjectPublished,
    ProjectReviewRequested,
    VolunteerTaskRequested,
)
from contracts.events.timebank import CreditsExchanged
from contracts.events.volunteers import HoursVerified, TaskAccepted, VolunteerRegistered
from contracts.public import PUBLIC_EVENTS
from contracts.subjects import Takes, events_of, stream_of, stream_of_all


@dataclass(frozen=True)
class Consumer:
    """A durable consumer of one event type, or of several of one stream when the order between
    them matters (it is kept as the stream has it)."""

    durable: str
    event: Takes
    does: str  # what the consumer does with the event, in a few words
    part: str = ""  # the sub-domain whose subscribers.py holds the handler ("" = the service's own)

    def __post_init__(self) -> None:
        stream_of_all(self.events)  # refuses events of several streams

    @property
    def events(self) -> tuple[type[Event], ...]:
        return events_of(self.event)

    @property
    def stream(self) -> str:
        return stream_of_all(self.events)

    @property
    def service(self) -> str:
        return self.durable.split("-", 1)[0]

    @property
    def publisher(self) -> str:
        return self.events[0].service

    @property
    def module(self) -> str:
        """Where its handler is wired: `services.<service>[.<part>].subscribers`."""
        return ".".join(["services", self.service, *([self.part] if self.part else []), "subscribers"])


def _timeline(event: type[Event], durable: str = "") -> Consumer:
    name = durable or f"needs-{event.event_name().replace('_', '-')}"
    return Consumer(name, event, "puts the step on the timeline of the need it names")


# The providers' steps that the needs service keeps on the timeline of each need they name (which of
# them make a routed need matched is the needs service's rule: services/needs/handlers.py MATCHING).
TIMELINE_STEPS: tuple[type[Event], ...] = (
    TaskAccepted,
    ProjectProcured,
    DonationEarmarked,
    HoursVerified,
    FundsDisbursed,
    FundsCommitted,
    MatterDecided,
    ProjectProposed,
    ProjectPublished,
    ProjectMilestoneReported,
    ProjectEvaluated,
    ProjectClosed,
    WhistleBlown,
    MemberReported,
    WhistleClosed,
    ActionDispatched,
)

FLOW: tuple[Consumer, ...] = (
    # needs (社区): every provider's step for a need goes on its timeline
    *(_timeline(event) for event in TIMELINE_STEPS),
    # volunteers (志愿者 + 社工)
    Consumer("volunteers-need-raised", NeedRaised, "remembers what matching needs: area, category, skills, urgency"),
    Consumer("volunteers-need-routed", NeedRouted, "a need routed to volunteers becomes a task"),
    Consumer(
        "volunteers-need-feedback", NeedFeedbackGiven, "the resident's rating counts for the volunteers who served"
    ),
    Consumer(
        "volunteers-action-dispatched", ActionDispatched, "a joint meeting's action for volunteers becomes a task"
    ),
    Consumer(
        "volunteers-project-task-requested", VolunteerTaskRequested, "a project in delivery gets a volunteer task"
    ),
    # projects (社会组织)
    Consumer("projects-matter-decided", MatterDecided, "the party's decision moves a waiting project on"),
    Consumer("projects-fund-opened", FundOpened, "keeps the funds that funding lines are checked against"),
    Consumer("projects-funds-committed", FundsCommitted, "a funding line committed: the project may be funded"),
    Consumer("projects-funding-rejected", FundingRejected, "a funding line refused: the project goes back"),
    Consumer(
        "projects-disbursement-rejected",
        DisbursementRejected,
        "a milestone's payment refused: the milestone shows why and may be accepted again to ask anew",
        part="delivery",
    ),
    Consumer(
        "projects-need-feedback",
        NeedFeedbackGiven,
        "the resident's rating counts for the project that served",
        part="delivery",
    ),
    Consumer("projects-need-routed", NeedRouted, "a need routed to a project waits in the demand pool"),
    Consumer(
        "projects-action-dispatched", ActionDispatched, "a joint meeting's action for a project waits in the pool"
    ),
    # charity (慈善)
    Consumer(
        "charity-funding-requested", FundingRequested, "commits a project's funding or refuses it, naming the rule"
    ),
    Consumer("charity-disbursement-requested", DisbursementRequested, "pays an accepted milestone from its commitment"),
    Consumer(
        "charity-credits-exchanged",
        CreditsExchanged,
        "time-bank credits become love-supermarket points",
        part="supermarket",
    ),
    Consumer(
        "charity-holders-volunteer-registered",
        VolunteerRegistered,
        "a volunteer may now hold points",
        part="supermarket",
    ),
    Consumer(
        "charity-holders-resident-registered", ResidentRegistered, "a resident may now hold points", part="supermarket"
    ),
    Consumer(
        "charity-holders-need-raised", NeedRaised, "the resident of a need may now hold points", part="supermarket"
    ),
    # party (党建)
    Consumer(
        "party-project-review", ProjectReviewRequested, "a project to review becomes a major matter with a deadline"
    ),
    Consumer(
        "party-need-escalated", NeedEscalated, "a need nobody answered in time blows the whistle", part="whistles"
    ),
    Consumer(
        "party-mediation-escalated",
        MediationEscalated,
        "an unsettled mediation joins the next meeting's agenda",
        part="meetings",
    ),
    Consumer(
        "party-task-accepted", TaskAccepted, "a volunteer took a meeting's action: it is under way", part="meetings"
    ),
    Consumer(
        "party-project-proposed",
        ProjectProposed,
        "a project was proposed for a meeting's action: it is under way",
        part="meetings",
    ),
    # exchange (数据交换): one consumer per stream, so the events of one aggregate keep their order
    *(
        Consumer(
            f"exchange-public-{service}",
            tuple(p.internal for p in PUBLIC_EVENTS if p.domain() == service),
            "publishes its redacted public form (contracts/public) to PUBLIC",
        )
        for service in ("needs", "volunteers", "projects", "charity", "party")
    ),
    Consumer(
        "exchange-portal-progress",
        (NeedRaised, NeedRouted, NeedReturned, NeedResolved, NeedFeedbackGiven),
        "tells the portal a work order came from of its progress (受理, 派单, 改派, 退单, 办结, 回访)",
        part="portals",
    ),
)

BY_DURABLE: dict[str, Consumer] = {c.durable: c for c in FLOW}


def consumers_of(service: str) -> tuple[Consumer, ...]:
    return tuple(c for c in FLOW if c.service == service)


def takers_of(event: type[Event]) -> tuple[Consumer, ...]:
    return tuple(c for c in FLOW if event in c.events)


# --- the README's flow section, generated -----------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- flow:begin (python -m contracts.flow --write) -->", "<!-- flow:end -->"
SERVICE_LABELS = {
    "needs": "needs 社区",
    "volunteers": "volunteers 志愿者",
    "projects": "projects 社会组织",
    "charity": "charity 慈善",
    "party": "party 党建",
    "exchange": "exchange 数据交换",
}


def diagram() -> str:
    """Services as nodes, one edge per (publisher, consumer service) naming the events it carries."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in FLOW:
        names = edges[(c.publisher, c.service)]
        names += [e.__name__ for e in c.events if e.__name__ not in names]
    lines = ["```mermaid", "flowchart LR"]
    lines += [f'  {svc}["{label}"]' for svc, label in SERVICE_LABELS.items()]
    lines += [f"  {src} -->|{', '.join(names)}| {dst}" for (src, dst), names in edges.items()]
    return "\n".join([*lines, "```"])


def table() -> str:
    """Every event, by publisher: each durable that takes it, or that nothing inside takes it."""
    rows = [
        "| event | published by | taken by (durable → handler module) | what the consumer does |",
        "|---|---|---|---|",
    ]
    for event in sorted(ALL_EVENTS, key=lambda e: list(SERVICE_LABELS).index(e.service)):
        head = f"`{event.__name__}` | {event.service}"
        takers = takers_of(event)
        if not takers:
            rows.append(f"| {head} | — | kept in the {stream_of(event)} stream; no consumer inside the platform |")
        for i, c in enumerate(takers):
            rows.append(f"| {head if i == 0 else ' | '} | `{c.durable}` → `{c.module}` | {c.does} |")
    return "\n".join(rows)


def readme_section() -> str:
    return "\n\n".join([BEGIN, diagram(), table(), END])


def with_section(readme: str) -> str:
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + readme_section() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the README's flow section from the flow map")
    parser.add_argument("--write", action="store_true", help="rewrite README.md's flow section")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    if not args.write:
        print(readme_section())
        return 0
    README.write_text(with_section(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
