"""Every event of the platform, by CloudEvents type."""
from contracts.envelope import Event
from contracts.events.charity import (
    DonationEarmarked,
    DonationReceived,
    FundOpened,
    FundingRejected,
    FundsCommitted,
    FundsDisbursed,
    PointsGranted,
    PointsRedeemed,
)
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
    ResidentRegistered,
    ServiceLevelsChanged,
)
from contracts.events.party import (
    ActionDispatched,
    MatterDecided,
    MatterEscalated,
    MemberReported,
    PartyMemberDataRead,
    PartyMemberRegistered,
    WhistleBlown,
    WhistleClosed,
    WhistleEscalated,
    WishFulfilled,
)
from contracts.events.projects import (
    DisbursementRequested,
    FundingRequested,
    OrganizationRegistered,
    ProcurementAudited,
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
from contracts.events.volunteers import (
    HoursLogged,
    HoursVerified,
    TaskAccepted,
    VolunteerDataRead,
    VolunteerRegistered,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    NeedRaised, NeedAssessed, NeedRouted, NeedEscalated, NeedMatched, NeedResolved, NeedFeedbackGiven,
    MediationOpened, MediationEscalated, PersonalDataRead, ServiceLevelsChanged, ResidentRegistered,
    VolunteerRegistered, VolunteerDataRead, TaskAccepted, HoursLogged, HoursVerified, ProjectProcured, FundingRequested,
    DonationReceived, DonationEarmarked, FundOpened, FundsCommitted, FundingRejected, FundsDisbursed,
    CreditsExchanged, PointsGranted, PointsRedeemed, ProjectReviewRequested,
    MatterDecided, MatterEscalated, WhistleBlown, MemberReported, WhistleEscalated, WhistleClosed, WishFulfilled,
    ActionDispatched, PartyMemberRegistered, PartyMemberDataRead,
    OrganizationRegistered, ProjectProposed, ProjectPublished, ProjectClosed, ProjectMilestoneReported,
    DisbursementRequested, ProjectEvaluated, ProcurementAudited, VolunteerTaskRequested,
)
BY_TYPE: dict[str, type[Event]] = {e.type_name(): e for e in ALL_EVENTS}
