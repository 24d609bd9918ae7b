"""The contract between the case service and the escalation workflows.

Workflow names, the task queue default and the input dataclasses live here so
that the API (which starts and signals workflows) and `workflows/` (which run
them) agree without either importing the other.
"""

import hashlib
from dataclasses import dataclass, field

CASE_WORKFLOW = "CaseWorkflow"
CASE_CHANGED_SIGNAL = "case_changed"
# Keyword search attributes each case workflow keeps current, so that the Temporal
# UI finds a case by authority, region, stage or risk band. The dev server
# registers them at start; on a cluster an operator registers them once.
CASE_SEARCH_ATTRIBUTES = ("CaseAuthority", "CaseRegion", "CaseStage", "CaseRiskBand")


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
    # Values of CASE_SEARCH_ATTRIBUTES for the workflow to upsert; empty when the
    # worker could not register them (upserting an unknown one fails the task).
    search_attributes: dict[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass
class StepRequest:
    case_id: str
    step: PlannedStep


@dataclass
class Delivery:
    """One channel and address a notice goes to: ('email', 'ann@riep.example')."""

    channel: str
    address: str


@dataclass
class RetrySchedule:
    """How a delivery is retried: exponential backoff from `first_wait_seconds`, capped.

    `by_temporal`: each delivery is one activity that Temporal retries, waiting as
    the activity says (the backoff with its jitter), and that records how the
    delivery ended. A retry then costs the workflow nothing: no timer, no
    workflow task. Notices handed over by earlier workers lack it, and their
    workflows run on as they began (an attempt per activity, retried by timers).
    """

    attempts: int = 8
    first_wait_seconds: float = 1.0
    max_wait_seconds: float = 60.0
    by_temporal: bool = False


@dataclass
class Notice:
    """What a recorded step tells people, delivered by email and webhook.

    `deliveries` lists every channel and address; a notice from the earlier
    definitions has none and goes to `email_to` and `webhook_url`.
    """

    key: str
    case_id: str
    authority: str
    region: str
    subject: str
    body: str
    email_to: str = ""
    webhook_url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    kind: str = ""
    html: str = ""
    deadline: str = ""
    due: str = ""
    to_stage: str = ""
    case_url: str = ""
    reference: str = ""
    """The case's reference (NW-2026-0042); "" for a notice about no one case."""


NOTICE_DELIVERY_WORKFLOW = "NoticeDeliveryWorkflow"


def notice_task_queue(task_queue: str) -> str:
    """Where notices are delivered: a queue of their own beside the timetable's, so that
    no delivery, however slow or retried, holds a thread or a cached place a step needs."""
    return f"{task_queue}-notices"


def notice_workflow_id(notice: Notice) -> str:
    """One delivery workflow per notice, named after its key, so it runs once."""
    digest = hashlib.sha256(notice.key.encode()).hexdigest()[:20]
    return f"notice-{notice.case_id or notice.region}-{digest}"


@dataclass
class DeliveryAttempt:
    notice: Notice
    delivery: Delivery
    attempt: int


@dataclass
class DeliveryResult:
    """One attempt's answer: delivered, or the reason it was not (no exception, no trace).

    `refused`: the service would not deliver there (a webhook address it may not
    reach), so no later attempt can succeed and none is made."""

    delivered: bool
    reason: str = ""
    at: str = ""
    refused: bool = False


@dataclass
class DeliveryOutcome:
    """How one delivery ended after its attempts, to be recorded on the case."""

    notice: Notice
    delivery: Delivery
    result: DeliveryResult
    attempts: int


NOT_DELIVERED = "NotDelivered"  # the error type of an attempt that Temporal tries again


@dataclass
class DeliveryReport:
    """How one delivery ended, already on the case's record, and the alerts its failure
    raised (to deliver in turn)."""

    result: DeliveryResult
    attempts: int
    alerts: list[Notice] = field(default_factory=list)


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
class StepFailure:
    """A step whose activity failed in a way no retry can mend, and why."""

    case_id: str
    step: PlannedStep
    error: str


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
    round: str = ""  # which round of the duty this reminder is for (recorded when made)


def authority_schedule_id(authority_id: str, duty: str) -> str:
    return f"authority-{authority_id}-{duty.replace(' ', '-')}"


def retry_wait(retry: RetrySchedule, attempt: int, jitter: float) -> float:
    """Seconds to wait after failed attempt `attempt` (from 1): the backoff doubles each
    time up to the cap, and `jitter` (0 to 1) spreads it over its upper half, so many
    notices failing together do not retry in step."""
    base = min(retry.first_wait_seconds * 2 ** (attempt - 1), retry.max_wait_seconds)
    return base / 2 + base / 2 * jitter


MORNING_DIGEST_WORKFLOW = "MorningDigestWorkflow"


def digest_schedule_id(task_queue: str) -> str:
    """One morning digest schedule per task queue (a deployment has one)."""
    return f"morning-digest-{task_queue}"


RETENTION_SWEEP_WORKFLOW = "RetentionSweepWorkflow"


def retention_schedule_id(task_queue: str) -> str:
    """One retention sweep schedule per task queue (a deployment has one)."""
    return f"retention-sweep-{task_queue}"
