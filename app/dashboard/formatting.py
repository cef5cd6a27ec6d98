"""Jinja filters that format values for people: times in UTC, durations, rounded numbers,
byte counts."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from app.dashboard import bp


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


@bp.app_template_filter("datetime")
def format_datetime(value: Any) -> str:
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


@bp.app_template_filter("seconds")
def format_seconds(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


@bp.app_template_filter("duration")
def format_duration(span: tuple[Any, Any]) -> str:
    start, end = (_moment(value) for value in span)
    if start is None or end is None:
        return "—"
    return format_seconds((end - start).total_seconds())


@bp.app_template_filter("number")
def format_number(value: Any) -> str:
    """Four significant digits, enough to read a statistic."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value:.4g}"


@bp.app_template_filter("percent")
def format_percent(value: Any) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    return f"{value * 100:.3g} %"


@bp.app_template_filter("bytes")
def format_bytes(value: Any) -> str:
    """A byte count in binary units with one decimal (the figure is an estimate anyway)."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return "—"
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    power = 0
    while value >= 1024 and power < len(units) - 1:
        value /= 1024
        power += 1
    return f"{value:.0f} B" if power == 0 else f"{value:.1f} {units[power]}"
