"""Plain text: what a text field may hold, wherever it comes from.

NUL and the other control characters have no place in a case record: they
cannot be stored in a PostgreSQL text column, they break every reader that
shows them, and they hide text from a reviewer. Tab and line breaks are
ordinary in multi-line text (a summary, a reason) but not in a name.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from domain.errors import InvalidField

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a single line, tab, line breaks and the Unicode line and paragraph separators too.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

RULE = "no_control_characters"


def control_character(value: str, *, multiline: bool = True) -> str | None:
    """The first character the text may not hold, as U+XXXX, or None when it is plain."""
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def rule_text(field: str, char: str, *, multiline: bool = True) -> str:
    allowed = "; tab and line breaks are allowed" if multiline else ""
    return f"{field} holds a control character ({char}), which text may not hold{allowed}"


def texts_in(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text inside a value (keys of mappings too), each with where it sits."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from texts_in(key, f"{path} (key)")
            yield from texts_in(item, f"{path}.{key}")
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from texts_in(item, f"{path}[{index}]")


def refuse_control_characters(fields: Mapping[str, Any]) -> None:
    """Refuse (InvalidField, naming the field) any text holding a control character."""
    for name, value in fields.items():
        for where, text in texts_in(value, name):
            char = control_character(text)
            if char is not None:
                raise InvalidField(rule_text(where, char), field=where, rule=RULE)
