"""The escalation ladder: local, the RIEP, a government meeting; moved one rung at a
time by a person, or by automation, which only ever proposes the top rung."""

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.state import AUTOMATION, CaseState, actor, required_text
from domain.errors import RuleViolation
from domain.vocabulary import CaseStatus, Stage, StageTrigger, one_of

LADDER = [Stage.LOCAL.value, Stage.RIEP.value, Stage.GOVERNMENT_MEETING.value]


class StageChanged(Aggregate.Event):
    from_stage: str
    to_stage: str
    trigger: str
    reason: str
    escalation_key: str | None
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        case = aggregate
        case.stage, case.stage_since = self.to_stage, self.recorded_at
        case.pending_escalation = None
        if self.escalation_key:
            case.escalation_keys.append(self.escalation_key)


class EscalationProposed(Aggregate.Event):
    from_stage: str
    to_stage: str
    reason: str
    proposal_key: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.pending_escalation = {
            "from_stage": self.from_stage, "to_stage": self.to_stage, "reason": self.reason,
            "proposal_key": self.proposal_key, "proposed_at": self.recorded_at,
            "proposed_by": self.actor_id}
        aggregate.escalation_keys.append(self.proposal_key)


class EscalationConfirmed(Aggregate.Event):
    """Followed at once by the StageChanged that makes the move, by a person."""

    proposal_key: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.stage_since = self.recorded_at


class EscalationDeclined(Aggregate.Event):
    proposal_key: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.pending_escalation = None
        aggregate.stage_since = self.recorded_at


class LadderPart(CaseState):
    """Moving a case up or down the ladder, and the proposals automation makes."""

    def next_rung(self) -> str | None:
        """The stage a move up leads to: the next rung, except that a red-flagged case at
        local without the council's agreement leads straight to the government meeting."""
        if (self.stage == Stage.LOCAL and self.red_flag is not None
                and not self.council_agrees_referral):
            return Stage.GOVERNMENT_MEETING.value
        position = LADDER.index(self.stage)
        return LADDER[position + 1] if position + 1 < len(LADDER) else None

    def change_stage(self, *, to_stage: str, trigger: str, reason: str, recorded_at: datetime,
                     actor_id: str, actor_role: str) -> None:
        """Move one rung up or down the ladder, saying who or what moved it and why."""
        self.check_open()
        to_stage = one_of(to_stage, Stage, "to_stage")
        self.check_stage_move(to_stage)
        self.trigger_event(
            StageChanged, from_stage=self.stage, to_stage=to_stage,
            trigger=one_of(trigger, StageTrigger, "trigger"),
            reason=required_text(reason, "reason"), escalation_key=None,
            recorded_at=recorded_at, **actor(actor_id, actor_role))

    def escalate(self, *, reason: str, escalation_key: str, recorded_at: datetime,
                 actor_id: str) -> bool:
        """The automated move up one stage; False when already recorded or moot.

        Like reminders, the key makes a retried workflow activity harmless. Moot
        means the case is closed or already at the government meeting stage:
        intervention is never automated. Nor is a government meeting: the move to
        it is only ever proposed, for a coordinator to confirm and convene.
        """
        key = required_text(escalation_key, "escalation_key")
        next_stage = self.next_rung()
        if key in self.escalation_keys or self.status != CaseStatus.OPEN or next_stage is None:
            return False
        if next_stage == Stage.GOVERNMENT_MEETING:
            raise RuleViolation(
                "automation never moves a case to the government meeting stage; it proposes "
                "the move for a coordinator to confirm",
                rule="automation_never_convenes_government_meeting", field="to_stage")
        self.check_stage_move(next_stage)
        self.trigger_event(
            StageChanged, from_stage=self.stage, to_stage=next_stage,
            trigger=StageTrigger.AUTOMATED.value, reason=required_text(reason, "reason"),
            escalation_key=key, recorded_at=recorded_at,
            actor_id=required_text(actor_id, "actor_id"), actor_role=AUTOMATION)
        return True

    def propose_escalation(self, *, reason: str, proposal_key: str, recorded_at: datetime,
                           actor_id: str, actor_role: str = AUTOMATION) -> bool:
        """Propose a move up one stage for a coordinator to confirm or decline.

        False, writing nothing, when this proposal was already recorded, another
        is pending, the case is closed or already at the top stage.
        """
        key = required_text(proposal_key, "proposal_key")
        next_stage = self.next_rung()
        moot = (key in self.escalation_keys or self.pending_escalation is not None
                or self.status != CaseStatus.OPEN)
        if moot or next_stage is None:
            return False
        self.trigger_event(
            EscalationProposed, from_stage=self.stage, to_stage=next_stage,
            reason=required_text(reason, "reason"), proposal_key=key,
            recorded_at=recorded_at, **actor(actor_id, actor_role))
        return True

    def check_may_change_stage(self) -> None:
        """Some move, up or down a rung, is open to the case now (the first refusal else)."""
        self.check_open()
        here = LADDER.index(self.stage)
        moves = {LADDER[i] for i in (here - 1, here + 1) if 0 <= i < len(LADDER)}
        rung = self.next_rung()
        if rung is not None:
            moves.add(rung)
        refusals = []
        for to_stage in sorted(moves, key=LADDER.index, reverse=True):
            try:
                self.check_stage_move(to_stage)
                return
            except RuleViolation as refused:
                refusals.append(refused)
        raise refusals[0]

    def check_may_confirm_escalation(self) -> dict[str, Any]:
        self.check_open()
        proposal = self.check_escalation_pending()
        self.check_stage_move(proposal["to_stage"])
        return proposal

    def check_may_decline_escalation(self) -> dict[str, Any]:
        self.check_open()
        return self.check_escalation_pending()

    def confirm_escalation(self, *, reason: str, recorded_at: datetime, actor_id: str,
                           actor_role: str) -> None:
        """A coordinator confirms the pending proposal: the case moves up, by a person."""
        proposal = self.check_may_confirm_escalation()
        reason = required_text(reason, "reason")
        who = actor(actor_id, actor_role)
        self.trigger_event(EscalationConfirmed, proposal_key=proposal["proposal_key"],
                           reason=reason, recorded_at=recorded_at, **who)
        self.trigger_event(StageChanged, from_stage=self.stage, to_stage=proposal["to_stage"],
                           trigger=StageTrigger.PERSON.value, reason=reason,
                           escalation_key=None, recorded_at=recorded_at, **who)

    def decline_escalation(self, *, reason: str, recorded_at: datetime, actor_id: str,
                           actor_role: str) -> None:
        """A coordinator declines the pending proposal; the case stays where it is."""
        proposal = self.check_may_decline_escalation()
        self.trigger_event(EscalationDeclined, proposal_key=proposal["proposal_key"],
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def check_stage_move(self, to_stage: str) -> None:
        """One rung at a time; up from local to the RIEP only with the council's agreement
        (always: seed 004's "with the agreement of the locality"); and the one route from
        local straight to the government meeting is a red flag."""
        if self.stage == Stage.LOCAL and to_stage == Stage.GOVERNMENT_MEETING:
            if self.red_flag is None:
                raise RuleViolation(
                    "a case goes from local straight to a government meeting only on a red "
                    "flag (a joint local meeting whose regulator is not satisfied)",
                    rule="government_meeting_needs_red_flag", field="to_stage")
            return
        here, there = LADDER.index(self.stage), LADDER.index(to_stage)
        if abs(there - here) != 1:
            raise RuleViolation(
                f"a case moves one stage at a time; it is at {self.stage!r}, not next to "
                f"{to_stage!r}", rule="no_stage_skipped", field="to_stage")
        referral = self.stage == Stage.LOCAL and to_stage == Stage.RIEP
        if referral and not self.council_agrees_referral:
            raise RuleViolation(
                "a referral to the RIEP needs the council's agreement (its acknowledged need, "
                "or a joint local meeting with the council referring it)",
                rule="referral_needs_council_agreement", field="to_stage")

    def check_escalation_pending(self) -> dict[str, Any]:
        if self.pending_escalation is None:
            raise RuleViolation("no escalation is waiting for a decision",
                                rule="no_escalation_pending")
        return self.pending_escalation
