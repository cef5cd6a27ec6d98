"""Prometheus metrics at /metrics: per-endpoint request counts and latency histograms (from
prometheus-flask-exporter) plus sync and task outcomes and the sample store's compaction.

Under gunicorn (several worker processes) set `PROMETHEUS_MULTIPROC_DIR` to an empty directory
shared by all workers — and by Celery workers on the same host, for task outcomes; every process
then writes its values there and /metrics adds them up. Without it, each app instance keeps
its own registry (which also lets tests build many apps in one process).

Some values are not counted as they happen but read from the database when /metrics is
scraped (`refresh_before_scrape`), such as how far compaction is behind: the database is the
one place that knows it whichever process serves the scrape. Such gauges use the multiprocess
mode "mostrecent", so that the value just written by the scraping process is the one reported,
not a sum or maximum over every process that ever wrote one.

Only the loopback, `METRICS_ALLOWED_NETWORKS` and holders of `METRICS_TOKEN` may read /metrics
(app/observability/metrics_access.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from celery import signals
from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

from app.observability.metrics_access import metrics_access


@dataclass
class SyncMetrics:
    samples: Counter
    syncs: Counter
    tasks: Counter
    compactions: Counter
    compacted_samples: Counter
    compaction_steps: Counter
    compaction_backlog: Gauge
    compaction_lag: Gauge


def _sync_metrics(registry: CollectorRegistry | None) -> SyncMetrics:
    return SyncMetrics(
        samples=Counter(
            "koodtx_samples_total",
            "Pushed samples by outcome (inserted, updated, duplicate, error)",
            ["outcome"],
            registry=registry,
        ),
        syncs=Counter(
            "koodtx_syncs_total",
            "Pushes and pulls by status",
            ["sync_type", "status"],
            registry=registry,
        ),
        tasks=Counter(
            "koodtx_tasks_total", "Celery task outcomes", ["task", "outcome"], registry=registry
        ),
        compactions=Counter(
            "koodtx_compactions_total",
            "Compaction runs of a session, by result (moved: rows went into chunks; nothing: "
            "the session held no rows, e.g. compacted by an earlier run)",
            ["result"],
            registry=registry,
        ),
        compacted_samples=Counter(
            "koodtx_compacted_samples_total",
            "Samples moved from rows into chunks",
            registry=registry,
        ),
        compaction_steps=Counter(
            "koodtx_compaction_steps_total",
            "Committed compaction transactions (each moves a bounded number of rows)",
            registry=registry,
        ),
        compaction_backlog=Gauge(
            "koodtx_compaction_backlog_sessions",
            "Closed sessions that still hold rows (read from the database at scrape time)",
            registry=registry,
            multiprocess_mode="mostrecent",
        ),
        compaction_lag=Gauge(
            "koodtx_compaction_lag_seconds",
            "Seconds since the last change of the longest-waiting closed session that still "
            "holds rows; 0 when none does (read from the database at scrape time)",
            registry=registry,
            multiprocess_mode="mostrecent",
        ),
    )


_MULTIPROCESS_METRICS: SyncMetrics | None = None


def init_metrics(app: Flask) -> None:
    global _MULTIPROCESS_METRICS
    access = metrics_access(app.config)
    app.extensions["koodtx_scrape_hooks"] = []
    options = {
        "group_by": "endpoint",
        "defaults_prefix": "koodtx",
        "metrics_decorator": lambda view: access(_refreshed_first(view)),
    }
    if app.config["PROMETHEUS_MULTIPROC_DIR"]:
        os.makedirs(app.config["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
        exporter = GunicornInternalPrometheusMetrics(app, **options)
        if _MULTIPROCESS_METRICS is None:  # values live in files; one set per process
            _MULTIPROCESS_METRICS = _sync_metrics(None)
        metrics = _MULTIPROCESS_METRICS
    else:
        registry = CollectorRegistry(auto_describe=True)
        exporter = PrometheusMetrics(app, registry=registry, **options)
        metrics = _sync_metrics(registry)
    exporter.info("koodtx_app_info", "KooDTX sync server", version="1")
    app.extensions["koodtx_metrics"] = metrics


def _metrics() -> SyncMetrics | None:
    return current_app.extensions.get("koodtx_metrics")


def refresh_before_scrape(app: Flask, hook: Callable[[], None]) -> None:
    """Run `hook` (in the request's app context) before each /metrics response is built, to
    set gauges from the database. A hook handles its own errors: /metrics must still answer
    when the database does not."""
    app.extensions["koodtx_scrape_hooks"].append(hook)


def _refreshed_first(view):
    @wraps(view)
    def refreshed(*args, **kwargs):
        for hook in current_app.extensions.get("koodtx_scrape_hooks", ()):
            hook()
        return view(*args, **kwargs)

    return refreshed


def record_push(body: dict) -> None:
    metrics = _metrics()
    if metrics is None:
        return
    for outcome, key in (
        ("inserted", "inserted"),
        ("updated", "updated"),
        ("duplicate", "duplicates"),
        ("error", "errors"),
    ):
        if body[key]:
            metrics.samples.labels(outcome).inc(body[key])
    metrics.syncs.labels("push", "partial" if body["errors"] else "success").inc()


def record_pull() -> None:
    metrics = _metrics()
    if metrics is not None:
        metrics.syncs.labels("pull", "success").inc()


def record_compaction(samples: int, steps: int) -> None:
    metrics = _metrics()
    if metrics is None:
        return
    metrics.compactions.labels("moved" if samples else "nothing").inc()
    if samples:
        metrics.compacted_samples.inc(samples)
        metrics.compaction_steps.inc(steps)


def record_compaction_backlog(sessions: float, lag_seconds: float) -> None:
    """NaN for both when the database could not say."""
    metrics = _metrics()
    if metrics is not None:
        metrics.compaction_backlog.set(sessions)
        metrics.compaction_lag.set(lag_seconds)


def _record_task(sender, outcome: str) -> None:
    """Signals fire outside the task's app context; the Celery app knows its Flask app."""
    flask_app = getattr(getattr(sender, "app", None), "flask_app", None)
    metrics = flask_app.extensions.get("koodtx_metrics") if flask_app else None
    if metrics is not None:
        metrics.tasks.labels(sender.name, outcome).inc()


@signals.task_success.connect
def _task_succeeded(sender=None, **_kwargs):
    _record_task(sender, "success")


@signals.task_failure.connect
def _task_failed(sender=None, **_kwargs):
    _record_task(sender, "failure")


@signals.task_retry.connect
def _task_retried(sender=None, **_kwargs):
    _record_task(sender, "retry")
