"""Activities: the workflows' only door to the event store. Thin and idempotent.

An error no retry can mend (the case is not found, a rule refuses the step, a
date overflows the calendar) fails the activity as non-retryable, so that the
workflow hears of it at once and carries on, instead of retrying for ever.
"""

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from domain.errors import DomainError
from services.cases.service import CaseService, StaleVersion
from services.cases.workflow_contract import (
    NOT_DELIVERED,
    AuthorityDuty,
    CaseDeadlines,
    CasePlan,
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryReport,
    DeliveryResult,
    Notice,
    ReminderRequest,
    StepFailure,
    StepOutcome,
    StepRequest,
    authority_schedule_id,
    retry_wait,
)
from services.eventstore.store import NotFound
from services.records.disposal import Disposals
from services.reminders.digest import MorningDigest
from services.reminders.duty_reminders import DutyReminders
from services.reminders.escalation_steps import EscalationSteps
from services.reminders.notices import Recipients
from services.reminders.notifiers import (
    Channels,
    DeliveryRefused,
    EmailNotifier,
    NotifyNotifier,
    WebhookNotifier,
)

ActivityFn = TypeVar("ActivityFn", bound=Callable[..., Any])

NOT_FOUND_ATTEMPTS = 5
"""With the default backoff (1, 2, 4, 8 seconds), about 15 seconds to become visible."""


@contextmanager
def never_retried() -> Iterator[None]:
    """Errors that would fail the same way on every attempt become non-retryable.

    A stale version is the exception: the next attempt reads afresh and may succeed.
    So, for its first few attempts, is a case not found: a case just opened by
    another process may not yet be visible to this one's connection.
    """
    try:
        yield
    except StaleVersion:
        raise
    except NotFound as error:
        # Another process's write may not be visible here yet: a few attempts first.
        if activity.info().attempt < NOT_FOUND_ATTEMPTS:
            raise
        raise ApplicationError(f"{type(error).__name__}: {error}", type=type(error).__name__,
                               non_retryable=True) from error
    except (DomainError, OverflowError, ValueError) as error:
        raise ApplicationError(f"{type(error).__name__}: {error}", type=type(error).__name__,
                               non_retryable=True) from error


log = logging.getLogger(__name__)


def uninterrupted(name: str) -> Callable[[ActivityFn], ActivityFn]:
    """An activity left to finish when its worker stops, rather than cancelled.

    Temporal cancels a running activity by raising inside its thread wherever it is: just
    after a SQLite BEGIN, or between the event store's writer lock being taken and the
    `try` that gives it back, which left a transaction open on a pooled connection, or
    the lock held, for the writes after it. The activities marked so read or write the
    store and take milliseconds, so the worker waits for them. Those that wait on the
    network (a webhook or mail server can answer slowly byte by byte) or read every case
    (the morning digests, the retention sweep) stay cancellable, so that they never hold
    up a stop: a cancel can still land at that one unguarded spot in them, while the
    worker is stopping anyway."""
    return activity.defn(name=name, no_thread_cancel_exception=True)


class CaseActivities:
    """Bound to one CaseService so that the worker wires the store once."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    @uninterrupted("read_case_deadlines")
    def read_case_deadlines(self, case_id: str) -> CaseDeadlines:
        """The authoritative open deadlines, re-read before the workflow acts."""
        case = self.cases.get_case(UUID(case_id))
        return CaseDeadlines(
            status=case["status"],
            deadlines={k: v.isoformat() for k, v in case["deadlines"].items()},
        )

    @uninterrupted("issue_reminder")
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
                 webhook: WebhookNotifier, notify: NotifyNotifier | None = None,
                 duty_reminders: DutyReminders | None = None) -> None:
        self.steps, self.email, self.webhook = steps, email, webhook
        self.duty_reminders = duty_reminders
        self.channels = Channels(
            email, webhook, lambda region: steps.policies.policy_for(region).webhook_secret,
            notify)

    @uninterrupted("read_case_plan")
    def read_case_plan(self, case_id: str) -> CasePlan:
        """The case, its region's current policy and the steps still pending."""
        with never_retried():
            return self.steps.plan(case_id)

    @uninterrupted("take_step")
    def take_step(self, request: StepRequest) -> StepOutcome:
        """Record one step if it is still pending; idempotent by the step's key."""
        with never_retried():
            return self.steps.take(request)

    @uninterrupted("record_step_failure")
    def record_step_failure(self, failure: StepFailure) -> StepOutcome:
        """Record on the case, once, that a step can never be taken; tell the region."""
        with never_retried():
            return self.steps.record_failure(failure)

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
        try:
            self.webhook.post(notice, secret=self.channels.secret_for(notice.region))
        except DeliveryRefused as refusal:  # no retry can mend it
            raise ApplicationError(str(refusal), type="DeliveryRefused",
                                   non_retryable=True) from None
        return True

    @activity.defn(name="deliver_notice")
    def deliver_notice(self, attempt: DeliveryAttempt) -> DeliveryResult:
        """One attempt at one delivery; never raises, so the log has no traceback."""
        return self.channels.attempt(attempt)

    @activity.defn(name="deliver_and_record")
    def deliver_and_record(self, delivery: DeliveryAttempt) -> DeliveryReport:
        """One attempt; a failure before the last asks Temporal to try again after the
        backoff with its jitter (one log line, no traceback). How the delivery ended, at
        the attempt that delivered or the last, is recorded on the case here."""
        number = activity.info().attempt
        retry = delivery.notice.retry
        result = self.channels.attempt(replace(delivery, attempt=number))
        if not result.delivered and not result.refused and number < retry.attempts:
            raise ApplicationError(
                result.reason, type=NOT_DELIVERED, category=ApplicationErrorCategory.BENIGN,
                next_retry_delay=timedelta(seconds=retry_wait(retry, number, random.random())))
        alerts = self.steps.record_outcome(
            DeliveryOutcome(delivery.notice, delivery.delivery, result, number))
        return DeliveryReport(result, number, alerts)

    @uninterrupted("record_delivery")
    def record_delivery(self, outcome: DeliveryOutcome) -> list[Notice]:
        """Put a delivery's outcome on the case; answers the alert a failure raises."""
        return self.steps.record_outcome(outcome)

    @uninterrupted("authority_notice")
    def authority_notice(self, duty: AuthorityDuty) -> Notice:
        """What an authority-level reminder says, and where the region wants it; the round
        is recorded as reminded, so that a restore on a new host does not remind again."""
        policy = self.steps.policies.policy_for(duty.region)
        fired = activity.info().workflow_id
        if self.duty_reminders is not None and duty.round:
            self.duty_reminders.record(authority_schedule_id(duty.authority_id, duty.duty),
                                       duty.round)
        return Notice(
            key=f"{fired}", case_id="", authority=duty.authority, region=duty.region,
            subject=f"{duty.authority}: {duty.duty} due",
            body=f"The {duty.duty} of {duty.authority} ({duty.region}) is due.",
            email_to=policy.notify_email, webhook_url=policy.webhook_url,
            deliveries=Recipients([], policy.notify_email).deliveries(
                policy.webhook_url, self.steps.channels),
            retry=self.steps.retry,
        )


class DigestActivities:
    def __init__(self, digest: MorningDigest) -> None:
        self.digest = digest

    @activity.defn(name="send_morning_digests")
    def send_morning_digests(self) -> int:
        """Email today's digest to everyone who chose it; how many were sent."""
        return self.digest.send()


class RetentionActivities:
    """The retention sweep's one activity (workflows/retention.py)."""

    def __init__(self, disposals: Disposals) -> None:
        self.disposals = disposals

    @activity.defn(name="propose_disposals")
    def propose_disposals(self) -> int:
        """Propose to administrators every closed case the schedule now allows to be
        disposed of (their notifications list it); never disposes of one. How many."""
        proposed = self.disposals.propose_due()
        for case in proposed:
            log.info("disposal of %s (%s) proposed to administrators: %s",
                     case["reference"] or case["case_id"], case["authority"], case["rule"])
        return len(proposed)
