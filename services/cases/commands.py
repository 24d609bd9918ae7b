"""The case's use cases after opening: one method each (load, call the domain, save).

Primitives in, the case's new version out. `expected_version`, when given, refuses
a command made against a case someone else has changed since (StaleVersion). The
automated ones (`escalate`, `propose_escalation`) are keyed and return whether
they recorded anything, so a retried workflow activity is harmless.
`CaseService` (services/cases/service.py) mixes these in.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.case.redaction import NOT_PRESENT
from domain.deadlines import DeadlinePolicy
from domain.documents import StoredFile
from domain.errors import InvalidField
from domain.moments import MAX_VERSION
from domain.ownership import Person
from services.eventstore.chain import split


class CaseCommands:
    """Every command on an open case; relies on CaseService's `_load`, `_save` and clock."""

    clock: Callable[[], datetime]
    _load: Callable[..., Case]
    _save: Callable[[Case], int]
    _record_once: Callable[[UUID, Callable[[Case, datetime], bool]], bool]
    _decide_and_save: Callable[..., Case | None]
    _person: Callable[[str], Person]

    def policy_for(self, region: str) -> DeadlinePolicy:  # overridden by CaseService
        return DeadlinePolicy()

    def _run(self, case_id: UUID, expected_version: int | None,
             command: Callable[[Case, datetime], Any]) -> int:
        """Load, apply one domain command at the clock's time, save; the new version."""
        case = self._decide_and_save(case_id, expected_version, command)
        assert case is not None  # a person's command records or raises
        return case.version

    def _policy(self, case: Case) -> DeadlinePolicy:
        return self.policy_for(case.region)

    # -- what is known --------------------------------------------------------------

    def add_intelligence(self, case_id: UUID, *, content: str, source: str,
                         confidentiality: str, actor_id: str, actor_role: str,
                         expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.add_intelligence(
            content=content, source=source, confidentiality=confidentiality, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    def assess_risk(self, case_id: UUID, *, kind: str, impact: str, likelihood: str,
                    reason: str, actor_id: str, actor_role: str, owner: str | None = None,
                    management_solution: str | None = None, key_controls: Any = None,
                    risk_indicators: Any = None, expected_version: int | None = None) -> int:
        """The score, and any of the risk table's other columns (seed 003)."""
        return self._run(case_id, expected_version, lambda case, now: case.assess_risk(
            kind=kind, impact=impact, likelihood=likelihood, reason=reason, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role, policy=self._policy(case), owner=owner,
            management_solution=management_solution, key_controls=key_controls,
            risk_indicators=risk_indicators))

    def record_diagnosis(self, case_id: UUID, *, summary: str, actor_id: str, actor_role: str,
                         problem_natures: Iterable[str] | None = None, evidence: Any = None,
                         root_causes: Any = None, expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.record_diagnosis(
            summary=summary, problem_natures=problem_natures, evidence=evidence,
            root_causes=root_causes, recorded_at=now, actor_id=actor_id, actor_role=actor_role,
            policy=self._policy(case)))

    # -- the council's position -------------------------------------------------------

    def acknowledge_need(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                         expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.acknowledge_need(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    def decline_support(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                        expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.decline_support(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    # -- the support plan ---------------------------------------------------------------

    def draft_plan(self, case_id: UUID, *, summary: str, actions: list[Mapping[str, Any]],
                   adviser_id: str, actor_id: str, actor_role: str,
                   expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.draft_plan(
            summary=summary, actions=actions, adviser_id=adviser_id, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    def review_plan(self, case_id: UUID, *, suggestions: list[str], actor_id: str,
                    actor_role: str, expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.review_plan(
            suggestions=suggestions, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    def agree_plan(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                   expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.agree_plan(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role,
            policy=self._policy(case)))

    def ask_council_to_agree(self, case_id: UUID, *, actor_id: str, actor_role: str,
                             note: str | None = None,
                             expected_version: int | None = None) -> int:
        """Put the drafted plan to the council; its liaisons are told it waits on them."""
        return self._run(case_id, expected_version, lambda case, now: case.ask_council_to_agree(
            note=note, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    def revise_plan(self, case_id: UUID, *, actions: list[Mapping[str, Any]], reason: str,
                    actor_id: str, actor_role: str, summary: str | None = None,
                    expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.revise_plan(
            actions=actions, reason=reason, summary=summary, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    # -- support and peers ----------------------------------------------------------------

    def record_peer_visit(self, case_id: UUID, *, deployment_id: str, visited_at: datetime,
                          notes: str, actor_id: str, actor_role: str,
                          expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.record_peer_visit(
            deployment_id=deployment_id, visited_at=visited_at, notes=notes, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    # -- documents on the record ------------------------------------------------------------

    def attach_document(self, case_id: UUID, *, title: str, kind: str, step: str,
                        step_ref: str, confidentiality: str, stored: Mapping[str, Any],
                        actor_id: str, actor_role: str,
                        expected_version: int | None = None) -> int:
        """Record a file already in the blob store (services/documents/) on the case.

        `stored` is the file's facts as primitives ({"sha256", "size", "media_type",
        "filename"}, as `StoredFile.as_fields` gives them), so the command handler
        passes, and an idempotency key hashes, plain values.
        """
        facts = StoredFile.of(dict(stored) if isinstance(stored, Mapping) else stored)
        return self._run(case_id, expected_version, lambda case, now: case.attach_document(
            title=title, kind=kind, step=step, step_ref=step_ref,
            confidentiality=confidentiality, stored=facts, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    def review_progress(self, case_id: UUID, *, measures: Mapping[str, str], judgement: str,
                        reason: str, actor_id: str, actor_role: str,
                        next_review_due: datetime | None = None,
                        expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.review_progress(
            measures=measures, judgement=judgement, reason=reason,
            next_review_due=next_review_due, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role, policy=self._policy(case)))

    # -- stages, meetings and escalation ------------------------------------------------------

    def change_stage(self, case_id: UUID, *, to_stage: str, reason: str, actor_id: str,
                     actor_role: str, trigger: str = "person",
                     expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.change_stage(
            to_stage=to_stage, trigger=trigger, reason=reason, recorded_at=now,
            actor_id=actor_id, actor_role=actor_role))

    def hold_joint_local_meeting(self, case_id: UUID, *, outcome: str, reason: str,
                                 attendees: list[Mapping[str, Any]], actor_id: str,
                                 actor_role: str, next_joint_meeting_due: datetime | None = None,
                                 expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.hold_joint_local_meeting(
                             outcome=outcome, reason=reason, attendees=attendees,
                             next_joint_meeting_due=next_joint_meeting_due, recorded_at=now,
                             actor_id=actor_id, actor_role=actor_role,
                             policy=self._policy(case)))

    def record_joint_meeting_summary(self, case_id: UUID, *, summary: str, actor_id: str,
                                     actor_role: str,
                                     expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.record_joint_meeting_summary(
                             summary=summary, recorded_at=now, actor_id=actor_id,
                             actor_role=actor_role))

    def propose_joint_local_meeting(self, case_id: UUID, *, reason: str, actor_id: str,
                                    actor_role: str,
                                    expected_version: int | None = None) -> int:
        """A coordinator proposes a joint local meeting; reminders to hold it follow."""
        return self._run(case_id, expected_version, lambda case, now:
                         case.propose_joint_meeting_now(reason=reason, recorded_at=now,
                                                        actor_id=actor_id,
                                                        actor_role=actor_role))

    def decline_joint_meeting(self, case_id: UUID, *, reason: str, actor_id: str,
                              actor_role: str, expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.decline_joint_meeting(reason=reason, recorded_at=now,
                                                    actor_id=actor_id, actor_role=actor_role))

    def propose_joint_meeting(self, case_id: UUID, *, reason: str, proposal_key: str,
                              actor_id: str = "escalation-workflow") -> bool:
        """Propose a joint local meeting, once per key; False when moot or already proposed."""
        return self._record_once(case_id, lambda case, now: case.propose_joint_meeting(
            reason=reason, proposal_key=proposal_key, recorded_at=now, actor_id=actor_id))

    def convene_government_meeting(self, case_id: UUID, *, attendees: list[str], reason: str,
                                   actor_id: str, actor_role: str,
                                   meeting_at: datetime | None = None,
                                   expected_version: int | None = None) -> int:
        """The meeting's summary falls due after `meeting_at` (now, if not given)."""
        return self._run(case_id, expected_version, lambda case, now:
                         case.convene_government_meeting(
                             attendees=attendees, meeting_at=meeting_at or now, reason=reason,
                             recorded_at=now, actor_id=actor_id, actor_role=actor_role,
                             policy=self._policy(case)))

    def conclude_government_meeting(self, case_id: UUID, *, outcome: str, summary: str,
                                    reason: str, actor_id: str, actor_role: str,
                                    expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.conclude_government_meeting(
                             outcome=outcome, summary=summary, reason=reason, recorded_at=now,
                             actor_id=actor_id, actor_role=actor_role))

    def confirm_escalation(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                           expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.confirm_escalation(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    def decline_escalation(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                           expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.decline_escalation(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    def propose_escalation(self, case_id: UUID, *, reason: str, proposal_key: str,
                           actor_id: str = "escalation-workflow",
                           actor_role: str = "automation") -> bool:
        """Propose a move up one stage, once per key; False when moot or already proposed."""
        return self._record_once(case_id, lambda case, now: case.propose_escalation(
            reason=reason, proposal_key=proposal_key, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role))

    def escalate(self, case_id: UUID, *, reason: str, escalation_key: str,
                 actor_id: str = "escalation-workflow") -> bool:
        """The automated move up one stage, once per key; False when moot or already made."""
        return self._record_once(case_id, lambda case, now: case.escalate(
            reason=reason, escalation_key=escalation_key, recorded_at=now, actor_id=actor_id))

    def remind_of_proposal(self, case_id: UUID, *, recipient: str, reminder_key: str,
                           actor_id: str = "escalation-workflow") -> bool:
        """Remind a coordinator of a pending proposal, once per key; False when moot."""
        return self._record_once(case_id, lambda case, now: case.remind_of_proposal(
            recipient=recipient, reminder_key=reminder_key, actor_id=actor_id))

    # -- deadlines, closure ------------------------------------------------------------------

    def pause_deadline(self, case_id: UUID, *, deadline: str, reason: str, actor_id: str,
                       actor_role: str, expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.pause_deadline(
            deadline=deadline, reason=reason, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role))

    def resume_deadline(self, case_id: UUID, *, deadline: str, reason: str, actor_id: str,
                        actor_role: str, expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.resume_deadline(
            deadline=deadline, reason=reason, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role, policy=self._policy(case)))

    def close_case(self, case_id: UUID, *, outcome: str, actor_id: str, actor_role: str,
                   exit_note: str | None = None, exit_strategy: Mapping[str, Any] | None = None,
                   expected_version: int | None = None) -> int:
        """Closed as improved, the follow-up review falls due under the region's policy."""
        return self._run(case_id, expected_version, lambda case, now: case.close(
            outcome=outcome, exit_note=exit_note, exit_strategy=exit_strategy,
            recorded_at=now, actor_id=actor_id, actor_role=actor_role,
            policy=self._policy(case)))

    def record_follow_up_review(self, case_id: UUID, *, judgement: str, notes: str,
                                actor_id: str, actor_role: str,
                                expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.record_follow_up_review(judgement=judgement, notes=notes,
                                                      recorded_at=now, actor_id=actor_id,
                                                      actor_role=actor_role))

    def reopen_case(self, case_id: UUID, *, reason: str, actor_id: str, actor_role: str,
                    expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now: case.reopen(
            reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role))

    # -- the owner, and who may read the confidential material ------------------------------

    def reassign_case(self, case_id: UUID, *, owner: str, reason: str, actor_id: str,
                      actor_role: str, expected_version: int | None = None) -> int:
        """Hand the case to another coordinator of its region (looked up in the user store)."""
        person = self._person(owner)
        return self._run(case_id, expected_version, lambda case, now: case.reassign(
            owner=person, reason=reason, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role))

    def grant_confidential_access(self, case_id: UUID, *, grantee: str, reason: str,
                                  actor_id: str, actor_role: str,
                                  expected_version: int | None = None) -> int:
        person = self._person(grantee)
        return self._run(case_id, expected_version, lambda case, now:
                         case.grant_confidential_access(
                             grantee=person, reason=reason, recorded_at=now,
                             actor_id=actor_id, actor_role=actor_role))

    def revoke_confidential_access(self, case_id: UUID, *, grantee: str, reason: str,
                                   actor_id: str, actor_role: str,
                                   expected_version: int | None = None) -> int:
        return self._run(case_id, expected_version, lambda case, now:
                         case.revoke_confidential_access(
                             grantee=grantee, reason=reason, recorded_at=now,
                             actor_id=actor_id, actor_role=actor_role))

    # -- redaction (domain/case/redaction.py; erased by services/cases/redaction.py) ------

    def redact_event_field(self, case_id: UUID, *, version: Any, field: Any, reason: Any,
                           actor_id: str, actor_role: str,
                           expected_version: int | None = None) -> int:
        """Record the redaction of one field of the event at `version` (not yet erased:
        `Redactor.apply` does that)."""
        event_type, value = self.recorded_field(case_id, version, field)

        def decide(case: Case, now: datetime) -> bool:
            case.redact_field(version=version, field=field, event_type=event_type,
                              value=value, reason=reason, recorded_at=now,
                              actor_id=actor_id, actor_role=actor_role)
            return True

        case = self._decide_and_save(case_id, expected_version, decide)
        assert case is not None
        return case.version

    def redact_document(self, case_id: UUID, *, document_id: Any, reason: Any,
                        actor_id: str, actor_role: str,
                        expected_version: int | None = None) -> int:
        """Record the redaction of an attached document (its bytes go in `apply`)."""
        case = self._decide_and_save(case_id, expected_version, lambda case, now: bool(
            case.redact_document(document_id=document_id, reason=reason, recorded_at=now,
                                 actor_id=actor_id, actor_role=actor_role)))
        assert case is not None
        return case.version

    def recorded_field(self, case_id: UUID, version: Any,
                       field: Any) -> tuple[str | None, Any]:
        """The type of the event at `version` (None: the case has no such event) and the
        value of `field` on it (`NOT_PRESENT` when it has no such field)."""
        if not isinstance(version, int) or isinstance(version, bool) \
                or not 1 <= version <= MAX_VERSION:  # beyond it no store can even be asked
            return None, NOT_PRESENT
        cases: Any = self
        with cases.readable(case_id):
            stored = list(cases.recorder.select_events(case_id, gt=version - 1, lte=version))
            found = [cases.mapper.to_domain_event(s) for s in stored]
        if not found:
            return None, NOT_PRESENT
        header = split(stored[0].state)
        if header is None or header.scheme != "hc2":  # refused before it is recorded
            raise InvalidField("this entry was recorded before each of its fields was kept "
                               "on its own, so one field cannot be erased alone",
                               field="version", rule="event_not_redactable")
        data = {k: v for k, v in vars(found[0]).items()
                if not k.startswith("originator") and k not in ("timestamp", "actor_id",
                                                               "actor_role")}
        return type(found[0]).__name__, data.get(field, NOT_PRESENT) \
            if isinstance(field, str) else NOT_PRESENT
