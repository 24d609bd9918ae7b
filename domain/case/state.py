"""What every part of a case shares: the facts it holds, its running deadlines, and
the reading of a command's fields.

Each part (concern, plan, support, ladder, meetings, ...) is a class the `Case`
aggregate composes, and reads with only this module (and the parts it builds on)
beside it. The state is kept in plain dicts and lists, as the events' apply methods
have always built it: a snapshot stores it as it is, and the case views show it.
"""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField, RuleViolation
from domain.moments import moment
from domain.vocabulary import CaseStatus

AUTOMATION = "automation"
"""The actor role of every step the timetable takes by itself."""
DEFAULT_POLICY = DeadlinePolicy()
NO_GRANTS: Mapping[str, dict[str, Any]] = MappingProxyType({})


def required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{field} is required and must not be blank", field=field)
    return value.strip()


def optional_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(f"{field} must be text", field=field)
    return value.strip()


def texts(values: Any, field: str) -> list[str]:
    """A list of non-blank texts; a single text counts as a list of one."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [required_text(v, f"{field}[{i}]") for i, v in enumerate(values)]


def a_moment(value: Any, field: str) -> datetime:
    return moment(value, field)


def actor(actor_id: Any, actor_role: Any) -> dict[str, str]:
    """Who recorded an event: every event carries both."""
    return {"actor_id": required_text(actor_id, "actor_id"),
            "actor_role": required_text(actor_role, "actor_role")}


class CaseState:
    """The facts a case holds, set by its events' apply methods (never by commands)."""

    # set by ConcernRaised (domain/case/concern.py)
    authority: str
    region: str
    summary: str
    source: str
    issue_type: str
    raised_at: datetime
    stage: str
    stage_since: datetime
    status: str
    deadlines: dict[str, datetime]
    deadline_started: dict[str, datetime]
    paused_deadlines: dict[str, dict[str, Any]]
    diagnosis: dict[str, Any] | None
    reminders: list[str]
    """Keys of reminders (and failed automated steps) for deadlines still open."""
    reminders_issued: int
    intelligence: list[dict[str, Any]]
    risk: dict[str, dict[str, Any]]
    council_agrees_referral: bool
    regulator_not_satisfied: bool
    council_decisions: list[dict[str, Any]]
    plan: dict[str, Any] | None
    commissions: list[dict[str, Any]]
    deployments: dict[str, dict[str, Any]]
    reviews: list[dict[str, Any]]
    joint_meetings: list[dict[str, Any]]
    government_meetings: list[dict[str, Any]]
    pending_escalation: dict[str, Any] | None
    escalation_keys: list[str]
    closure: dict[str, Any] | None

    # Set by events added in later releases: class defaults, so that cases (and
    # snapshots) from before each existed still load.
    _agreed_plan: dict[str, Any] | None = None
    _risk_controls: dict[str, Any] | None = None
    _lga_brokering: dict[str, Any] | None = None
    reference: str = ""
    """The case's reference (domain/case_reference.py); "" until a case from before
    references is given one."""
    owner: str | None = None
    """The coordinator who owns the case; None for cases opened before cases had owners."""
    confidential_access: Mapping[str, dict[str, Any]] = NO_GRANTS
    """Who beyond the coordinators may read the case's confidential material, by username.
    Replaced (never changed in place) by each grant and revocation, so this class default
    stays empty for cases and snapshots from before grants existed."""
    red_flag: dict[str, Any] | None = None
    """Raised by a joint local meeting whose regulator is not satisfied: further government
    or inspectorate action follows."""
    joint_meeting_proposal: dict[str, Any] | None = None
    """A joint local meeting automation proposed for a case stuck at local, until it is
    held or a coordinator declines it."""
    documents: tuple[dict[str, Any], ...] = ()
    """The documents attached to the case (domain/case/documents.py), oldest first.
    Replaced (never changed in place) by each attachment, so this class default stays
    empty for cases and snapshots from before documents existed."""

    redactions: Mapping[str, dict[str, Any]] = NO_GRANTS
    """The fields of the case's events redacted (domain/case/redaction.py), by "version:field".
    Replaced (never changed in place) by each redaction, so this class default stays
    empty for cases and snapshots from before redaction existed."""

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Record an event of one of the parts (the aggregate, first in line, does)."""
        raise NotImplementedError

    # -- deadlines, which most parts start or meet ------------------------------------

    def _set_deadline(self, name: str, due: datetime, started: datetime) -> None:
        """Start a deadline; set again to the same due time, it keeps its clock and the
        reminders already issued for it (their keys name that due time, so forgetting
        them would send them again)."""
        if self.deadlines.get(name) == due:
            return
        self.deadlines[name] = due
        self.deadline_started[name] = started
        self.paused_deadlines.pop(name, None)
        self._forget_reminders(name)

    def _clear_deadline(self, name: str) -> None:
        self.deadlines.pop(name, None)
        self.deadline_started.pop(name, None)
        self.paused_deadlines.pop(name, None)
        self._forget_reminders(name)

    def _forget_reminders(self, deadline: str) -> None:
        """Reminder keys name their deadline and its due time; once that is met or
        moved they can never recur, so keeping them would only grow every load."""
        prefix = f"{deadline}:"
        self.reminders = [key for key in self.reminders if not key.startswith(prefix)]

    # -- the rule every part shares -------------------------------------------------------

    def check_open(self) -> None:
        """Nothing is recorded on a closed case except its follow-up review or reopening it."""
        if self.status != CaseStatus.OPEN:
            raise RuleViolation(
                "the case is closed; only its follow-up review or reopening it may be recorded",
                rule="closed_case_is_read_only",
            )
