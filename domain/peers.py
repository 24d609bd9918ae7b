"""The register of accredited peers and their deployments.

A peer lends their expertise for a number of days a quarter: a councillor or
officer of another council, or an official of a partner organisation (a
charity, the national improvement body, a professional body, another public
body), as in seed 004's Midthorpe team ("two officers from Oxtown Borough and
Munbridge City Councils, an official from the NSPCC and a member peer"). Three
rules protect the help they give: a peer is never deployed to their own
council, nor to a council the register records a conflict of interest with,
nor beyond the days they have left this quarter. The days renew each quarter:
a deployment counts in the quarter it was made, and its days come back if it
ends early.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidField, RuleViolation
from domain.registers import (
    OrganisationKind,
    PeerRole,
    ServiceArea,
    one_of,
    quarter_of,
    register_id,
    required_text,
    same_name,
    some_of,
    whole_number,
)
from domain.vocabulary import ProblemNature

COUNCIL = OrganisationKind.COUNCIL.value
COUNCIL_ROLES = (PeerRole.COUNCILLOR.value, PeerRole.OFFICER.value)

RegisteredName = Callable[[str], str | None]
"""The register of authorities as the rules consult it: a council's registered name,
or None when the register does not know it."""


def check_role_fits(role: str, organisation_kind: str) -> None:
    """Councillors and officers are a council's; a partner organisation lends officials."""
    if (organisation_kind == COUNCIL) != (role in COUNCIL_ROLES):
        wanted = "a councillor or officer" if organisation_kind == COUNCIL else "an official"
        raise InvalidField(f"a peer from a {organisation_kind} is {wanted}; got role {role!r}",
                           field="role", rule="peer_role_fits_organisation")


def one_organisation(council: Any, organisation: Any) -> tuple[Any, str]:
    """The peer's own organisation and the field that named it: `organisation`, or
    `council` as bodies said before partners were admitted. Both given must agree."""
    if council is None:
        return organisation, "organisation"
    if organisation is None:
        return council, "council"
    if (not isinstance(council, str) or not isinstance(organisation, str)
            or same_name(council) != same_name(organisation)):
        raise InvalidField("council and organisation name different organisations; give "
                           "the peer's own organisation once", field="organisation",
                           rule="one_organisation")
    return organisation, "organisation"


def own_organisation(name: Any, kind: str, registered: RegisteredName, field: str) -> str:
    """A council peer's council must be registered (its region and conflicts are seen);
    a partner organisation must not be a registered council, or the own-council rule
    could be slipped by calling a council a charity."""
    name = required_text(name, field)
    known = registered(name)
    if kind == COUNCIL and known is None:
        raise InvalidField(f"{field} must be a council in the register of authorities; "
                           f"{name!r} is not (register it first)", field=field,
                           rule="authority_not_registered")
    if kind != COUNCIL and known is not None:
        raise InvalidField(f"{known} is a registered council: its peers come from a council "
                           f"(organisation_kind {COUNCIL!r})", field="organisation_kind",
                           rule="peer_role_fits_organisation")
    return known or name


def declared_conflicts(names: Iterable[Any] | None, registered: RegisteredName
                       ) -> tuple[str, ...]:
    """The councils a peer may not support besides their own, each one registered, so a
    misspelt name cannot leave a real conflict unchecked."""
    if isinstance(names, str):
        names = [names]
    found: dict[str, str] = {}
    for name in names or ():
        text = required_text(name, "conflicts_of_interest")
        known = registered(text)
        if known is None:
            raise InvalidField(f"conflicts_of_interest must name councils in the register of "
                               f"authorities; {text!r} is not", field="conflicts_of_interest",
                               rule="authority_not_registered")
        found.setdefault(same_name(known), known)
    return tuple(found.values())


def conflict_of(*, name: str, organisation: str, council: str | None,
                conflicts_of_interest: Iterable[str], authority: str) -> tuple[str, str] | None:
    """The rule and the reason a peer may not support `authority`, or None when they may.

    The own-council rule applies to a council's peer (`council`, None for a partner
    organisation's); the conflicts the register records apply to every peer. Pages ask
    this before offering a peer, so they offer exactly whom a deployment would accept.
    """
    if council is not None and same_name(authority) == same_name(council):
        return ("peer_own_council",
                f"{name} is from {council}: a peer never supports their own council")
    if same_name(authority) in {same_name(c) for c in conflicts_of_interest}:
        return ("peer_conflict_of_interest",
                f"{name} ({organisation}) has a conflict of interest with {authority} "
                f"recorded in the register")
    return None


class Peer(Aggregate):
    """An accredited peer, with their own organisation, expertise and capacity.

    Version 2 (partner organisations) holds `organisation`, `organisation_kind` and
    `conflicts_of_interest` where version 1 held `council`: a snapshot of version 1 is
    read as a council peer with no conflicts recorded.
    """

    class_version = 2
    account: str | None = None  # no account linked (every peer accredited before links)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["organisation"] = state.pop("council")
        state["organisation_kind"] = COUNCIL
        state["conflicts_of_interest"] = ()

    @staticmethod
    def create_id(name: str, organisation: str) -> UUID:
        return register_id("peer", f"{name}|{organisation}")

    @classmethod
    def accredit(cls, *, name: str, role: str, organisation: str, problem_natures: Iterable[str],
                 service_areas: Iterable[str], days_per_quarter: int, actor_id: str,
                 registered: RegisteredName, organisation_kind: str = COUNCIL,
                 conflicts_of_interest: Iterable[str] = (),
                 organisation_field: str = "organisation") -> "Peer":
        """Add an accredited peer from `organisation`, of `organisation_kind` (a council,
        named as in the register, unless said otherwise); `organisation_field` is the
        field of the request that named it, for the refusal."""
        kind = one_of(organisation_kind, OrganisationKind, "organisation_kind")
        role = one_of(role, PeerRole, "role")
        check_role_fits(role, kind)
        return cls(
            name=required_text(name, "name"),
            role=role,
            organisation=own_organisation(organisation, kind, registered, organisation_field),
            organisation_kind=kind,
            conflicts_of_interest=declared_conflicts(conflicts_of_interest, registered),
            problem_natures=some_of(problem_natures, ProblemNature, "problem_natures"),
            service_areas=some_of(service_areas, ServiceArea, "service_areas"),
            days_per_quarter=whole_number(days_per_quarter, "days_per_quarter", minimum=1),
            actor_id=required_text(actor_id, "actor_id"),
        )

    class Accredited(Aggregate.Created):
        """Version 2 names the peer's organisation and its kind, and the conflicts of
        interest recorded; a peer accredited before (version 1, `council`) is read as
        that council's, with none recorded."""

        class_version = 2
        name: str
        role: str
        organisation: str
        organisation_kind: str
        conflicts_of_interest: tuple[str, ...]
        problem_natures: tuple[str, ...]
        service_areas: tuple[str, ...]
        days_per_quarter: int
        actor_id: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["organisation"] = state.pop("council")
            state["organisation_kind"] = COUNCIL
            state["conflicts_of_interest"] = []

    @event(Accredited)
    def __init__(self, *, name: str, role: str, organisation: str, organisation_kind: str,
                 conflicts_of_interest: tuple[str, ...], problem_natures: tuple[str, ...],
                 service_areas: tuple[str, ...], days_per_quarter: int, actor_id: str) -> None:
        self.name = name
        self.role = role
        self.organisation = organisation
        self.organisation_kind = organisation_kind
        self.conflicts_of_interest = tuple(conflicts_of_interest)
        self.problem_natures = tuple(problem_natures)
        self.service_areas = tuple(service_areas)
        self.days_per_quarter = days_per_quarter
        self.deployments: dict[str, dict[str, Any]] = {}

    # -- rules -----------------------------------------------------------------

    @property
    def council(self) -> str | None:
        """The peer's own council; None for a peer from a partner organisation."""
        return self.organisation if self.organisation_kind == COUNCIL else None

    def days_left(self, on: date) -> int:
        """Days of the quarter holding `on` not reserved by a deployment made in it.

        Deployments of past quarters do not count; one recorded before deployments
        named their quarter counts in every quarter until it ends.
        """
        quarter = quarter_of(on)
        return self.days_per_quarter - sum(
            int(d["days"]) for d in self.deployments.values()
            if d.get("period", "") in ("", quarter))

    def conflict(self, authority: str) -> tuple[str, str] | None:
        """The rule and the reason this peer may not support `authority`, or None.

        The own-council rule applies to a council's peer; the conflicts the register
        records apply to every peer, from a council or a partner organisation.
        """
        return conflict_of(name=self.name, organisation=self.organisation,
                           council=self.council,
                           conflicts_of_interest=self.conflicts_of_interest,
                           authority=authority)

    def conflict_with(self, authority: str) -> str | None:
        """Why this peer may not support `authority`, or None when they may."""
        found = self.conflict(authority)
        return found[1] if found else None

    def check_can_deploy(self, authority: str, days: int, on: date) -> None:
        conflict = self.conflict(authority)
        if conflict:
            raise RuleViolation(conflict[1], rule=conflict[0], field="authority")
        left = self.days_left(on)
        if days > left:
            raise RuleViolation(
                f"{self.name} has {left} of {self.days_per_quarter} days left in "
                f"{quarter_of(on)}; {days} asked for", rule="peer_capacity", field="days")

    # -- commands --------------------------------------------------------------

    def deploy(self, *, deployment_id: str, case_id: str, authority: str, days: int,
               on: date, actor_id: str) -> None:
        """Reserve the peer's days of this quarter (holding `on`) for a case; the days
        come back when the deployment ends."""
        days = whole_number(days, "days", minimum=1)
        authority = required_text(authority, "authority")
        self.check_can_deploy(authority, days, on)
        self._deployed(deployment_id=deployment_id, case_id=required_text(case_id, "case_id"),
                       authority=authority, days=days, actor_id=actor_id,
                       period=quarter_of(on))

    class Deployed(Aggregate.Event):
        """Version 2 added the quarter the days count in. Deployments recorded before
        (version 1) are read with none, and count in every quarter until they end."""

        class_version = 2
        deployment_id: str
        case_id: str
        authority: str
        days: int
        actor_id: str
        period: str = ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("period", "")

    @event(Deployed)
    def _deployed(self, *, deployment_id: str, case_id: str, authority: str, days: int,
                  actor_id: str, period: str = "") -> None:
        self.deployments[deployment_id] = {"case_id": case_id, "authority": authority,
                                           "days": days, "period": period}

    def link_account(self, *, account: str | None, actor_id: str) -> None:
        """The peer's casework account (a username), or None to unlink it: a deployment
        then names it, so the peer reads the case and records their visits."""
        account = required_text(account, "account") if account is not None else None
        if account != self.account:
            self._account_linked(account=account, actor_id=actor_id)

    @event("AccountLinked")
    def _account_linked(self, *, account: str | None, actor_id: str) -> None:
        self.account = account

    def end_deployment(self, *, deployment_id: str, actor_id: str) -> None:
        if deployment_id not in self.deployments:
            raise RuleViolation(f"{self.name} has no current deployment {deployment_id}",
                                rule="deployment_not_current", field="deployment_id")
        self._deployment_ended(deployment_id=deployment_id, actor_id=actor_id)

    @event("DeploymentEnded")
    def _deployment_ended(self, *, deployment_id: str, actor_id: str) -> None:
        self.deployments.pop(deployment_id)
