"""Who a step's notice goes to, what became of it, and who hears when it never arrived.

A reminder goes to the case's owner (the region's coordinators while the case
has none), one about a plan deadline also to the plan's adviser, and a copy to
the region's address when its policy names one. Each delivery's outcome is
recorded on the case; a final failure is counted (services/platform/metrics.py) and
told to the region's coordinators, once (a notice about a failure never raises another).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.case import Case
from domain.policy import EscalationPolicy
from domain.timetable import CASE_OWNER, COUNCIL_LIAISON
from domain.vocabulary import Deadline
from services.cases.workflow_contract import Delivery, DeliveryOutcome, Notice, RetrySchedule
from services.platform import metrics

DELIVERY_FAILED = "delivery failed"
PLAN_DEADLINES = frozenset({Deadline.PLAN_AGREED.value, Deadline.NEXT_REVIEW.value})


class Directory(Protocol):
    """Where people's addresses come from (the user store)."""

    def email_of(self, username: str) -> str: ...

    def coordinators_of(self, region: str) -> list[str]: ...

    def digest_addresses(self) -> set[str]: ...

    def liaisons_of(self, authority: str) -> list[str]: ...

    def name_of(self, username: str) -> str: ...


class NoDirectory:
    """A worker without a user store: only the region's own address is known."""

    def email_of(self, username: str) -> str:
        return ""

    def coordinators_of(self, region: str) -> list[str]:
        return []

    def digest_addresses(self) -> set[str]:
        return set()

    def liaisons_of(self, authority: str) -> list[str]:
        return []

    def name_of(self, username: str) -> str:
        return username


class CachedDirectory:
    """Reads the user store at most once per `seconds` per question, so a burst of
    reminders does not read every user for each one."""

    def __init__(self, directory: Directory, seconds: float = 30.0) -> None:
        self.directory, self.seconds = directory, seconds
        self._answers: dict[tuple[str, str], tuple[object, float]] = {}
        self._lock = threading.Lock()

    def email_of(self, username: str) -> str:
        return str(self._ask(("email", username), lambda: self.directory.email_of(username)))

    def coordinators_of(self, region: str) -> list[str]:
        answer = self._ask(("region", region), lambda: self.directory.coordinators_of(region))
        return list(answer) if isinstance(answer, list) else []

    def digest_addresses(self) -> set[str]:
        answer = self._ask(("digest", ""), self.directory.digest_addresses)
        return set(answer) if isinstance(answer, set) else set()

    def liaisons_of(self, authority: str) -> list[str]:
        answer = self._ask(("council", authority),
                           lambda: self.directory.liaisons_of(authority))
        return list(answer) if isinstance(answer, list) else []

    def name_of(self, username: str) -> str:
        return str(self._ask(("name", username), lambda: self.directory.name_of(username)))

    def _ask(self, question: tuple[str, str], read: Callable[[], object]) -> object:
        with self._lock:
            known = self._answers.get(question)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        answer = read()
        with self._lock:
            self._answers[question] = (answer, time.monotonic() + self.seconds)
        return answer


@dataclass(frozen=True)
class Recipients:
    """The people a notice is for, as addresses, and the region's copy."""

    people: list[str]
    region_copy: str = ""
    names: dict[str, str] = field(default_factory=dict)

    def deliveries(self, webhook: str, channels: frozenset[str]) -> list[Delivery]:
        addresses = list(dict.fromkeys([*self.people, self.region_copy]))
        mail = "notify" if "notify" in channels else "email"  # GOV.UK Notify, when set
        wanted = [Delivery(mail, a) for a in addresses if a]
        wanted += [Delivery("webhook", webhook)] if webhook else []
        return [d for d in wanted if d.channel in channels]


def recipients(case: Case, deadline: str, recipient: str, policy: EscalationPolicy,
               directory: Directory) -> Recipients:
    """A reminder to the owner (else the coordinators), a plan's also to its adviser;
    people who chose the morning digest read their reminders there instead. A plan put
    to the council goes to the council's liaisons (and the region's copy)."""
    if recipient == COUNCIL_LIAISON:
        return Recipients(directory.liaisons_of(case.authority), policy.notify_email)
    coordinators = directory.coordinators_of(case.region)
    owner = getattr(case, "owner", None)  # the case's owner, once cases carry one
    owner_email = directory.email_of(owner) if isinstance(owner, str) and owner else ""
    people = ([owner_email] if owner_email else coordinators) if recipient == CASE_OWNER \
        else coordinators
    if deadline in PLAN_DEADLINES:
        people = people + [directory.email_of(a) for a in case.advisers]
    later = directory.digest_addresses() if recipient == CASE_OWNER else set()
    return Recipients([p for p in dict.fromkeys(people) if p and p not in later],
                      policy.notify_email)


def count_failure(channel: str) -> None:
    """A delivery failed after all its retries: the one counter of final failures
    (`casework_notices_failed_total` on the worker's /metrics)."""
    metrics.NOTICES_FAILED.labels(channel).inc()


def failure_alert(outcome: DeliveryOutcome, coordinators: list[str], channels: frozenset[str],
                  retry: RetrySchedule) -> Notice | None:
    """Tell the region's coordinators that a notice never arrived; None for an alert's own
    failure (no alert about an alert) or when no coordinator has an address."""
    notice, delivery = outcome.notice, outcome.delivery
    if notice.kind == DELIVERY_FAILED:
        return None
    people = Recipients([c for c in coordinators if c != delivery.address])
    deliveries = people.deliveries("", channels)
    if not deliveries:
        return None
    subject = f"{notice.authority}: a notice did not reach {delivery.address}"
    body = (f"The notice \"{notice.subject}\" could not be delivered by {delivery.channel} "
            f"to {delivery.address} after {outcome.attempts} attempts.\n\n"
            f"The last reason: {outcome.result.reason}\n\n"
            f"What to do: check the address (the user's email, or the region's policy), "
            f"and tell the person directly what the notice said.\n"
            + (f"\nOpen the case: {notice.case_url}\n" if notice.case_url else ""))
    return Notice(key=f"{notice.key}|{delivery.channel}|{delivery.address}|failed",
                  case_id=notice.case_id, authority=notice.authority, region=notice.region,
                  subject=subject, body=body, deliveries=deliveries, retry=retry,
                  kind=DELIVERY_FAILED, case_url=notice.case_url, reference=notice.reference)


def outcome_time(outcome: DeliveryOutcome, now: datetime) -> datetime:
    return datetime.fromisoformat(outcome.result.at) if outcome.result.at else now


def case_uuid(notice: Notice) -> UUID | None:
    try:
        return UUID(notice.case_id)
    except ValueError:
        return None
