"""A form's answers as "Check your answers" shows them: each in words, never an id.

A commitment (commissioning support, deploying a peer, escalating, convening the
government meeting, closing the case) is shown back to the person before it is
recorded, as GOV.UK's "Check answers" pattern asks; the answers are the posted
form's own, so what is recorded is what was checked.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from markupsafe import Markup, escape

from api.threads import in_thread
from api.web.forms import FormField
from api.web.people import directory
from api.web.rendering import day as day_words
from api.web.rendering import when as when_words
from domain.errors import DomainError


async def answer_rows(request: Request, fields: list[FormField],
                      form: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for a GOV.UK summary list: what was asked, what was answered, and the field
    a "Change" button returns to."""
    rows = []
    for field in fields:
        if field.kind in ("rows", "group"):
            for group in field.rows:
                lines = [(sub.label, await _shown(request, sub, form)) for sub in group.fields]
                if any(v for _, v in lines) or field.kind == "group":
                    rows.append(_row(group.legend, Markup("<br>").join(
                        Markup("{}: {}").format(k, v or "Not given") for k, v in lines),
                        group.fields[0]))
            continue
        rows.append(_row(field.label, await _shown(request, field, form) or "Not given",
                         field))
    return rows


def _row(label: str, value: Any, field: FormField) -> dict[str, Any]:
    anchor = f"{field.id}-day" if field.kind in ("date", "datetime") else field.id
    return {"label": label, "value": escape(value), "anchor": anchor}


async def _shown(request: Request, field: FormField, form: dict[str, Any]) -> str:
    """One answer in words: a date as "31 March 2027", a peer or an offer by name."""
    if field.kind in ("date", "datetime"):
        return _moment(field, form)
    given = form.get(field.name)
    values = [str(v) for v in (given if isinstance(given, list) else [given]) if v]
    if field.kind == "boolean":
        return "Yes" if values else "No"
    if not values:
        return ""
    if field.name in ("peer_id", "offer_id"):
        return await _named(request, field.name, values[0])
    if field.name in ("peer_user", "owner", "adviser_id", "grantee"):
        return (await directory(request)).name_of(values[0])
    if field.kind in ("radios", "checkboxes"):
        return ", ".join(v[0].upper() + v[1:] for v in values)
    return "\n".join(values)


def _moment(field: FormField, form: dict[str, Any]) -> str:
    boxes = [str(form.get(f"{field.name}-{p}") or "").strip() for p in field.parts]
    if not any(boxes):
        return ""
    try:
        day = date(int(boxes[2]), int(boxes[1]), int(boxes[0]))
        if field.kind == "date":
            return day_words(day)
        return when_words(datetime(day.year, day.month, day.day, int(boxes[3]),
                                   int(boxes[4] or 0)))
    except ValueError:
        return " ".join(boxes)


async def _named(request: Request, name: str, value: str) -> str:
    """A register's peer or offer by its name, as the register knows it."""
    if name == "peer_id":
        peer = (await directory(request)).peers.get(value)
        return f"{peer.name}, {peer.organisation}" if peer else "A peer from the register"
    try:
        offer = await in_thread(request.app.state.registers.get_offer, UUID(value))
    except (ValueError, DomainError):
        return "An offer from the register"
    return ", ".join(str(offer[k]) for k in ("title", "provider") if offer.get(k))
