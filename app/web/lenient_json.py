"""The fallback parser for JSON that orjson refuses, and integers read the way orjson reads them.

orjson rejects NaN/Infinity and numbers beyond the double range; the standard parser accepts
them, so a bad number can be reported for its own sample instead of failing a whole request or
file. Integers must not go through `int()` unchecked: Python refuses literals of more than
4,300 digits (ValueError), and a client controls how many digits it sends.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_INT64_MIN, _UINT64_END = -(2**63), 2**64
_MAX_DIGITS = 20  # as many as 2**64 has: a longer literal (without leading zeros) is beyond


def in_64_bits(value: int) -> bool:
    """Whether orjson reads (and writes) this integer as an integer: signed or unsigned 64 bits."""
    return _INT64_MIN <= value < _UINT64_END


def parse_integer(text: str) -> int | float:
    """An integer literal as orjson reads it: an int within 64 bits, else the nearest float
    (infinite past the double range, which sample validation then rejects)."""
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) <= _MAX_DIGITS:
        value = int(digits or "0")
        value = -value if text.startswith("-") else value
        if in_64_bits(value):
            return value
    return float(text)


def loads(text: str | bytes) -> Any:
    """Parse with the standard library: NaN and Infinity allowed, integers as orjson reads
    them. Raises ValueError (also for invalid UTF-8) or RecursionError like `json.loads`."""
    return json.loads(text, parse_int=parse_integer)


def parse(raw: bytes) -> tuple[Any, bool]:
    """`(document, lenient)`: orjson's reading, or this module's when orjson refuses the text
    (`lenient` is then True: numbers may be non-finite and need checking). Raises orjson's
    JSONDecodeError, with its message, when neither parser accepts the text."""
    try:
        return orjson.loads(raw), False
    except orjson.JSONDecodeError as fast_error:
        try:
            return loads(raw.decode("utf-8")), True
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise fast_error from None
