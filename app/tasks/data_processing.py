"""Analysis tasks: thin shells around app/analyses/jobs.py (load once, pure pandas, store).

`session_id` is the primary key of `recording_sessions`. Each task stores its result in
`session_analyses` under its own task id (once, however often it is delivered) and returns it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from flask import current_app

from app.analyses import jobs, scheduling, statistics
from app.worker import task_names as names
from app.worker.policy import DB_RETRY


def _run(task, session_id: int, kinds: list[str], **options: Any) -> dict[str, Any]:
    return jobs.run_analyses(
        session_id,
        kinds,
        task_id=task.request.id,
        max_attempts=current_app.config["MAX_TASK_DELIVERIES"],
        settle_seconds=current_app.config["ANALYSIS_DELAY_SECONDS"],
        **options,
    )


def _single(outcome: dict[str, Any], kind: str) -> dict[str, Any]:
    """The result of one kind, or the reason there is none."""
    return outcome["results"].get(kind) or {k: v for k, v in outcome.items() if k != "results"}


@shared_task(name=names.ANALYZE_SENSOR_DATA, bind=True, **DB_RETRY)
def analyze_sensor_data(self, session_id: int) -> dict[str, Any]:
    """Per-sensor field statistics, GPS distance, duration and record count of a session."""
    return _single(_run(self, session_id, [jobs.ANALYSIS]), jobs.ANALYSIS)


@shared_task(name=names.DETECT_ANOMALIES, bind=True, **DB_RETRY)
def detect_anomalies(self, session_id: int, sensitivity: float = 3.0) -> dict[str, Any]:
    """Samples whose 3-axis magnitude lies more than `sensitivity` deviations off."""
    outcome = _run(self, session_id, [jobs.ANOMALIES], parameters={"sensitivity": sensitivity})
    return _single(outcome, jobs.ANOMALIES)


@shared_task(name=names.CALCULATE_SESSION_METRICS, bind=True, **DB_RETRY)
def calculate_session_metrics(self, session_id: int) -> dict[str, Any]:
    """Per-axis statistics and data quality (rate, gaps, duplicates) of a session."""
    return _single(_run(self, session_id, [jobs.METRICS]), jobs.METRICS)


@shared_task(name=names.ANALYZE_SESSION, bind=True, **DB_RETRY)
def analyze_session(
    self, session_id: int, sensitivity: float = 3.0, only_if_stale: bool = False
) -> dict[str, Any]:
    """All three analyses from one read of the samples (what the API and the sweep start)."""
    outcome = _run(
        self,
        session_id,
        jobs.KINDS,
        parameters={"sensitivity": sensitivity},
        only_if_stale=only_if_stale,
    )
    return {k: v for k, v in outcome.items() if k != "results"} | {
        "kinds": sorted(outcome.get("results", {}))
    }


@shared_task(name=names.GENERATE_STATISTICS, bind=True, **DB_RETRY)
def generate_statistics(
    self, user_id: int, start_date: str | None = None, end_date: str | None = None
) -> dict[str, Any]:
    """A user's sessions, records, durations and sensor usage over a period."""
    start, end = statistics.parse_period(start_date, end_date)
    return statistics.user_statistics(user_id, start, end)


@shared_task(name=names.SWEEP_UNANALYSED_SESSIONS, bind=True, **DB_RETRY)
def sweep_unanalysed_sessions(self, limit: int = 100) -> dict[str, int]:
    """Enqueue closed sessions whose analysis never ran (broker down, task lost)."""
    return scheduling.sweep(limit)
