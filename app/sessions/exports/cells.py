"""What a CSV cell of an export holds, shared by the per-sample and the column writers."""

from __future__ import annotations

from typing import Any

import orjson

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def spreadsheet_text(text: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` when it would start a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell(value: Any) -> Any:
    """A CSV cell: numbers as they are, text neutralised, other JSON values as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return spreadsheet_text(value) if isinstance(value, str) else value


def quoted(text: str) -> str:
    """Text as the csv module writes it with QUOTE_NONNUMERIC: always quoted, `"` doubled."""
    return '"' + text.replace('"', '""') + '"'


def cell_text(value: Any) -> str:
    """`cell(value)` as the csv module writes it: text quoted, numbers as `str` (a float's
    shortest repr)."""
    shown = cell(value)
    return quoted(shown) if isinstance(shown, str) else str(shown)
