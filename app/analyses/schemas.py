"""Request and response models of the analysis, task and statistics endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AnalysisRequest(BaseModel):
    """Optional body of POST …/analysis."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    sensitivity: float = Field(default=3.0, gt=0, le=100, strict=True)  # 2 or 2.5; not true, "3"


# Years a period may name, as written: the default period and day arithmetic never overflow.
YEARS = range(1970, 9000)
_IN_YEARS = {"pattern": r"^(?:19[7-9][0-9]|[2-8][0-9]{3})-"}  # YEARS, as the start of the text


class StatsQuery(BaseModel):
    """Period of GET /api/stats (documentation; app/analyses/statistics.py parses it)."""

    start_date: date | datetime = Field(
        default=None,
        description="A date (from its midnight UTC) or a date-time; default end_date - 30 days",
        json_schema_extra=_IN_YEARS,
    )
    end_date: date | datetime = Field(
        default=None,
        description="A date (that whole day included) or a date-time (excluded); default now. "
        "Must not be before start_date.",
        json_schema_extra=_IN_YEARS,
    )


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AnalysisStartedOut(BaseModel):
    """The run analysing the session's current data: new (PENDING), or an earlier one with the
    same parameters (`reused`; SUCCESS when finished, else PENDING or STARTED)."""

    task_id: str
    session_id: str
    kinds: list[str]
    state: str
    reused: bool


class AnalysisOut(BaseModel):
    """One stored result of one kind: what it was asked (`parameters`) and what it found."""

    kind: str
    task_id: str | None
    status: str
    parameters: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    source_updated_at: datetime | None = Field(
        description="The session's change stamp the result describes"
    )
    created_at: datetime
    completed_at: datetime | None


class SessionAnalysesOut(BaseModel):
    session_id: str
    analyses: dict[str, AnalysisOut] = Field(description="The newest successful result per kind")
    in_progress: list[str]


class TaskOut(_Open):
    task_id: str
    type: str
    state: str


class StatsOut(_Open):
    """`generate_statistics` of the period: sessions, records, durations, sensor usage."""
