"""Every event of the platform, by CloudEvents type."""
from contracts.envelope import Event
from contracts.events.charity import DonationEarmarked, FundsDisbursed
from contracts.events.needs import (
    MediationEscalated,
    MediationOpened,
    NeedAssessed,
    NeedEscalated,
    NeedFeedbackGiven,
    NeedMatched,
    NeedRaised,
    NeedResolved,
    NeedRouted,
    PersonalDataRead,
)
from contracts.events.projects import ProjectProcured
from contracts.events.volunteers import HoursVerified, TaskAccepted

ALL_EVENTS: tuple[type[Event], ...] = (
    NeedRaised, NeedAssessed, NeedRouted, NeedEscalated, NeedMatched, NeedResolved, NeedFeedbackGiven,
    MediationOpened, MediationEscalated, PersonalDataRead,
    TaskAccepted, HoursVerified, ProjectProcured, DonationEarmarked, FundsDisbursed,
)
BY_TYPE: dict[str, type[Event]] = {e.type_name(): e for e in ALL_EVENTS}
