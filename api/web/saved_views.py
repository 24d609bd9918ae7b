"""Saved views as My work shows them: a tab (a plain link to My work with the view's
filters, so it works without JavaScript) for each of the person's own views and each
view a coordinator of their region shared."""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from api.threads import in_thread
from api.web.people import Directory
from domain.identity import Principal, Role
from domain.saved_views import VIEW_KEYS

DEFAULTS = {"status": "open", "sort": "raised"}
"""What My work shows when a filter is not given (every other filter: none)."""


def _full(query: dict[str, str]) -> dict[str, str]:
    return {key: str(query.get(key, DEFAULTS.get(key, ""))) for key in VIEW_KEYS}


def _sharer(people: Directory, username: str, region: str | None) -> bool:
    """Whether who shared a view still shares their region's work: an active coordinator
    of it. One who moved region, or left, shares nothing with it any more."""
    person = people.person(username)
    return (person is not None and person.active and person.role == Role.COORDINATOR.value
            and person.region == region)


async def view_tabs(request: Request, who: Principal, filters: dict[str, str],
                    people: Directory) -> list[dict[str, Any]]:
    """The person's tabs, the one matching the filters shown as current."""
    region = who.region if who.role is Role.COORDINATOR else None
    kept = await in_thread(request.app.state.saved_views.views_for, who.id, region)
    views = [v for v in kept if v.owner == who.id or _sharer(people, v.owner, region)]
    shown = _full(filters)
    return [{"name": v.name, "own": v.owner == who.id, "shared": bool(v.shared_region),
             "by": people.name_of(v.owner), "href": "/my-work?" + urlencode(_full(v.query)),
             "current": _full(v.query) == shown} for v in views]
