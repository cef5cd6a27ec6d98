"""Cleanup tasks run by Beat (app/worker/schedule.py). Each returns a summary and is safe to
run twice; the work itself lives in app/housekeeping/ (retention, upload_files, database,
report)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from flask import current_app

from app.housekeeping import database, report, retention, upload_files
from app.worker.policy import DB_RETRY

_PREFIX = "app.tasks.file_cleanup"


@shared_task(name=f"{_PREFIX}.cleanup_old_sensor_data", **DB_RETRY)
def cleanup_old_sensor_data(days: int = 30) -> dict[str, Any]:
    """Raw samples of uploaded sessions that ended `days` ago; the sessions stay."""
    return retention.delete_old_sensor_data(days)


@shared_task(name=f"{_PREFIX}.cleanup_old_sync_logs", **DB_RETRY)
def cleanup_old_sync_logs(days: int = 90) -> dict[str, Any]:
    """Sync logs older than `days`."""
    return retention.delete_old_sync_logs(days)


@shared_task(name=f"{_PREFIX}.cleanup_uploaded_files", **DB_RETRY)
def cleanup_uploaded_files(days: int = 7) -> dict[str, Any]:
    """Uploaded files older than `days` whose import is over."""
    return upload_files.delete_old_upload_files(current_app.config["UPLOAD_FOLDER"], days)


@shared_task(name=f"{_PREFIX}.cleanup_failed_sessions", **DB_RETRY)
def cleanup_failed_sessions(hours: int = 24) -> dict[str, Any]:
    """Close sessions a phone left active and then went silent on for `hours`."""
    return retention.close_stale_sessions(hours)


@shared_task(name=f"{_PREFIX}.optimize_database", **DB_RETRY)
def optimize_database() -> dict[str, Any]:
    """VACUUM/ANALYZE so deleted rows give their space back and plans stay good."""
    return database.optimize()


@shared_task(name=f"{_PREFIX}.generate_cleanup_report", **DB_RETRY)
def generate_cleanup_report() -> dict[str, Any]:
    """Totals, sizes, recent activity and pending cleanup, for operators."""
    return report.report(current_app.config["UPLOAD_FOLDER"])
