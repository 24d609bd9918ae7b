"""Risk and diagnosis: how bad it is, and what is wrong (seed 003's risk table)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.state import (
    DEFAULT_POLICY,
    CaseState,
    actor,
    optional_text,
    required_text,
    texts,
)
from domain.deadlines import DeadlinePolicy
from domain.errors import RuleViolation
from domain.risk import IMMEDIATE_ACTION_SCORE, RiskAssessment, RiskControls
from domain.vocabulary import Deadline, Level, ProblemNature, RiskKind, one_of

LGA_BROKERS = ("the diagnosis names a political problem: where the difficulties have a "
               "political cause, the LGA brokers discussions with the council's politicians")
"""Seed 004: "the LGA may need to broker discussions with appropriate politicians"."""


class RiskAssessed(Aggregate.Event):
    """Version 2 added the risk table's columns beside the score (seed 003).

    Assessments recorded before (version 1) are upcast as they are read, with
    the columns blank, so history is never rewritten.
    """

    class_version = 2
    kind: str
    impact: str
    likelihood: str
    score: int
    band: str
    reason: str
    recorded_at: datetime
    compressed_deadlines: dict[str, datetime]
    actor_id: str
    actor_role: str
    owner: str = ""
    management_solution: str = ""
    key_controls: list[str] | None = None
    risk_indicators: list[str] | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("owner", "")
        state.setdefault("management_solution", "")
        state.setdefault("key_controls", [])
        state.setdefault("risk_indicators", [])

    def apply(self, aggregate: "DiagnosisPart") -> None:
        case = aggregate
        case.risk[self.kind] = {"impact": self.impact, "likelihood": self.likelihood,
                                "score": self.score, "band": self.band, "reason": self.reason,
                                "assessed_at": self.recorded_at}
        case.deadlines.update(self.compressed_deadlines)
        given = RiskControls(self.owner, self.management_solution,
                             tuple(self.key_controls or ()),
                             tuple(self.risk_indicators or ())).given()
        case._risk_controls = {**case.risk_controls, **given}


class DiagnosisRecorded(Aggregate.Event):
    """Version 2 added problem natures, evidence, root causes and the plan's due time.

    Diagnoses recorded before that (version 1) carried only a summary; they are
    upcast as they are read, with empty lists and no plan deadline, so history
    is never rewritten.
    """

    class_version = 2
    summary: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    problem_natures: list[str] | None = None
    evidence: list[str] | None = None
    root_causes: list[str] | None = None
    plan_due: datetime | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        for field in ("problem_natures", "evidence", "root_causes"):
            state.setdefault(field, [])
        state.setdefault("plan_due", None)

    def apply(self, aggregate: CaseState) -> None:
        case = aggregate
        case.diagnosis = {"summary": self.summary, "recorded_at": self.recorded_at,
                          "problem_natures": list(self.problem_natures or []),
                          "evidence": list(self.evidence or []),
                          "root_causes": list(self.root_causes or [])}
        case._clear_deadline(Deadline.DIAGNOSIS.value)
        if self.plan_due is not None and (case.plan or {}).get("status") != "agreed":
            case._set_deadline(Deadline.PLAN_AGREED.value, self.plan_due, self.recorded_at)


class LGAAskedToBroker(Aggregate.Event):
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate._lga_brokering = {"asked_at": self.recorded_at, "asked_by": self.actor_id,
                                    "reason": self.reason}


class DiagnosisPart(CaseState):
    """Risk assessed against the matrix, and the evidence-based diagnosis."""

    @property
    def risk_score(self) -> int | None:
        """The current risk: the residual assessment once made, else the inherent one."""
        current = self.risk.get(RiskKind.RESIDUAL.value) or self.risk.get(RiskKind.INHERENT.value)
        return int(current["score"]) if current else None

    @property
    def risk_controls(self) -> dict[str, Any]:
        """The risk table's columns as last given: owner, management solution, key
        controls, risk indicators (blank until an assessment gives them)."""
        return {**RiskControls().as_fields(), **(self._risk_controls or {})}

    @property
    def lga_brokering(self) -> dict[str, Any] | None:
        """When and why the LGA was asked to broker talks with the council's politicians."""
        return self._lga_brokering

    def assess_risk(
        self, *, kind: str, impact: str, likelihood: str, reason: str, recorded_at: datetime,
        actor_id: str, actor_role: str, policy: DeadlinePolicy = DEFAULT_POLICY,
        owner: str | None = None, management_solution: str | None = None,
        key_controls: Any = None, risk_indicators: Any = None,
    ) -> None:
        """Score impact against likelihood; a score of 9 brings open deadlines forward.

        The risk table's other columns (seed 003: owner, management solution, key
        controls, risk indicators) may come with any assessment; those given replace
        what an earlier one said, those left out keep it.
        """
        self.check_open()
        kind = one_of(kind, RiskKind, "kind")
        assessment = RiskAssessment(Level(one_of(impact, Level, "impact")),
                                    Level(one_of(likelihood, Level, "likelihood")))
        controls = RiskControls(
            owner=optional_text(owner, "owner"),
            management_solution=optional_text(management_solution, "management_solution"),
            key_controls=tuple(texts(key_controls, "key_controls")),
            risk_indicators=tuple(texts(risk_indicators, "risk_indicators")))
        residual_stands = kind == RiskKind.INHERENT.value and RiskKind.RESIDUAL.value in self.risk
        current = self.risk_score if residual_stands else assessment.score
        self.trigger_event(
            RiskAssessed, kind=kind, impact=assessment.impact.value,
            likelihood=assessment.likelihood.value, score=assessment.score,
            band=assessment.band.value, reason=required_text(reason, "reason"),
            recorded_at=recorded_at, compressed_deadlines=self._compressed(current, policy),
            **actor(actor_id, actor_role), owner=controls.owner,
            management_solution=controls.management_solution,
            key_controls=list(controls.key_controls),
            risk_indicators=list(controls.risk_indicators))

    def _compressed(self, score: int | None, policy: DeadlinePolicy) -> dict[str, datetime]:
        """Open deadlines that a score of 9 brings forward, counted from when each started."""
        if score is None or score < IMMEDIATE_ACTION_SCORE:
            return {}
        moved = {}
        for name, due in self.deadlines.items():
            sooner = policy.due(Deadline(name), self.deadline_started.get(name, due),
                                risk_score=score)
            if sooner < due:
                moved[name] = sooner
        return moved

    def check_may_record_diagnosis(self) -> None:
        """One diagnosis per case, on an open case."""
        self.check_open()
        if self.diagnosis is not None:
            raise RuleViolation("a diagnosis is already recorded for this case",
                                rule="one_diagnosis", field="summary")

    def record_diagnosis(
        self, *, summary: str, recorded_at: datetime, actor_id: str, actor_role: str,
        problem_natures: Iterable[str] | None = None, evidence: Any = None,
        root_causes: Any = None, policy: DeadlinePolicy = DEFAULT_POLICY,
    ) -> None:
        """Record the evidence-based diagnosis; it meets the diagnosis deadline and
        starts the clock for an agreed plan. A political problem asks the LGA to broker."""
        self.check_may_record_diagnosis()
        natures = [one_of(n, ProblemNature, f"problem_natures[{i}]")
                   for i, n in enumerate(texts(problem_natures, "problem_natures"))]
        self.trigger_event(
            DiagnosisRecorded, summary=required_text(summary, "summary"),
            recorded_at=recorded_at, **actor(actor_id, actor_role), problem_natures=natures,
            evidence=texts(evidence, "evidence"), root_causes=texts(root_causes, "root_causes"),
            plan_due=policy.due(Deadline.PLAN_AGREED, recorded_at, risk_score=self.risk_score))
        if ProblemNature.POLITICAL.value in natures:
            self.trigger_event(LGAAskedToBroker, reason=LGA_BROKERS, recorded_at=recorded_at,
                               **actor(actor_id, actor_role))
