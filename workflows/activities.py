"""Activities: the workflows' only door to the event store. Thin and idempotent."""

from uuid import UUID

from temporalio import activity

from services.cases import CaseService
from services.escalation import (
    AuthorityDuty,
    CaseDeadlines,
    CasePlan,
    Notice,
    ReminderRequest,
    StepOutcome,
    StepRequest,
)
from services.notifiers import EmailNotifier, WebhookNotifier
from services.timetable import EscalationSteps


class CaseActivities:
    """Bound to one CaseService so that the worker wires the store once."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    @activity.defn(name="read_case_deadlines")
    def read_case_deadlines(self, case_id: str) -> CaseDeadlines:
        """The authoritative open deadlines, re-read before the workflow acts."""
        case = self.cases.get_case(UUID(case_id))
        return CaseDeadlines(
            status=case["status"],
            deadlines={k: v.isoformat() for k, v in case["deadlines"].items()},
        )

    @activity.defn(name="issue_reminder")
    def issue_reminder(self, request: ReminderRequest) -> bool:
        """Record ReminderIssued once per key; a retry after success records nothing."""
        return self.cases.issue_reminder(
            UUID(request.case_id),
            deadline=request.deadline,
            recipient="case owner",
            reminder_key=request.reminder_key,
        )


class EscalationActivities:
    """The timetable-driven workflow's door to the stores and the notifiers.

    Recording and delivering are separate activities: a delivery retried with
    backoff never records a step twice.
    """

    def __init__(self, steps: EscalationSteps, email: EmailNotifier,
                 webhook: WebhookNotifier) -> None:
        self.steps, self.email, self.webhook = steps, email, webhook

    @activity.defn(name="read_case_plan")
    def read_case_plan(self, case_id: str) -> CasePlan:
        """The case, its region's current policy and the steps still pending."""
        return self.steps.plan(case_id)

    @activity.defn(name="take_step")
    def take_step(self, request: StepRequest) -> StepOutcome:
        """Record one step if it is still pending; idempotent by the step's key."""
        return self.steps.take(request)

    @activity.defn(name="send_email")
    def send_email(self, notice: Notice) -> bool:
        """Email the region's address; False when none is configured."""
        if not (self.email.enabled and notice.email_to):
            return False
        self.email.send(notice)
        return True

    @activity.defn(name="post_webhook")
    def post_webhook(self, notice: Notice) -> bool:
        """POST to the region's webhook; False when none is configured."""
        if not notice.webhook_url:
            return False
        self.webhook.post(notice)
        return True

    @activity.defn(name="authority_notice")
    def authority_notice(self, duty: AuthorityDuty) -> Notice:
        """What an authority-level reminder says, and where the region wants it."""
        policy = self.steps.policies.policy_for(duty.region)
        fired = activity.info().workflow_id
        return Notice(
            key=f"{fired}", case_id="", authority=duty.authority, region=duty.region,
            subject=f"{duty.authority}: {duty.duty} due",
            body=f"The {duty.duty} of {duty.authority} ({duty.region}) is due.",
            email_to=policy.notify_email, webhook_url=policy.webhook_url,
        )
