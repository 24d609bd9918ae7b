"""Jinja templates with the GOV.UK Frontend macros (govuk-frontend-jinja) and MOJ patterns."""

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)
from markupsafe import Markup

from api.web.field_words import intro
from api.web.messages import error_words
from api.web.timeline import entry
from api.web.words import FILTERS, LONDON, day, moment_of, say, when
from domain.calendar import is_working_day

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES), PrefixLoader(
        {"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")})]),
    autoescape=select_autoescape(("html",)), trim_blocks=True, lstrip_blocks=True,
    # The templates ship with the release: checking each one's file for changes on every
    # render (a dozen GOV.UK macro files a page) costs more than a page's queries.
    auto_reload=False,
)


def working_days_until(value: Any, now: datetime | None = None) -> int | None:
    """Whole working days from today to the day a deadline falls (negative: overdue)."""
    moment = moment_of(value)
    if moment is None:
        return None
    today = (now or datetime.now(UTC)).astimezone(LONDON).date()
    due = moment.astimezone(LONDON).date() if moment.tzinfo else moment.date()
    step = 1 if due >= today else -1
    count, cursor = 0, today
    while cursor != due:
        cursor = date.fromordinal(cursor.toordinal() + step)
        if is_working_day(cursor):
            count += step
    return count


def is_overdue(value: Any, now: datetime | None = None) -> bool:
    moment = moment_of(value)
    return moment is not None and moment < (now or datetime.now(UTC))


def words(value: Any) -> str:
    return str(value or "").replace("_", " ")


def choices(values: list[str], chosen: str, any_text: str) -> list[dict[str, Any]]:
    """Items for a GOV.UK select: "any" first, then each value, the chosen one selected."""
    return [{"value": "", "text": any_text}] + [
        {"value": v, "text": say(v), "selected": v == chosen} for v in values]


@lru_cache(maxsize=512)
def fragment(template: str, values: tuple[tuple[str, Any], ...] = ()) -> Markup:
    """A part of a page that is the same whoever asks with the same values (the header,
    the footer, a filter form), rendered once: GOV.UK's macros cost more than the rest
    of a page."""
    return Markup(env.get_template(template).render(**dict(values)))


env.globals.update(choices=choices, fragment=fragment, timeline_entry=entry, intro=intro,
                   error_words=error_words)
env.filters.update(when=when, day=day, working_days=working_days_until, words=words, **FILTERS)
env.tests.update(overdue=is_overdue)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    nonce = getattr(request.state, "csp_nonce", "")  # api/middleware.py SecurityHeaders
    page = env.get_template(template).render(request=request, cspNonce=nonce, **context)
    return HTMLResponse(page, status_code=status)
