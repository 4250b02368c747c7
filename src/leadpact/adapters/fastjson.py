"""JSON on the hot paths: orjson when it can, the standard library when it cannot.

orjson is several times faster, but refuses integers beyond 64 bits and unpaired UTF-16
surrogates; those rare inputs fall back to :mod:`json`, so results never depend on which
library read them (both produce the same Python values). NaN and Infinity are rejected by
both: they are not JSON.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises ValueError (json.JSONDecodeError with a position when malformed)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_constant=_reject_constant)


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON text, non-ASCII kept as is."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
