"""The morning digest arrives at its configured time (09:00 UK time unless set otherwise)."""

import asyncio
from datetime import UTC, datetime, timedelta

from domain.calendar import is_working_day
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from services.reminders.notice_text import UK
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, PUBLIC_URL, REGION


def test_the_digest_goes_at_nine_uk_time_unless_configured():
    assert Settings().digest_at().isoformat() == "09:00:00"
    assert Settings(digest_time="07:30").digest_at().isoformat() == "07:30:00"


async def test_the_digest_arrives_at_its_configured_time_listing_overdue_and_coming(
    cases, identity, mailbox, escalation_worker, client, task_queue
):
    identity.register_user(username="cora", role="coordinator", region=REGION,
                           email="cora@riep.example", digest=True)
    identity.register_user(username="carl", role="coordinator", region=REGION,
                           email="carl@riep.example")
    now = datetime.now(UTC)
    overdue = cases.open_case(**OPEN_CASE, **ACTOR, diagnosis_due=now + timedelta(seconds=1))
    soon = cases.open_case(**{**OPEN_CASE, "authority": "Eastshire Borough Council"}, **ACTOR,
                           diagnosis_due=now + timedelta(days=1))
    cases.open_case(**{**OPEN_CASE, "authority": "Farshire District Council"}, **ACTOR,
                    diagnosis_due=now + timedelta(days=30))
    at = (datetime.now(UK) + timedelta(seconds=8)).replace(microsecond=0)
    gateway = WorkflowGateway(client, task_queue)
    schedule_id = await gateway.schedule_morning_digest(at.timetz())
    try:
        if not is_working_day(at.date()):  # a weekend or bank holiday: no digest at all
            await asyncio.sleep(13)
            assert mailbox[0].messages == []
            return
        [digest] = await eventually(lambda: mailbox[0].messages, timeout=30)
        arrived = datetime.now(UK)
        assert at <= arrived < at + timedelta(seconds=10)
        assert digest["To"] == "cora@riep.example"  # carl did not choose the digest
        assert str(digest["Subject"]).strip().startswith("casework: 1 overdue, 1 due in the next")
        text = digest.get_body(("plain",)).get_content()
        overdue_part, coming_part = text.split("Due in the next 5 working days (1):")
        reference = cases.get_case(overdue)["reference"]
        assert f"Northshire County Council ({reference}): the diagnosis" in overdue_part
        assert f"{PUBLIC_URL}/case/{overdue}" in overdue_part
        assert "Eastshire Borough Council" in coming_part and f"/cases/{soon}" in coming_part
        assert "Farshire" not in text
        assert digest.get_body(("html",)) is not None
        await asyncio.sleep(2)
        assert len(mailbox[0].messages) == 1
    finally:
        await client.get_schedule_handle(schedule_id).delete()
