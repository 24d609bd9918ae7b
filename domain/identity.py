"""Who may do what: the roles, the people who hold them, and the role rules.

Access to a case follows the people's real relationships to it: a coordinator
works the cases of their own region, an adviser the cases assigned to them, an
authority liaison their own council's cases, a peer the cases they are deployed
to; an inspector reads everything and writes nothing; the government office (the
ministry's locality team) reads only the cases a coordinator has granted it their
confidential material on, while the grant stands, and writes nothing; an admin runs
users and policy and may hand any case to another owner, but sees no case; a coordinator
manages their own region's liaisons, advisers and peers (`may_manage`). The rules are
written once here, as data (`PERMISSIONS`) plus one relationship test per role
(`is_related`), so the API, its documentation and its tests all read the same table.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.documents import DocumentStep
from domain.errors import InvalidField, RuleViolation
from domain.registers import Region, one_of
from domain.vocabulary import choices

_USERS = UUID("6f1d6c1e-3b1a-4d35-9a52-5b0c4c1e7a10")


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ADVISER = "adviser"
    AUTHORITY_LIAISON = "authority liaison"
    PEER = "peer"
    INSPECTOR = "inspector"
    GOVERNMENT_OFFICE = "government office"
    ADMIN = "admin"


C, A, L, P, I, G, ADM = (Role.COORDINATOR, Role.ADVISER, Role.AUTHORITY_LIAISON, Role.PEER,
                         Role.INSPECTOR, Role.GOVERNMENT_OFFICE, Role.ADMIN)

# Every action a person can take, and the roles that may take it. For actions on a
# case, the role must also be related to that case (see `is_related`).
PERMISSIONS: dict[str, frozenset[Role]] = {
    # cases: reading
    "list cases": frozenset({C, A, L, P, I, G}),
    "read case": frozenset({C, A, L, P, I, G}),
    "read stage and deadlines": frozenset({C, A, L, I}),
    "read history": frozenset({C, A, L, I, G}),
    "read case as of": frozenset({C, A, L, I, G}),
    "verify history": frozenset({C, I, G}),
    "export history": frozenset({C, I, G}),
    "read regional picture": frozenset({C, I}),
    "read national picture": frozenset({I, ADM}),  # counts only: no case is read
    # who has seen a case (the access log): an inspector or administrator on any case,
    # a coordinator on their own region's (`is_related`; `may` lets an admin reach any)
    "read access log": frozenset({C, I, ADM}),
    "export access log": frozenset({I, ADM}),  # every record, searches included
    "read own access log": frozenset({C, A, L, P, I, G, ADM}),  # what they looked at
    # (the government office reads only cases granted to it, and makes no command)
    # cases: the coordinator's commands
    "open case": frozenset({C}),
    "add intelligence": frozenset({C}),
    "assess risk": frozenset({C}),
    "record diagnosis": frozenset({C}),
    "commission support": frozenset({C}),
    "deploy peer": frozenset({C}),
    "end peer deployment": frozenset({C}),
    "end commission": frozenset({C}),
    "change stage": frozenset({C}),
    "record joint local meeting": frozenset({C}),
    "record joint meeting summary": frozenset({C}),
    "propose joint meeting": frozenset({C}),
    "decline joint meeting proposal": frozenset({C}),
    "convene government meeting": frozenset({C}),
    "conclude government meeting": frozenset({C}),
    "confirm escalation": frozenset({C}),
    "decline escalation": frozenset({C}),
    "pause deadline": frozenset({C}),
    "resume deadline": frozenset({C}),
    "close case": frozenset({C}),
    "reopen case": frozenset({C}),
    "record follow-up review": frozenset({C}),
    "grant confidential access": frozenset({C}),
    "revoke confidential access": frozenset({C}),
    # cases: handing a case to another coordinator, also an administrator's
    "reassign case": frozenset({C, ADM}),
    # cases: the plan and its reviews, shared with the case's adviser
    "draft support plan": frozenset({C, A}),
    "review support plan": frozenset({C, A}),
    "revise support plan": frozenset({C, A}),
    "ask council to agree plan": frozenset({C, A}),
    "review progress": frozenset({C, A}),
    # cases: the council's own decisions, only ever its own liaison's
    "acknowledge need": frozenset({L}),
    "agree support plan": frozenset({L}),
    "decline support": frozenset({L}),
    # peers record their own visits
    "record peer visit": frozenset({C, P}),
    # documents: whoever records on a case (a peer only on their own deployment's
    # visit: `may_attach_document_to`)
    "attach document": frozenset({C, A, L, P}),
    # records: the retention schedule (domain/retention.py). Only an administrator
    # disposes of a closed case once the schedule allows; inspectors read what was
    # disposed of, and when, under which rule.
    "list cases due for disposal": frozenset({ADM}),
    "dispose of case": frozenset({ADM}),
    "read disposal records": frozenset({I, ADM}),
    # administration
    # (a coordinator only their region's liaisons, advisers and peers: `may_manage`)
    "manage users": frozenset({C, ADM}),
    "make another person's token": frozenset({ADM}),  # may_hold_keys_for_others
    # records: redacting one field or document for a lawful reason (domain/case/redaction.py),
    # and finding what names a person, to act on their request: an administrator's alone
    "redact records": frozenset({ADM}),
    "find records naming a person": frozenset({ADM}),
}

CASE_READERS = PERMISSIONS["read case"]

# How far each role reaches, in the words of the role table.
REACH: dict[Role, str] = {
    C: "own region", A: "assigned", L: "own council", P: "deployed", I: "all",
    G: "granted", ADM: "yes",
}


@dataclass(frozen=True)
class Principal:
    """A signed-in person: who they are, their role, and where that role applies."""

    id: str
    role: Role
    region: str | None = None
    authority: str | None = None
    name: str = ""


@dataclass(frozen=True)
class CaseRelations:
    """The facts about a case that decide who is related to it."""

    region: str
    authority: str
    advisers: frozenset[str] = field(default_factory=frozenset)
    peers: frozenset[str] = field(default_factory=frozenset)
    grantees: frozenset[str] = field(default_factory=frozenset)
    """Whom a coordinator has granted the case's confidential material (and so, for the
    government office, the case itself), while the grant stands."""


def is_related(who: Principal, case: CaseRelations) -> bool:
    """Whether this person's role reaches this case at all."""
    match who.role:
        case Role.COORDINATOR:
            return who.region == case.region
        case Role.ADVISER:
            return who.id in case.advisers
        case Role.AUTHORITY_LIAISON:
            return who.authority == case.authority
        case Role.PEER:
            return who.id in case.peers
        case Role.INSPECTOR:
            return True
        case Role.GOVERNMENT_OFFICE:
            return who.id in case.grantees
    return False


def may_know_case(who: Principal, case: CaseRelations) -> bool:
    """Whether the case exists as far as this person is concerned (else: not found)."""
    return who.role in CASE_READERS and is_related(who, case)


def may(who: Principal, action: str, case: CaseRelations | None = None) -> bool:
    """Whether this person may take the action (on this case, when there is one).

    An administrator reads no case, but may take the few case actions granted to the
    role (reassigning a case when its owner leaves) on any case.
    """
    allowed = who.role in PERMISSIONS[action]
    return allowed and (case is None or is_related(who, case) or who.role is Role.ADMIN)


def may_record_visit_on(who: Principal, deployment: dict[str, Any] | None) -> bool:
    """A peer records visits on their own deployment only; a coordinator on any."""
    if who.role is Role.PEER:
        return deployment is not None and deployment.get("peer_id") == who.id
    return True


def may_attach_document_to(who: Principal, step: str,
                           deployment: dict[str, Any] | None = None) -> bool:
    """A peer attaches documents only to their own deployment's visit (`deployment`: the
    one the document's step_ref names); everyone else who may attach, to any step."""
    if who.role is Role.PEER:
        return step == DocumentStep.PEER_VISIT and may_record_visit_on(who, deployment)
    return True


def may_see_confidential_sources(who: Principal, granted: Iterable[str] = ()) -> bool:
    """Chatham House: the source is known only to the confidential group: its coordinators,
    and on one case those of its other members a coordinator granted access to
    (`granted`: the case's grantees; domain/ownership.py)."""
    return who.role is Role.COORDINATOR or (
        who.role is not Role.PEER and who.role is not Role.AUTHORITY_LIAISON
        and who.id in set(granted))


MANAGED_BY_COORDINATORS = frozenset({A, L, P})
"""The roles a coordinator adds and looks after; never admins, inspectors, the government
office or other coordinators (an administrator manages those)."""


def may_manage(who: Principal, reach: "Reach", *, council_region: str | None = None) -> bool:
    """Rule "a coordinator manages their own region's people": an administrator manages
    everyone; a coordinator manages the liaisons of councils in their region (the register
    of authorities gives `council_region`) and the advisers and peers recorded in their
    region (a person's region says where they work for casework; one with no region is an
    administrator's to manage). Asked of the person as they are and as they would become,
    so a coordinator can neither reach out of their region nor send someone out of it."""
    if who.role is Role.ADMIN:
        return True
    if who.role is not Role.COORDINATOR or reach.role not in MANAGED_BY_COORDINATORS:
        return False
    region = council_region if reach.role is Role.AUTHORITY_LIAISON else reach.region
    return region is not None and region == who.region


NO_EMAIL_TO_SEND = "no_email_to_send"
"""Rule: a sign-in link that cannot be emailed is handed only to an administrator."""


def may_hold_keys_for_others(who: Principal) -> bool:
    """Rule "only an administrator holds another person's keys": makes them a token, is
    shown a sign-in link to pass on, or changes the address their links go to. A
    coordinator manages advisers and peers whose cases may lie in other regions; holding
    their keys would let the coordinator read those cases as them. A coordinator's links go
    to the address the person was added with, and only to it. The role table's action
    "make another person's token" names the same rule."""
    return who.role in PERMISSIONS["make another person's token"]


def may_change_themselves(who: Principal, username: str) -> bool:
    """Rule "nobody changes their own role or deactivates themselves": another person who
    manages them does. Else someone could move their own reach, or the last administrator
    shut everyone out of the people pages."""
    return who.id != username


def may_open_case_in(who: Principal, region: str) -> bool:
    """A coordinator opens cases only in their own region."""
    return may(who, "open case") and who.region == region


def parse_role(value: Any, field_name: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidField(
            f"{field_name} must be one of {choices(Role)}; got {value!r}", field=field_name
        ) from None


def email_address(value: Any, field_name: str = "email") -> str:
    """An address notices can go to: one '@', no spaces, line breaks or other control
    characters (each would break the email's To header, or add a header); blank means
    none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(f"{field_name} must be an email address", field=field_name)
    text = value.strip()
    local, at, domain = text.partition("@")
    if text and (not (local and at and domain) or "@" in domain or len(text) > 254
                 or any(c.isspace() or not c.isprintable() for c in text)):
        raise InvalidField(f"{field_name} must be an email address; got {value!r}",
                           field=field_name)
    return text


def _text(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{field_name} is required and must not be blank", field=field_name)
    return value.strip()


@dataclass(frozen=True)
class Reach:
    """A person's role and where it applies: a coordinator needs a region, an authority
    liaison their council."""

    role: Role
    region: str | None = None
    authority: str | None = None

    @classmethod
    def of(cls, role: Any, region: str | None, authority: str | None) -> "Reach":
        role_ = parse_role(role)
        if role_ is Role.COORDINATOR and not region:
            raise InvalidField("a coordinator needs a region", field="region")
        if region:
            region = one_of(region, Region, "region")
        if role_ is Role.AUTHORITY_LIAISON and not authority:
            raise InvalidField("an authority liaison needs an authority", field="authority")
        return cls(role_, region or None, authority or None)


class User(Aggregate):
    """A person who signs in with a token; their role decides what they may do."""

    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        """One user per username, so a username can be looked up without an index."""
        return uuid5(_USERS, f"user:{username.strip()}")

    @classmethod
    def register(cls, *, username: str, name: str, role: str, region: str | None,
                 authority: str | None, email: str | None = None,
                 digest: bool = False) -> "User":
        """A coordinator needs a region; an authority liaison needs their council."""
        reach = Reach.of(role, region, authority)
        return cls(username=_text(username, "username"), name=name or username,
                   role=reach.role.value, region=reach.region, authority=reach.authority,
                   email=email_address(email), digest=bool(digest))

    @event("UserRegistered")
    def __init__(self, *, username: str, name: str, role: str, region: str | None,
                 authority: str | None, email: str = "", digest: bool = False) -> None:
        self.username = username
        self.email = email  # users registered before addresses were kept have none
        self.digest = digest
        self.name = name
        self.role = role
        self.region = region
        self.authority = authority
        self.token_hashes: list[str] = []
        self.active = True

    def issue_token(self, *, token_hash: str, label: str, issued_at: str = "") -> None:
        if not self.active:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        self._token_created(token_hash=token_hash, label=label, issued_at=issued_at)

    @event("TokenIssued")
    def _token_issued(self, *, token_hash: str, label: str) -> None:
        """As tokens were recorded before they said when (their time is not known)."""
        self.token_hashes.append(token_hash)
        self.__dict__.setdefault("token_labels", {})[token_hash] = (label, "")

    @event("TokenCreated")
    def _token_created(self, *, token_hash: str, label: str, issued_at: str) -> None:
        """A token, with when it was made (for the person's list of their tokens)."""
        self.token_hashes.append(token_hash)
        self.__dict__.setdefault("token_labels", {})[token_hash] = (label, issued_at)

    def revoke_token(self, token_hash: str) -> bool:
        """A token no longer accepted; False when it was not one of theirs (or is gone)."""
        if token_hash not in self.token_hashes:
            return False
        self._token_revoked(token_hash=token_hash)
        return True

    @event("TokenRevoked")
    def _token_revoked(self, *, token_hash: str) -> None:
        self.token_hashes.remove(token_hash)
        self.__dict__.setdefault("token_labels", {}).pop(token_hash, None)

    def tokens(self) -> list[tuple[str, str, str]]:
        """(digest, label, issued at) of each token still accepted, oldest first."""
        labels = self.__dict__.get("token_labels", {})
        return [(h, *labels.get(h, ("", ""))) for h in self.token_hashes]

    def send_sign_in_link(self, *, sent_by: str) -> None:
        """A sign-in link sent to this person: a fact an inspector may want (who let whom in)."""
        if not self.active:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        self._sign_in_link_sent(sent_by=sent_by)

    @event("SignInLinkSent")
    def _sign_in_link_sent(self, *, sent_by: str) -> None:
        pass

    def hand_over_sign_in_link(self, *, handed_by: str) -> None:
        """A sign-in link shown to the person who made it, to pass on themselves (this
        person has no email address, or email is not set up): who let whom in, as above."""
        if not self.active:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        self._sign_in_link_handed_over(handed_by=handed_by)

    @event("SignInLinkHandedOver")
    def _sign_in_link_handed_over(self, *, handed_by: str) -> None:
        pass

    @event("SignInLinkUsed")
    def sign_in_link_used(self, *, at: str) -> None:
        """The person signed in with a link sent to them (`at`: when, ISO 8601)."""
        self.__dict__["last_signed_in"] = at

    def change_reach(self, reach: "Reach") -> bool:
        """A new role or reach given in the pages; False when nothing changed. Never for
        someone deactivated: nothing can use it, and their history should end as they left."""
        if not self.active:
            raise RuleViolation("the user is deactivated", rule="inactive_user")
        return self.follow_identity_provider(reach)

    def change_email(self, email: str | None) -> bool:
        """Where this person's notices go; False when it is already the address."""
        address = email_address(email)
        if address == self.__dict__.get("email", ""):
            return False
        self._email_changed(email=address)
        return True

    @event("EmailChanged")
    def _email_changed(self, *, email: str) -> None:
        self.email = email

    def choose_digest(self, digest: bool) -> bool:
        """A morning digest instead of each reminder as it falls; False if unchanged."""
        if bool(digest) == self.__dict__.get("digest", False):
            return False
        self._digest_chosen(digest=bool(digest))
        return True

    @event("DigestChosen")
    def _digest_chosen(self, *, digest: bool) -> None:
        self.digest = digest

    def follow_identity_provider(self, reach: "Reach") -> bool:
        """The identity provider decides a signed-in person's role and reach; the directory
        follows it, so that the case rules judge them (as owner or grantee) as they are
        now. False when nothing changed."""
        if reach == Reach(Role(self.role), self.region, self.authority):
            return False
        self._reach_changed(role=reach.role.value, region=reach.region,
                            authority=reach.authority)
        return True

    @event("ReachChanged")
    def _reach_changed(self, *, role: str, region: str | None, authority: str | None) -> None:
        self.role = role
        self.region = region
        self.authority = authority

    def deactivate(self) -> None:
        if self.active:
            self._deactivated()

    @event("UserDeactivated")
    def _deactivated(self) -> None:
        self.active = False

    def principal(self) -> Principal:
        return Principal(id=self.username, role=Role(self.role), region=self.region,
                         authority=self.authority, name=self.name)
