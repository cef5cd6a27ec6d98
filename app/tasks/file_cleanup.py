"""Cleanup tasks run by Beat (app/worker/schedule.py). Each returns a summary and is safe to
run twice; the work itself lives in app/housekeeping/ (retention, upload_files, database,
report)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from flask import current_app

from app.housekeeping import database, report, retention, upload_files
from app.worker import task_names as names
from app.worker.policy import DB_RETRY


@shared_task(name=names.CLEANUP_OLD_SENSOR_DATA, **DB_RETRY)
def cleanup_old_sensor_data(days: int = 30) -> dict[str, Any]:
    """Raw samples of uploaded sessions that ended `days` ago; the sessions stay."""
    return retention.delete_old_sensor_data(days)


@shared_task(name=names.CLEANUP_OLD_SYNC_LOGS, **DB_RETRY)
def cleanup_old_sync_logs(days: int = 90) -> dict[str, Any]:
    """Sync logs older than `days`."""
    return retention.delete_old_sync_logs(days)


@shared_task(name=names.CLEANUP_UPLOADED_FILES, **DB_RETRY)
def cleanup_uploaded_files(days: int = 7) -> dict[str, Any]:
    """Uploaded files older than `days` whose import is over."""
    return upload_files.delete_old_upload_files(current_app.config["UPLOAD_FOLDER"], days)


@shared_task(name=names.CLEANUP_FAILED_SESSIONS, **DB_RETRY)
def cleanup_failed_sessions(hours: int = 24) -> dict[str, Any]:
    """Close sessions a phone left active and then went silent on for `hours`."""
    return retention.close_stale_sessions(hours)


@shared_task(name=names.OPTIMIZE_DATABASE, **DB_RETRY)
def optimize_database() -> dict[str, Any]:
    """VACUUM/ANALYZE so deleted rows give their space back and plans stay good."""
    return database.optimize()


@shared_task(name=names.GENERATE_CLEANUP_REPORT, **DB_RETRY)
def generate_cleanup_report() -> dict[str, Any]:
    """Totals, sizes, recent activity and pending cleanup, for operators."""
    return report.report(current_app.config["UPLOAD_FOLDER"])
