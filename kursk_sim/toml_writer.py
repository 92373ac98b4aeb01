"""A small TOML writer for scenario dicts (the standard library only reads TOML).

Leaf tables (those with a ``value`` or ``dist`` key) are written inline;
other tables get ``[header]`` lines.

Examples
--------
>>> print(dumps({"name": "x", "ru": {"strength": {"value": 5, "source": "s"}}}))
name = "x"
<BLANKLINE>
[ru]
strength = { value = 5, source = "s" }
<BLANKLINE>
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold {v!r} in a scenario")
        return repr(v)
    if isinstance(v, dt.datetime):
        raise TypeError("datetimes are not scenario values; use dates")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_leaf_table(v: Mapping[str, Any]) -> bool:
    return "value" in v or "dist" in v


def dumps(data: Mapping[str, Any]) -> str:
    """Serialise a nested dict of scenario values as TOML text."""
    lines: list[str] = []
    _emit(data, [], lines)
    return "\n".join(lines) + "\n"


def _emit(table: Mapping[str, Any], prefix: list[str], lines: list[str]) -> None:
    subtables = []
    body = []
    for k, v in table.items():
        if isinstance(v, Mapping) and not _is_leaf_table(v):
            subtables.append((k, v))
        else:
            body.append(f"{_key(k)} = {_scalar(v)}")
    if prefix and (body or not subtables):
        lines.append(f"[{'.'.join(_key(p) for p in prefix)}]")
    lines.extend(body)
    if body:
        lines.append("")
    for k, v in subtables:
        _emit(v, [*prefix, k], lines)
