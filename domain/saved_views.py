"""Saved views of My work: a person's filters and sort kept under a name of their own.

A view holds only what My work's filter form asks (VIEW_KEYS), so a saved view can
never carry a key My work would not read. Its name is plain text by the one text
rule (domain/text.py), on one line, and unique among the person's own views however
it is capitalised: two tabs that read the same would be no help.
"""

from collections.abc import Iterable, Mapping

from domain.errors import InvalidField, RuleViolation
from domain.identity import Principal, Role
from domain.text import text_problem

VIEW_KEYS = ("stage", "risk_band", "authority", "overdue", "status", "owner", "sort")
"""My work's filters and sort, in the order its form asks them."""
NAME_LIMIT = 60  # characters: a tab's label
VALUE_LIMIT = 200  # characters: longer than any council's name

BLANK_NAME = "view_name_blank"
LONG_NAME = "view_name_too_long"
NAME_TAKEN = "view_name_taken"
LONG_FILTER = "view_filter_too_long"
NOT_SHARED = "view_share_coordinators_only"


def view_name(name: str) -> str:
    """The name as kept: trimmed, on one line, plain, not blank and not too long."""
    name = name.strip()
    if not name:
        raise InvalidField("a saved view needs a name", field="name", rule=BLANK_NAME)
    problem = text_problem(name, "name", multiline=False)
    if problem is not None:
        raise InvalidField(problem[1], field="name", rule=problem[0])
    if len(name) > NAME_LIMIT:
        raise InvalidField(f"a view's name has at most {NAME_LIMIT} characters",
                           field="name", rule=LONG_NAME)
    return name


def view_query(asked: Mapping[str, str]) -> dict[str, str]:
    """The filters to keep: My work's own keys only, each plain text; anything else
    in what was asked is left out."""
    kept = {key: str(asked.get(key) or "").strip() for key in VIEW_KEYS if key in asked}
    for key, value in kept.items():
        problem = text_problem(value, key, multiline=False)
        if problem is not None:
            raise InvalidField(problem[1], field=key, rule=problem[0])
        if len(value) > VALUE_LIMIT:
            raise InvalidField(f"{key} has at most {VALUE_LIMIT} characters", field=key,
                               rule=LONG_FILTER)
    return kept


def check_name_free(name: str, own_names: Iterable[str]) -> None:
    """A person's views have different names, whatever their capitals."""
    if name.casefold() in {n.casefold() for n in own_names}:
        raise RuleViolation(f"you already have a view called {name}", field="name",
                            rule=NAME_TAKEN)


def sharing_region(who: Principal) -> str:
    """The region a view is shared with: a coordinator's own; nobody else shares."""
    if who.role is not Role.COORDINATOR or not who.region:
        raise RuleViolation("only a regional coordinator shares a view, with their region",
                            field="share", rule=NOT_SHARED)
    return who.region
