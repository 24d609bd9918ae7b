"""The case application: one method per use case (load, call the domain, save)."""

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.authorities import check_registered
from domain.calendar import PolicyDuration
from domain.case import Case
from domain.case.next_steps import offered_now, tasks
from domain.case_reference import CaseReference
from domain.deadlines import DeadlinePolicy
from domain.errors import DomainError
from domain.ownership import Person
from services.cases.commands import CaseCommands
from services.cases.references import NUMBERS_TAKEN, ReferenceCounter, counter_id, next_reference
from services.cases.support import SupportThroughRegisters
from services.eventstore.chain import header_length
from services.eventstore.store import (
    EventStoreApplication,
    HistoryBroken,
    HistoryUnreadable,
    NotFound,
)
from services.policy.service import PolicyService
from services.registers.service import RegisterService

REFERENCE_TRIES = 50
"""How often opening a case reads its region's counter again, each time another case
took the number first: more than the cases any region opens at one moment."""
CONCERN_RAISED = get_topic(Case.ConcernRaised)


class CaseNotFound(NotFound):
    rule = "case_not_found"


class CaseDisposed(CaseNotFound):
    """The case was disposed of under the retention schedule: it is gone for good (410),
    and its disposal record says when, under which rule and on whose confirmation."""

    rule = "case_disposed"

    def __init__(self, record: dict[str, Any]) -> None:
        named = record.get("reference") or record.get("authority") or "case"
        super().__init__(f"{named} was disposed of on {record.get('disposed_on')} under the "
                         f"retention schedule: {record.get('rule')}", field="case_id")
        self.record = record


class KeyRecordedMeanwhile(Exception):
    """A record saved with the case (an idempotency key's) was saved first by another request."""


class StaleVersion(DomainError):
    """Someone else changed the case since the caller read it."""

    rule = "stale_version"

    def __init__(self, message: str, *, current_version: int):
        super().__init__(message, field="version")
        self.current_version = current_version


class CaseHistoryBroken(HistoryBroken):
    """The case's stored history no longer applies (a row lost or altered): verify it."""

    rule = "case_history_broken"


class CaseHistoryUnreadable(HistoryUnreadable, CaseHistoryBroken):
    """An event of the case cannot be read back (poison): answered, to those who may know
    of the case, as a problem naming the version and why; never as a 500."""

    rule = "case_history_unreadable"
    noun = "case"


AuthorityRegions = Callable[[str], str | None]
"""The register of authorities, as the region of a council (None: not registered)."""

People = Callable[[str], Person]
"""The user store, as the person behind a username (`Person.unknown` when there is none)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class CaseService(SupportThroughRegisters, CaseCommands, EventStoreApplication):
    """Opens and progresses support cases on an eventsourcing event store."""

    name = "casework"
    not_found_error = CaseNotFound
    history_broken_error = CaseHistoryBroken
    history_unreadable_error = CaseHistoryUnreadable
    # A region's reference counter gains an event per case: a process that has not yet
    # read it starts from its latest snapshot, not from the year's first case.
    snapshotting_intervals = {Case: 50, ReferenceCounter: 100}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        diagnosis_deadline: PolicyDuration | None = None,
        policy: DeadlinePolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        authorities: AuthorityRegions | None = None,
        people: People | None = None,
        registers: RegisterService | None = None,
        policies: PolicyService | None = None,
        unreadable_found: Callable[[UUID, int, str], None] | None = None,
    ) -> None:
        """`registers` and `policies` are the process's own (services/bootstrap.py); a case
        service built alone (a test, a bench) opens its own beside it on first use."""
        super().__init__(env)
        self.authorities = authorities
        self.people = people
        # Told of each case found with an unreadable event (the case list flags its row).
        self.unreadable_found = unreadable_found
        self._saving = threading.local()
        self.policy = policy or DeadlinePolicy()
        if diagnosis_deadline is not None:
            self.policy = replace(self.policy, diagnosis=diagnosis_deadline)
        self.diagnosis_deadline = self.policy.diagnosis
        self.clock = clock
        self._policies = policies
        self._policies_lock = threading.Lock()
        self._registers = registers
        self._owned: list[EventStoreApplication] = []  # opened here, so closed here
        self._counters: dict[UUID, threading.Lock] = {}
        self._counters_lock = threading.Lock()

    @contextlib.contextmanager
    def saved_with(self, companion: Callable[[Case], Aggregate]) -> Iterator[None]:
        """Within this block (on this thread), each save of a case also saves the record
        `companion` makes for it, in the same transaction."""
        self._saving.companion = companion
        try:
            yield
        finally:
            self._saving.companion = None

    def save_and_keep(self, aggregate: Any, *with_it: Aggregate) -> None:
        """Save the case with `with_it` (its reference's counter) and any companion record,
        all or nothing, and keep the case and `with_it` cached; a clash on the companion's
        record is `KeyRecordedMeanwhile`."""
        companion = getattr(self._saving, "companion", None)
        if not isinstance(aggregate, Case) or (companion is None and not with_it):
            return super().save_and_keep(aggregate)
        record = companion(aggregate) if companion is not None else None
        try:
            self.save(aggregate, *with_it, record)
        except IntegrityError:
            if record is not None and list(self.events.get(record.id, limit=1)):
                raise KeyRecordedMeanwhile(record.id) from None
            raise
        for saved in (aggregate, *with_it):
            self.repository.remember(saved)

    def policy_for(self, region: str) -> DeadlinePolicy:
        """The deadline durations for a region's cases: its own, once it has set a policy
        (services/policy/service.py), else this service's (the defaults, or the configured
        diagnosis deadline). Read at each command, so a change applies to deadlines set
        from then on; deadlines already set keep their due times."""
        recorded = self._region_policies().recorded_policy(region)
        return recorded.deadlines if recorded is not None else self.policy

    def region_policies(self) -> PolicyService:
        """The regions' policies, in this store (read and set over HTTP)."""
        return self._region_policies()

    def _region_policies(self) -> PolicyService:
        """The policy store beside this one, opened on first use."""
        with self._policies_lock:
            if self._policies is None:
                self._policies = PolicyService.beside(self)
                self._owned.append(self._policies)
            return self._policies

    def register_service(self) -> RegisterService:
        """The registers beside this store, opened on first use: support and peers on a
        case go through them (services/cases/support.py)."""
        with self._policies_lock:
            if self._registers is None:
                self._registers = RegisterService(dict(self.env), clock=self.clock)
                self._owned.append(self._registers)
            return self._registers

    def close(self) -> None:
        """Closes what this service opened itself; the process's own registers and
        policies are closed by whoever built them (services/bootstrap.py)."""
        for opened in self._owned:
            opened.close()
        self._owned.clear()
        self._registers = self._policies = None
        super().close()

    # -- commands ---------------------------------------------------------------

    def open_case(
        self, *, authority: str, region: str, summary: str, source: str,
        issue_type: str, actor_id: str, actor_role: str,
        diagnosis_due: datetime | None = None, owner: str | None = None,
    ) -> UUID:
        """Open a case owned by `owner` (a coordinator of the region), else by its opener."""
        if self.authorities is not None:
            check_registered(authority, self.authorities(authority), region=region)
        now = self.clock()
        due = diagnosis_due or self.policy_for(region).diagnosis.due_after(now)
        person = self._person(owner) if owner else None
        case_id = self._new_case_id()
        with self._taking_numbers(region, now):
            for attempt in range(REFERENCE_TRIES):
                counter, reference = self._next_reference(region, now, cached=attempt == 0)
                case = Case.raise_concern(
                    authority=authority, region=region, summary=summary, source=source,
                    issue_type=issue_type, raised_at=now, diagnosis_due=due,
                    actor_id=actor_id, actor_role=actor_role, owner=person,
                    reference=str(reference), case_id=case_id,
                )
                try:
                    self.save_and_keep(case, counter)
                    return case.id
                except IntegrityError:
                    continue  # another process took that number first: read the counter again
        raise StaleVersion("many cases were opened in this region at once; try again",
                           current_version=0)

    def _new_case_id(self) -> UUID | None:
        """A new case's id, its data key stored already (services/eventstore/keys.py), so
        that opening it waits for one commit; None, for a random one, when encryption is
        off."""
        keys = getattr(self, "key_store", None)
        return keys.fresh_stream_id() if keys is not None else None

    def give_reference(self, case_id: UUID, *, actor_id: str, actor_role: str) -> str | None:
        """Give a case from before references its reference (the next of its region, in
        the UK year it was raised); None when it has one already."""
        for _attempt in range(REFERENCE_TRIES):
            case = self._load(case_id)
            if case.reference:
                return None
            with self._taking_numbers(case.region, case.raised_at):
                counter, reference = self._next_reference(case.region, case.raised_at)
                case.give_reference(reference=str(reference), recorded_at=self.clock(),
                                    actor_id=actor_id, actor_role=actor_role)
                try:
                    self.save_and_keep(case, counter)
                    return case.reference
                except IntegrityError:
                    continue  # the case or the counter moved on meanwhile: read both again
        raise StaleVersion("the case kept changing; try again", current_version=0)

    @contextlib.contextmanager
    def _taking_numbers(self, region: str, raised_at: datetime) -> Iterator[None]:
        """This process's turn at a region's counter for the year, until its case is saved.

        Every case opened in a region takes the next number of one counter. Without a turn,
        sixteen requests at once each took the number this process saved last, one saved
        and fifteen were refused on the counter's version and read it again: opening cases
        got slower the more people opened them (84 a second at 16 clients, 383 at one).
        The store's writes are one at a time anyway; another process's clash is still
        refused on the version and retried."""
        ident = counter_id(region, raised_at)
        with self._counters_lock:
            turn = self._counters.setdefault(ident, threading.Lock())
        with turn:
            yield

    def _next_reference(self, region: str, raised_at: datetime, *,
                        cached: bool = False) -> tuple[ReferenceCounter, CaseReference]:
        """The next reference of a region and year, from its counter as the store now holds
        it (with `cached`, as this process last saved it, without reading the store: if
        another process has taken a number since, the save is refused on the counter's
        version and the caller asks again); taken on the counter returned, to be saved
        with the case."""
        ident = counter_id(region, raised_at)
        counter: ReferenceCounter | None = self.repository.checkout(ident) if cached else None
        if counter is None:
            try:
                counter = self.repository.get(ident)
            except AggregateNotFoundError:
                counter = None
        return next_reference(counter, region, raised_at)

    def cases_without_reference(self) -> int:
        """How many cases still need `casework give-references`: every reference given
        took a number of a counter, with the case, in one save."""
        return self._count([CONCERN_RAISED]) - self._count(NUMBERS_TAKEN)

    def _count(self, topics: Sequence[str]) -> int:
        count, start = 0, 1
        while batch := self.recorder.select_notifications(start=start, limit=1000,
                                                          topics=topics):
            count += len(batch)
            start = batch[-1].id + 1
        return count

    def _person(self, username: str) -> Person:
        """Who a username names, from the user store (unknown when there is none)."""
        return self.people(username) if self.people is not None else Person.unknown(username)

    def issue_reminder(
        self, case_id: UUID, *, deadline: str, recipient: str, reminder_key: str,
        actor_id: str = "escalation-workflow",
    ) -> bool:
        """Record a reminder once; retried safely by the workflow's activity."""
        return self._record_once(case_id, lambda case, _now: case.issue_reminder(
            deadline=deadline, recipient=recipient, reminder_key=reminder_key,
            actor_id=actor_id))

    def record_notice_outcome(
        self, case_id: UUID, *, notice_key: str, channel: str, address: str, delivered: bool,
        at: datetime, attempts: int, reason: str = "", actor_id: str = "notice-delivery",
    ) -> bool:
        """Record what became of one delivery, once; retried safely by its activity."""
        return self._record_once(case_id, lambda case, _now: case.record_notice_outcome(
            notice_key=notice_key, channel=channel, address=address, delivered=delivered,
            at=at, attempts=attempts, reason=reason, actor_id=actor_id))

    def record_automated(self, case_id: UUID,
                         decide: Callable[[Case, datetime], bool]) -> bool:
        """Record an automated step decided on the copy of the case being saved.

        `decide` answers False, writing nothing, when the step is moot on that
        copy; a save that loses to a concurrent command is decided again on a
        fresh read. True when the step was recorded.
        """
        return self._record_once(case_id, decide)

    def _record_once(self, case_id: UUID, command: Callable[[Case, datetime], bool]) -> bool:
        """Record a keyed, automated fact once; False when moot or already recorded."""
        return self._decide_and_save(case_id, None, command) is not None

    def _decide_and_save(self, case_id: UUID, expected_version: int | None,
                         decide: Callable[[Case, datetime], bool | None]) -> Case | None:
        """Decide on the cached copy of the case and save it; None if nothing was recorded.

        The cached copy may be behind the store (another process wrote since), so
        a refusal, a "nothing to record" or a save refused as stale, reached on
        it, is decided again on a fresh read. A save can never land on a stale
        copy: the store refuses a second event at the same version.
        """
        fresh = False
        for _attempt in range(5):
            case, fresh = self._for_command(case_id, expected_version, cached=not fresh)
            try:
                changed = decide(case, self.clock())
            except DomainError:
                if fresh:
                    raise
                fresh = True
                continue
            if changed is False:
                if fresh:
                    return None
                self.repository.remember(case)  # unchanged: back to the cache, then confirm
                fresh = True
                continue
            try:
                self._save(case)
                return case
            except StaleVersion:
                if expected_version is not None:
                    raise
                fresh = True  # someone wrote first: re-read and decide again
        raise StaleVersion("the case kept changing; try again", current_version=case.version)

    def _for_command(self, case_id: UUID, expected_version: int | None, *,
                     cached: bool) -> tuple[Case, bool]:
        """The case to decide on, and whether it was read fresh from the store. Never a
        case another process has disposed of, though this one still holds it cached."""
        self.refuse_if_disposed(case_id)
        case = self.repository.checkout(case_id) if cached else None
        if case is not None:
            if expected_version in (None, case.version):
                return case, False
            self.repository.remember(case)  # unchanged: back to the cache for the read below
        return self._load(case_id, expected_version), True

    # -- queries ----------------------------------------------------------------

    def get_case(self, case_id: UUID) -> dict[str, Any]:
        return case_view(self._load(case_id))

    def support_to_end(self, case_id: UUID) -> dict[str, list[str]]:
        """The peer deployments and commissions still running, which the case's closure
        waits for: asked of the case, so a closing page lists what the rule would refuse."""
        case = self._load(case_id)
        return {"deployments": case.active_deployments,
                "commissions": case.active_commissions}

    def readable_case(self, case_id: UUID) -> dict[str, Any]:
        """The case, for deciding who may read it; if its history no longer applies, the
        case as far as it does, marked `history_broken`, so that its verification,
        history and export still answer the people who may see it.

        If an event cannot be read at all (poison), the case as far as it can be read
        also carries `history_unreadable`, the problem its readers answer with. When not
        even its first event can be rebuilt, whom it relates to comes from that event's
        stored values if they still decode, else it is related to no region or council:
        only those who may know of every case hear of it, the rest get 404.
        """
        self.refuse_if_disposed(case_id)
        try:
            return self.get_case(case_id)
        except CaseHistoryUnreadable as unreadable:
            if self.unreadable_found is not None:
                self.unreadable_found(case_id, unreadable.version, unreadable.reason)
            partial = self.as_far_as_it_applies(case_id)
            known = case_view(partial) if partial is not None else self._first_known(case_id)
            return {**known, "history_broken": True, "history_unreadable": unreadable}
        except CaseHistoryBroken:
            partial = self.as_far_as_it_applies(case_id)
            if partial is None:
                raise CaseNotFound(f"no case with id {case_id}", field="case_id") from None
            return {**case_view(partial), "history_broken": True}

    def refuse_if_disposed(self, case_id: UUID) -> None:
        """A disposed case answers as gone, even from a process that still held it in its
        cache when another disposed of it (its data key is destroyed: one indexed read)."""
        keys = getattr(self, "key_store", None)
        if keys is not None and keys.is_destroyed(case_id):
            raise CaseDisposed(keys.disposal(case_id) or {})

    def _first_known(self, case_id: UUID) -> dict[str, Any]:
        """Whom a case relates to, from its first event's stored values alone."""
        first = next(iter(self.recorder.select_events(case_id, lte=1)), None)
        values: Any = {}
        if first is not None:
            with contextlib.suppress(Exception):
                values = self.decode_state(first.state[header_length(first.state):])
        text = {k: v for k, v in (values if isinstance(values, dict) else {}).items()
                if k in ("region", "authority", "owner") and isinstance(v, str)}
        return {"id": case_id, "version": 0, "region": text.get("region", ""),
                "authority": text.get("authority", ""), "owner": text.get("owner"),
                "advisers": [], "peers": [], "confidential_access": {}}

    def document_steps(self, case_id: UUID) -> dict[str, list[str]]:
        """The steps a document may be attached to now, each with the refs naming one
        (domain/case/documents.py): asked of the case, so a page offers only what the
        rule would take."""
        return self._load(case_id).document_steps()

    def case_after_write(self, case_id: UUID) -> dict[str, Any]:
        """The case as this service just saved it (or later), without reading it back."""
        view = self.repository.read_cached(case_id, case_view)  # case_view copies what it shows
        return view if view is not None else self.get_case(case_id)

    def case_as_of(self, case_id: UUID, *, version: int | None = None,
                   at: datetime | None = None) -> dict[str, Any]:
        """What was known about the case at a version or a moment."""
        return case_view(cast(Case, self.aggregate_as_of(case_id, version=version, at=at)))

    def event_view(self, event: Any) -> dict[str, Any]:
        return event_view(event)

    def history(self, case_id: UUID) -> list[dict[str, Any]]:
        with self.readable(case_id):
            events = list(self.events.get(case_id))
        if not events:
            raise CaseNotFound(f"no case with id {case_id}", field="case_id")
        return [event_view(e) for e in events]

    def case_ids(self) -> list[UUID]:
        """Every case ever opened, in the order opened (from the notification log)."""
        return list(self.ids_with_topic("Case.ConcernRaised"))

    # -- helpers ----------------------------------------------------------------

    def _load(self, case_id: UUID, expected_version: int | None = None) -> Case:
        try:
            with self.readable(case_id):
                case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            self.refuse_if_disposed(case_id)
            raise CaseNotFound(f"no case with id {case_id}", field="case_id") from None
        except (OriginatorVersionError, AssertionError):  # a gap: the first event or another
            raise CaseHistoryBroken(f"the history of case {case_id} does not apply: "
                                    "GET its verification", field="case_id") from None
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(
                f"the case is at version {case.version}, not {expected_version}",
                current_version=case.version,
            )
        return case

    def _save(self, case: Case) -> int:
        try:
            self.save_and_keep(case)
        except IntegrityError:
            current = self.repository.get(case.id).version
            raise StaleVersion(
                "the case changed while this command ran", current_version=current
            ) from None
        return case.version


_BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def event_view(event: Any) -> dict[str, Any]:
    """An event as primitives: type, version, time, actor and its own data."""
    data = {k: v for k, v in vars(event).items() if k not in _BASE_FIELDS}
    actor = {"id": data.pop("actor_id", None), "role": data.pop("actor_role", None)}
    return {
        "type": type(event).__name__,
        "version": event.originator_version,
        "recorded_at": event.timestamp,
        "actor": actor,
        "data": data,
    }


def case_view(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "version": case.version,
        "reference": case.reference,
        "authority": case.authority,
        "region": case.region,
        "owner": case.owner,
        "summary": case.summary,
        "source": case.source,
        "issue_type": case.issue_type,
        "stage": case.stage,
        "status": case.status,
        "raised_at": case.raised_at,
        "deadlines": dict(case.deadlines),
        "diagnosis": deepcopy(case.diagnosis),
        "reminders_issued": case.reminders_issued,
        "stage_since": case.stage_since,
        "paused_deadlines": {name: {"due": p["due"], "paused_at": p["paused_at"],
                                    "reason": p["reason"]}
                             for name, p in case.paused_deadlines.items()},
        "intelligence": deepcopy(case.intelligence),
        "risk": {**deepcopy(case.risk), "current_score": case.risk_score,
                 **deepcopy(case.risk_controls)},
        "lga_brokering": deepcopy(case.lga_brokering),
        "council_agrees_referral": case.council_agrees_referral,
        "regulator_not_satisfied": case.regulator_not_satisfied,
        "red_flag": deepcopy(case.red_flag),
        "joint_meeting_proposal": deepcopy(case.joint_meeting_proposal),
        "plan": deepcopy(case.plan),
        "agreed_plan": deepcopy(case.agreed_plan),
        "commissions": deepcopy(case.commissions),
        "deployments": deepcopy(case.deployments),
        "advisers": case.advisers,
        "peers": case.peers,
        "reviews": deepcopy(case.reviews),
        "joint_meetings": deepcopy(case.joint_meetings),
        "government_meetings": deepcopy(case.government_meetings),
        "pending_escalation": deepcopy(case.pending_escalation),
        "escalation_keys": list(case.escalation_keys),
        "reminder_keys": list(case.reminders),
        "closure": deepcopy(case.closure),
        "follow_up_reviews": deepcopy(case.follow_up_reviews),
        "confidential_access": deepcopy(dict(case.confidential_access)),
        "agreement_requested": deepcopy(case.agreement_requested),
        "documents": [dict(d) for d in case.documents],
        "redactions": deepcopy(dict(case.redactions)),
        "next_steps": offered_now(case),
        "tasks": [task.as_fields() for task in tasks(case)],
    }
