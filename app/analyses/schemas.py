"""Request and response models of the analysis, task and statistics endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AnalysisRequest(BaseModel):
    """Optional body of POST …/analysis."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    sensitivity: float = Field(default=3.0, gt=0, le=100, strict=True)  # 2 or 2.5; not true, "3"


class StatsQuery(BaseModel):
    """Period of GET /api/stats (documentation; app/analyses/statistics.py parses it)."""

    start_date: date | datetime | None = None
    end_date: date | datetime | None = None


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


class SessionAnalysesOut(BaseModel):
    session_id: str
    analyses: dict[str, Any]
    in_progress: list[str]


class TaskOut(_Open):
    task_id: str
    type: str
    state: str


class StatsOut(_Open):
    """`generate_statistics` of the period: sessions, records, durations, sensor usage."""
