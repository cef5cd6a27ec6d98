"""Prometheus metrics at /metrics: per-endpoint request counts and latency histograms (from
prometheus-flask-exporter) plus sync and task outcomes.

Under gunicorn (several worker processes) set `PROMETHEUS_MULTIPROC_DIR` to an empty directory
shared by all workers — and by Celery workers on the same host, for task outcomes; every process
then writes its values there and /metrics adds them up. Without it, each app instance keeps
its own registry (which also lets tests build many apps in one process).

Only the loopback, `METRICS_ALLOWED_NETWORKS` and holders of `METRICS_TOKEN` may read /metrics
(app/observability/metrics_access.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from celery import signals
from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

from app.observability.metrics_access import metrics_access


@dataclass
class SyncMetrics:
    samples: Counter
    syncs: Counter
    tasks: Counter


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
    )


_MULTIPROCESS_METRICS: SyncMetrics | None = None


def init_metrics(app: Flask) -> None:
    global _MULTIPROCESS_METRICS
    options = {
        "group_by": "endpoint",
        "defaults_prefix": "koodtx",
        "metrics_decorator": metrics_access(app.config),
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
