"""Running the per-session analyses: load once, call the pure functions, store each result.

This is the body of the analysis tasks, callable without Celery. A session whose samples are
read once can be analysed in several ways (`kinds`) for the cost of one database read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pandas as pd

from app.analyses import loading, store
from app.analyses.charts import warm_session_charts
from app.analyses.compute import quality, signals
from app.analyses.compute.gaps import OWN_CADENCE_SENSORS
from app.analyses.events import analysis_started
from app.clock import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

ANALYSIS, METRICS, ANOMALIES = "analysis", "metrics", "anomalies"
KINDS = [ANALYSIS, METRICS, ANOMALIES]
DEFAULT_SENSITIVITY = 3.0


def declared_rates(info: loading.SessionInfo, frame: pd.DataFrame) -> dict[str, float]:
    """The session's declared rate for each sensor it applies to."""
    if not info.sample_rate or frame.empty:
        return {}
    sensors = set(frame["sensor_type"].unique()) - OWN_CADENCE_SENSORS
    return dict.fromkeys(sorted(str(s) for s in sensors), info.sample_rate)


def _analysis(frame: pd.DataFrame, info: loading.SessionInfo, params: dict) -> dict:
    end_ms = info.end_ms if info.end_ms is not None and not info.is_active else None
    start_ms = info.start_ms if end_ms is not None else None
    return signals.analyze_sensor_data(frame, start_ms, end_ms)


def _metrics(frame: pd.DataFrame, info: loading.SessionInfo, params: dict) -> dict:
    return quality.session_metrics(frame, declared_rates(info, frame))


def _anomalies(frame: pd.DataFrame, info: loading.SessionInfo, params: dict) -> dict:
    return signals.detect_anomalies(frame, params.get("sensitivity", DEFAULT_SENSITIVITY))


COMPUTE: dict[str, Callable[[pd.DataFrame, loading.SessionInfo, dict], dict]] = {
    ANALYSIS: _analysis,
    METRICS: _metrics,
    ANOMALIES: _anomalies,
}


def _skip(session_pk: int, task_id: str | None, reason: str) -> dict[str, Any]:
    log.info("analysis of session %s skipped: %s", session_pk, reason)
    if task_id is not None:
        store.discard(task_id)
    return {"session_pk": session_pk, "status": "skipped", "reason": reason, "results": {}}


def _settling(info: loading.SessionInfo, settle_seconds: float) -> bool:
    """Pushes changed the session within the settle time; a later task will analyse it."""
    return info.updated_at > utcnow() - timedelta(seconds=settle_seconds / 2)


def run_analyses(
    session_pk: int,
    kinds: list[str],
    *,
    task_id: str | None,
    parameters: dict[str, Any] | None = None,
    only_if_stale: bool = False,
    settle_seconds: float = 0,
    max_attempts: int = 5,
) -> dict[str, Any]:
    """Analyse one session and store one row per kind; returns the results by kind.

    `only_if_stale` (automatic runs) skips sessions that already have results for their
    current change stamp, and sessions still receiving pushes.
    """
    parameters = parameters or {}
    info = loading.session_info(session_pk)
    if info is None:
        return _skip(session_pk, task_id, "session not found")
    if task_id is not None and (stored := store.finished_results(task_id, kinds)) is not None:
        # Redelivered after it finished (e.g. the worker died before acknowledging).
        return {"session_pk": session_pk, "status": "success", "results": stored}
    if only_if_stale:
        if store.has_current_result(session_pk, info.updated_at, kinds):
            return _skip(session_pk, task_id, "results are up to date")
        if settle_seconds and _settling(info, settle_seconds):
            return _skip(session_pk, task_id, "session is still receiving data")
    row_ids, attempts = store.mark_started(session_pk, kinds, task_id, parameters, info.updated_at)
    if attempts > max_attempts:
        store.mark_failed(row_ids, f"given up after {attempts - 1} attempts")
        return {
            "session_pk": session_pk,
            "status": "failure",
            "reason": "too many attempts",
            "results": {},
        }
    analysis_started.send(session_pk=session_pk, task_id=task_id, attempts=attempts)
    try:
        frame = loading.load_samples(session_pk)
        results = {kind: COMPUTE[kind](frame, info, parameters) for kind in kinds}
    except Exception as error:
        if not isinstance(error, store.TRANSIENT_ERRORS):
            store.mark_failed(row_ids, f"{type(error).__name__}: {error}")
        raise
    store.mark_succeeded(row_ids, results)
    _warm_charts(session_pk)
    return {"session_pk": session_pk, "status": "success", "results": results}


def _warm_charts(session_pk: int) -> None:
    """Reduce the session's chart series now, so the dashboard's first view of it is quick."""
    try:
        warm_session_charts(session_pk)
    except Exception:  # the results are stored; the charts will be computed when viewed
        db.session.rollback()
        log.warning("charts of session %s not prepared", session_pk, exc_info=True)
