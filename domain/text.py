"""Plain text: what a text field may hold, wherever it comes from.

One rule for every way text comes in (a JSON body, a query string, a form, a
CSV file, a command on a case), so that what one path refuses no other path
stores:

- NUL and the other control characters have no place in a case record: they
  cannot be stored in a PostgreSQL text column, they break every reader that
  shows them, and they hide text from a reviewer. Tab and line breaks are
  ordinary in multi-line text (a summary, a reason) but not in a name.
- The bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069)
  make text display in an order other than the one it is stored in, so a
  reviewer would read one thing and a search find another ("Trojan Source").
  The plain marks (LRM, RLM, ALM) move no text and stay allowed: mixed
  left-to-right and right-to-left names need them.
- Text made only of invisible characters (zero-width space and joiners, word
  joiner, byte order mark, soft hyphen, fillers) looks blank on every page but
  is not empty, so it would pass a "must not be blank" check and show nothing.
"""

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from domain.errors import InvalidField

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a single line, tab, line breaks and the Unicode line and paragraph separators too.
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Shown as nothing although not format characters (category Cf, which are invisible
# by definition): the Hangul fillers, the braille blank, the combining grapheme
# joiner and the variation selectors.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10))

RULE = "no_control_characters"
BIDI_RULE = "no_bidi_controls"
INVISIBLE_RULE = "no_invisible_only_text"
RULES = (RULE, BIDI_RULE, INVISIBLE_RULE)


def control_character(value: str, *, multiline: bool = True) -> str | None:
    """The first character the text may not hold, as U+XXXX, or None when it is plain."""
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def rule_text(field: str, char: str, *, multiline: bool = True) -> str:
    allowed = "; tab and line breaks are allowed" if multiline else ""
    return f"{field} holds a control character ({char}), which text may not hold{allowed}"


def invisible(char: str) -> bool:
    """True for a character that shows as nothing and is not white space."""
    return unicodedata.category(char) == "Cf" or char in _BLANK_LOOKING


def is_blank(value: str) -> bool:
    """True when nothing would show: empty, white space, invisible characters only."""
    return all(char.isspace() or invisible(char) for char in value)


def text_problem(value: str, where: str, *, multiline: bool = True) -> tuple[str, str] | None:
    """The rule a text breaks and why, naming `where`; None when the text is plain.

    Empty and white-space-only text is left to each field's own rule (a blank
    optional field means none; a required one is refused as blank there).
    """
    char = control_character(value, multiline=multiline)
    if char is not None:
        return RULE, rule_text(where, char, multiline=multiline)
    bidi = _BIDI_CONTROL.search(value)
    if bidi is not None:
        return BIDI_RULE, (f"{where} holds a bidirectional override or isolate "
                           f"(U+{ord(bidi.group()):04X}), which makes text display in "
                           "another order than it is stored")
    if value.strip() and is_blank(value):
        return INVISIBLE_RULE, (f"{where} holds only invisible characters (such as a "
                                "zero-width space), so it would look blank")
    return None


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


def refuse_bad_text(fields: Mapping[str, Any]) -> None:
    """Refuse (InvalidField, naming the field and the rule) any text this module's rule
    refuses, anywhere inside the fields."""
    for name, value in fields.items():
        for where, text in texts_in(value, name):
            found = text_problem(text, where)
            if found is not None:
                raise InvalidField(found[1], field=where, rule=found[0])

