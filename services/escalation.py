"""The contract between the case service and the escalation workflows.

Workflow names, the task queue default and the input dataclasses live here so
that the API (which starts and signals workflows) and `workflows/` (which run
them) agree without either importing the other.
"""

from dataclasses import dataclass

CASE_WORKFLOW = "CaseWorkflow"
CASE_CHANGED_SIGNAL = "case_changed"


def case_workflow_id(case_id: str) -> str:
    """One workflow per case, named after it, so starting twice is harmless."""
    return f"case-{case_id}"


DEFAULT_ROUNDS_BEFORE_CONTINUE = 200


@dataclass
class CaseWorkflowInput:
    """`rounds_before_continue` bounds one run's history before it continues as new."""

    case_id: str
    rounds_before_continue: int = DEFAULT_ROUNDS_BEFORE_CONTINUE


@dataclass
class ReminderRequest:
    case_id: str
    deadline: str
    reminder_key: str


@dataclass
class CaseDeadlines:
    """What the workflow needs to know to wait: the open deadlines as ISO times."""

    status: str
    deadlines: dict[str, str]


# -- the timetable-driven workflow (second definition) --------------------------------

AUTHORITY_REMINDER_WORKFLOW = "AuthorityReminderWorkflow"
CASE_STATUS_QUERY = "status"


@dataclass
class PlannedStep:
    """One step of the timetable, as primitives (see domain/timetable.py)."""

    at: str
    action: str
    deadline: str
    key: str
    recipient: str
    to_stage: str | None = None


@dataclass
class CasePlan:
    """The case as the workflow sees it after a fresh read: facts and pending steps."""

    status: str
    stage: str
    deadlines: dict[str, str]
    steps: list[PlannedStep]
    pending_proposal: str | None = None


@dataclass
class StepRequest:
    case_id: str
    step: PlannedStep


@dataclass
class Notice:
    """What a recorded step tells people, delivered by email and webhook."""

    key: str
    case_id: str
    authority: str
    region: str
    subject: str
    body: str
    email_to: str = ""
    webhook_url: str = ""


@dataclass
class StepOutcome:
    """`recorded` is False when the case made the step moot; then nothing is delivered.

    `plan` is the case's plan as it stands after the step, read in the same
    activity, so the workflow need not ask again before its next wait.
    """

    recorded: bool
    notice: Notice | None = None
    plan: CasePlan | None = None


@dataclass
class CaseStatus:
    """The workflow's answer to the status query: what the API shows."""

    case_id: str
    status: str
    stage: str
    deadlines: dict[str, str]
    pending_proposal: str | None
    next_step: PlannedStep | None


@dataclass
class AuthorityDuty:
    """An authority-level duty reminded on a schedule (self-evaluation, peer challenge)."""

    authority_id: str
    authority: str
    region: str
    duty: str


def authority_schedule_id(authority_id: str, duty: str) -> str:
    return f"authority-{authority_id}-{duty.replace(' ', '-')}"
