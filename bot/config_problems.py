"""Pydantic validation errors of a configuration file, as one line of TOML key paths.

`routing.rules[2].kind: must be one of account_owner, assign, fallback, not "robin"`: the path
as the file spells it (list positions from 0, odd keys quoted) and the problem in plain words,
with the keys a table allows when one is unknown.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

MAX_PROBLEMS = 5
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def describe_errors(errors: Sequence[ErrorDetails], root: type[BaseModel]) -> str:
    """The problems as one line: `key.path: what is wrong`, joined by semicolons."""
    lines = [f"{_path(error['loc'])}: {_message(error, root)}" for error in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"and {len(errors) - MAX_PROBLEMS} more")
    return "; ".join(lines)


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += ("." if path else "") + toml_key(part)
    return path or "(top level)"


def toml_key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, else in double quotes."""
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


_TYPE_WORDS = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "string_type": "text in quotes",
    "list_type": 'a list like ["a", "b"]',
    "dict_type": "a table",
    "model_type": "a table",
}


def _message(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _keys_at(root, error["loc"][:-1])
        return "unknown key" + (f"; use {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}, not {_shown(error['input'])}"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, not {_shown(error['input'])}"
    bounds = {
        "greater_than": "above {gt}",
        "greater_than_equal": "{ge} or more",
        "less_than": "below {lt}",
        "less_than_equal": "{le} or less",
    }
    if kind in bounds:
        limits = {name: f"{value:g}" for name, value in context.items()}
        return f"must be {bounds[kind].format(**limits)}, not {_shown(error['input'])}"
    if kind == "string_too_short":
        return "must not be empty"
    return str(error["msg"]).removeprefix("Value error, ")


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _keys_at(root: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys the table at `loc` allows, for 'unknown key; use ...'."""
    kind: Any = root
    for part in loc:
        kind = _unwrapped(kind)
        if isinstance(part, int):
            continue
        fields = getattr(kind, "model_fields", {})
        if part not in fields:
            return []
        kind = fields[part].annotation
    kind = _unwrapped(kind)
    return list(getattr(kind, "model_fields", {}))


def _unwrapped(kind: Any) -> Any:
    """The table type inside `X | None` and `list[X]`."""
    while True:
        origin = typing.get_origin(kind)
        if origin in (typing.Union, types.UnionType):
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        elif origin is list:
            kind = typing.get_args(kind)[0]
        else:
            return kind
