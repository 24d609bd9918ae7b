"""Whether an event read back from storage holds what its class declares.

An event is checked when it is made (each command's rules), but a stored event
is rebuilt from bytes without running those rules again: a row altered in the
database, or written by a faulty release, could give a case a number where its
content should be text, or a confidentiality outside the vocabulary. Every reader
rebuilds events through one mapper (services/eventstore/chain.py), which asks here, so a
value of the wrong type is refused in one place rather than served as it is.

The check follows each event class's own annotations: `str`, `int`, `bool`,
`datetime`, `Decimal`, `X | None`, `list[...]`, `dict[..., ...]`, and
`Annotated[str, SomeEnum]` for a text drawn from a closed vocabulary.
"""

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

Check = Callable[[Any], bool]


def recorded_value_problem(event: object) -> str | None:
    """Why the event's values are not what its class declares; None when they are."""
    values = vars(event)
    kind: Any = type(event)
    for name, required, check in _checks(kind):
        if name not in values:
            if required:
                return f"its field {name!r} is missing"
            continue
        if not check(values[name]):
            declared = _declared(type(event), name)
            return f"its field {name!r} holds {_shown(values[name])}, not {declared}"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _declared(cls: type, name: str) -> str:
    hint = _hints(cls)[name]
    vocabulary = _vocabulary(hint)
    if vocabulary is not None:
        return "one of " + ", ".join(repr(v.value) for v in vocabulary)
    return "a " + str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "")


@cache
def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):  # an annotation this check cannot resolve: not checked
        return {}


@cache
def _checks(cls: type) -> tuple[tuple[str, bool, Check], ...]:
    """(field, whether it must be present, its check) for each field the class declares."""
    defaults = {f.name for f in dataclasses.fields(cls)
                if f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING} \
        if dataclasses.is_dataclass(cls) else set()
    found = []
    for name, hint in _hints(cls).items():
        if typing.get_origin(hint) is typing.ClassVar or name.startswith("originator_"):
            continue  # the mapper sets the originator's id and version from the row
        check = _check_for(hint)
        if check is not None:
            found.append((name, name not in defaults, check))
    return tuple(found)


def _vocabulary(hint: Any) -> type[Enum] | None:
    if typing.get_origin(hint) is typing.Annotated:
        for extra in hint.__metadata__:
            if isinstance(extra, type) and issubclass(extra, Enum):
                return extra
    return None


_SIMPLE: dict[Any, Check] = {
    str: lambda v: isinstance(v, str),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    bool: lambda v: isinstance(v, bool),
    datetime: lambda v: isinstance(v, datetime),
    Decimal: lambda v: isinstance(v, Decimal),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    Any: lambda v: True,
}


def _check_for(hint: Any) -> Check | None:
    """The check a declared type gives; None for a type this check does not know."""
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    vocabulary = _vocabulary(hint)
    if vocabulary is not None:
        values = frozenset(v.value for v in vocabulary)
        return lambda v: isinstance(v, str) and v in values
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _check_for(arguments[0])
    if origin in (typing.Union, types.UnionType):
        return _either([_check_for(a) for a in arguments])
    if origin is list:
        item = _check_for(arguments[0]) if arguments else _SIMPLE[Any]
        return None if item is None else (
            lambda v: isinstance(v, list) and all(item(i) for i in v))
    if origin is dict:
        value = _check_for(arguments[1]) if len(arguments) == 2 else _SIMPLE[Any]
        return None if value is None else (
            lambda v: isinstance(v, dict) and all(value(i) for i in v.values()))
    if hint is type(None):
        return lambda v: v is None
    return None


def _either(checks: list[Check | None]) -> Check | None:
    if any(c is None for c in checks):
        return None
    known = [c for c in checks if c is not None]
    return lambda v: any(c(v) for c in known)
