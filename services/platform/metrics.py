"""Prometheus metrics, one set per process (the API's and each worker's).

The API serves them at /metrics; a worker serves its own on
CASEWORK_WORKER_METRICS_PORT. Names follow Prometheus conventions: counters end
in `_total`, durations are histograms in seconds.
"""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "casework_http_requests_total", "HTTP requests answered, by route template and status.",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "casework_http_request_duration_seconds", "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
COMMANDS_RECORDED = Counter(
    "casework_commands_recorded_total",
    "Commands on cases that the API acknowledged (2xx), by route template.", ["command"])
WORKFLOW_TELLS = Counter(
    "casework_workflow_tells_total",
    "Case workflows told of a command after it answered, by outcome: started, signalled, "
    "coalesced (told with an earlier change of the same case), no_workflow (none running), "
    "not_connected, failed or dropped (queue full); the worker's reconciler tells those.",
    ["outcome"])
STEPS_RECORDED = Counter(
    "casework_escalation_steps_recorded_total",
    "Reminders, proposals and escalations recorded by the workflows, by action.", ["action"])
REMINDER_LATENESS = Histogram(
    "casework_step_lateness_seconds",
    "How long after its due time a reminder or escalation was recorded.", ["action"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600))
NOTICES = Counter(
    "casework_notices_delivered_total",
    "Notice deliveries by channel (email, webhook) and outcome (sent, not_set, failed).",
    ["channel", "outcome"])
NOTICES_FAILED = Counter(
    "casework_notices_failed_total",
    "Notice deliveries that failed after all their retries (recorded on the case as "
    "NoticeFailed, and told to the region's coordinators), by channel.", ["channel"])
ACTIVITY_FAILURES = Counter(
    "casework_activity_failures_total", "Activity attempts that raised, by activity.",
    ["activity"])
WORKFLOW_FAILURES = Counter(
    "casework_workflow_failures_total",
    "Workflow runs and workflow tasks that failed, as the Temporal SDK reports them.", ["kind"])
STREAMS_SET_ASIDE = Counter(
    "casework_case_streams_set_aside_total",
    "Cases the case list could not apply and set aside (flagged as failing verification; "
    "every other case is still served). Alert on any increase.")
SIGN_IN_FAILURES = Counter(
    "casework_sign_in_failures_total",
    "Wrong credentials: bearer tokens (way=bearer) and tokens pasted into the sign-in page "
    "(way=sign_in_page). A steady rise is someone guessing.", ["way"])
SIGN_INS_THROTTLED = Counter(
    "casework_sign_ins_throttled_total",
    "Credential checks slowed by the throttle: held briefly (outcome=held) or refused with "
    "429 (outcome=refused), by way.", ["way", "outcome"])
DOCUMENTS_TAMPERED = Counter(
    "casework_documents_tampered_total",
    "Document downloads refused because the stored bytes no longer hash to what the case "
    "records (changed or lost at rest). Alert on any increase.")
