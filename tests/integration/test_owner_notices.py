"""Reminders go to the case's owner, by email to a real SMTP server on loopback, with a
link to the case; a plan deadline's also to the plan's adviser; a reassignment moves them."""

from datetime import UTC, datetime, timedelta

from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, PUBLIC_URL, REGION, fast_policy
from tests.unit.case_builder import ACTIONS

REGION_COPY = "coordinators@riep.example"


def _people(identity, cases) -> None:
    for user in (dict(username="cora", role="coordinator", region=REGION),
                 dict(username="olive", role="coordinator", region=REGION),
                 dict(username="adam", role="adviser")):
        identity.register_user(**user, email=f"{user['username']}@riep.example")
    cases.people = identity.person  # as the API wires it


def _to(mailbox, marker: str) -> list[str]:
    return sorted(m["To"] for m in mailbox[0].messages if marker in m["Message-ID"])


async def test_a_reminder_goes_to_the_owner_not_every_coordinator_with_a_link_to_the_case(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue
):
    _people(identity, cases)
    fast_policy(policies, remind_before="PT0S", missed_reminder_limit=1)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR, owner="olive")
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    sent = await eventually(lambda: len(_to(mailbox, "diagnosis")) >= 2
                            and _to(mailbox, "diagnosis"), timeout=30)
    assert sent == [REGION_COPY, "olive@riep.example"]  # not cora, who does not own it
    [to_olive] = [m for m in mailbox[0].messages if m["To"] == "olive@riep.example"]
    text = to_olive.get_body(("plain",)).get_content()
    assert f"Open the case: {PUBLIC_URL}/case/{case_id}" in text


async def test_after_a_reassignment_the_new_owner_and_the_adviser_hear_of_the_plan_deadline(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue
):
    _people(identity, cases)
    fast_policy(policies, missed_reminder_limit=0, plan_agreed="PT3S")
    case_id = cases.open_case(**OPEN_CASE, **ACTOR, owner="olive",
                              diagnosis_due=datetime.now(UTC) + timedelta(hours=1))
    cases.reassign_case(case_id, owner="cora", reason="Olive is on leave", **ACTOR)
    cases.record_diagnosis(case_id, summary="Weak leadership", problem_natures=["capability"],
                           **ACTOR)
    cases.draft_plan(case_id, summary="Stabilise children's services", actions=ACTIONS,
                     adviser_id="adam", **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    sent = await eventually(lambda: len(_to(mailbox, "plan-agreed")) >= 3
                            and _to(mailbox, "plan-agreed"), timeout=30)
    assert sent == ["adam@riep.example", REGION_COPY, "cora@riep.example"]


def test_the_digest_lists_a_coordinators_own_cases_and_those_no_reachable_owner_has(
        cases, identity, mailbox):
    from services.reminders.digest import MorningDigest
    from services.reminders.notifiers import EmailNotifier
    from tests.unit.case_builder import NOW  # a Monday, a working day

    identity.register_user(username="cora", role="coordinator", region=REGION,
                           email="cora@riep.example", digest=True)
    identity.register_user(username="olive", role="coordinator", region=REGION,
                           email="olive@riep.example")
    cases.people = identity.person
    cases.clock = lambda: NOW
    due = dict(diagnosis_due=NOW + timedelta(days=1))
    owned_by_cora = cases.open_case(**OPEN_CASE, actor_id="cora", actor_role="coordinator",
                                    **due)
    owned_by_olive = cases.open_case(**OPEN_CASE, **ACTOR, owner="olive", **due)
    unreachable = cases.open_case(**OPEN_CASE, **ACTOR, **due)  # coordinator-1: no address
    digest = MorningDigest(cases, identity.users,
                           EmailNotifier("127.0.0.1", mailbox[1], "casework@riep.example"),
                           public_base_url=PUBLIC_URL, clock=lambda: NOW)
    assert digest.send() == 1
    [sent] = mailbox[0].messages
    text = sent.get_body(("plain",)).get_content()
    assert sent["To"] == "cora@riep.example"
    assert f"/case/{owned_by_cora}" in text and f"/case/{unreachable}" in text
    assert f"/case/{owned_by_olive}" not in text
