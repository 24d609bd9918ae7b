"""A plan put to the council reaches its liaison by email (a real SMTP server on loopback),
naming who asked, with a link to the case page in a browser; once, however often the
workflow wakes."""

from datetime import UTC, datetime, timedelta

from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import PUBLIC_URL, REGION, fast_policy
from tests.unit.case_builder import ACTIONS

CORA = dict(actor_id="cora", actor_role="coordinator")


def _people(identity, cases) -> None:
    identity.register_user(username="cora", name="Cora Coordinator", role="coordinator",
                           region=REGION, email="cora@riep.example")
    identity.register_user(username="lia", name="Lia Liaison", role="authority liaison",
                           authority=OPEN_CASE["authority"], email="lia@northshire.example")
    identity.register_user(username="sol", name="Sol Liaison", role="authority liaison",
                           authority="Southshire", email="sol@southshire.example")
    cases.people = identity.person


def _drafted(cases) -> object:
    case_id = cases.open_case(**OPEN_CASE, **CORA,
                              diagnosis_due=datetime.now(UTC) + timedelta(days=10))
    cases.record_diagnosis(case_id, summary="Weak leadership", problem_natures=["capability"],
                           **CORA)
    cases.draft_plan(case_id, summary="Stabilise children's services", actions=ACTIONS,
                     adviser_id="adam", **CORA)
    return case_id


def _to_liaisons(mailbox) -> list:
    return [m for m in mailbox[0].messages if "awaits your agreement" in m["Subject"]]


async def test_asking_the_council_to_agree_the_plan_emails_its_liaison_a_link_to_the_case(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue
):
    _people(identity, cases)
    fast_policy(policies, remind_before="P10D", missed_reminder_limit=0)
    case_id = _drafted(cases)
    cases.ask_council_to_agree(case_id, note="Ready for cabinet", **CORA)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    def lias() -> list:
        return [m for m in _to_liaisons(mailbox) if m["To"] == "lia@northshire.example"]
    await eventually(lias, timeout=30)  # (any other mail may come first)
    sent = _to_liaisons(mailbox)
    [to_lia] = lias()
    assert "sol@southshire.example" not in [m["To"] for m in sent]  # another council's
    reference = cases.get_case(case_id)["reference"]
    assert to_lia["Subject"] == (f"{OPEN_CASE['authority']}: the support plan awaits your "
                                 f"agreement (case {reference})")
    text = to_lia.get_body(("plain",)).get_content()
    assert f"Cora Coordinator asked {OPEN_CASE['authority']} to agree its support plan" in text
    assert f"Open the case: {PUBLIC_URL}/case/{case_id}" in text
    assert "/cases/" not in text and "cora" not in text.replace("Cora", "")
    case = cases.get_case(case_id)
    assert len([k for k in case["reminder_keys"] if k.startswith("plan agreement request")]) == 1
