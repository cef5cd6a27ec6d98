"""Celery settings and the Beat schedule: what makes tasks hard to lose, what runs when."""

from __future__ import annotations

import inspect

import pytest
from celery.schedules import crontab
from sqlalchemy.exc import OperationalError

from app.worker.celery_setup import celery_settings
from app.worker.schedule import BEAT_SCHEDULE

BASE = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/0",
}

EXPECTED_SCHEDULE = {
    # task name: (args, crontab or seconds)
    "app.tasks.file_cleanup.cleanup_old_sensor_data": ((30,), crontab(hour=3, minute=0)),
    "app.tasks.file_cleanup.cleanup_old_sync_logs": (
        (90,),
        crontab(hour=3, minute=30, day_of_week="sunday"),
    ),
    "app.tasks.file_cleanup.cleanup_failed_sessions": ((24,), crontab(hour=2, minute=0)),
    "app.tasks.file_cleanup.cleanup_uploaded_files": ((7,), crontab(hour=2, minute=30)),
    "app.tasks.file_cleanup.optimize_database": (
        (),
        crontab(hour=4, minute=0, day_of_week="sunday"),
    ),
    "app.tasks.file_cleanup.generate_cleanup_report": ((), crontab(hour=5, minute=0)),
    "app.tasks.data_processing.sweep_unanalysed_sessions": ((), 600.0),
    "app.tasks.uploads.resume_stalled_uploads": ((), 600.0),
    "app.tasks.samples.sweep_compaction": ((), 600.0),
    "app.tasks.maintenance.purge_expired_revocations": ((), crontab(minute=15)),
    "app.tasks.maintenance.purge_old_tombstones": ((), crontab(hour=3, minute=45)),
    "app.tasks.audio_files.cleanup_old_audio": ((30,), crontab(hour=3, minute=10)),
    "app.tasks.audio_files.cleanup_orphan_audio_files": ((), crontab(hour=3, minute=20)),
    "app.tasks.audio_files.expire_chunked_uploads": ((), 900.0),
}


def test_the_schedule_runs_every_periodic_task_with_its_arguments():
    scheduled = {
        entry["task"]: (tuple(entry.get("args", ())), entry["schedule"])
        for entry in BEAT_SCHEDULE.values()
    }
    assert scheduled == EXPECTED_SCHEDULE


def test_every_scheduled_task_exists_and_accepts_its_arguments(celery_app):
    celery_app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        task = celery_app.tasks[entry["task"]]
        inspect.signature(task.run).bind(*entry.get("args", ()))
        assert 0 < entry["options"]["expires"] <= 7 * 24 * 3600


def test_the_app_uses_the_schedule(celery_app):
    assert celery_app.conf.beat_schedule == BEAT_SCHEDULE


def test_settings_make_tasks_hard_to_lose():
    settings = celery_settings(BASE)
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_cancel_long_running_tasks_on_connection_loss"]
    assert settings["broker_connection_retry_on_startup"]
    assert (settings["task_time_limit"], settings["task_soft_time_limit"]) == (300, 240)
    assert settings["worker_prefetch_multiplier"] == 1
    assert settings["worker_max_tasks_per_child"] == 1000
    assert settings["task_serializer"] == settings["result_serializer"] == "json"
    assert settings["timezone"] == "UTC" and settings["enable_utc"]
    visibility = settings["broker_transport_options"]["visibility_timeout"]
    assert visibility >= 10 * settings["task_time_limit"]


def test_overrides_are_merged_last_and_the_embedded_broker_gets_no_redis_options():
    embedded = {"CELERY_BROKER_URL": "sqla+sqlite:///b.db", "CELERY_RESULT_BACKEND": "db+x"}
    assert "broker_transport_options" not in celery_settings(embedded)
    tuned = celery_settings(BASE | {"CELERY_OVERRIDES": {"task_time_limit": 5}})
    assert tuned["task_time_limit"] == 5


@pytest.mark.parametrize(
    "name",
    [
        "app.tasks.data_processing.analyze_sensor_data",
        "app.tasks.data_processing.detect_anomalies",
        "app.tasks.data_processing.calculate_session_metrics",
        "app.tasks.data_processing.generate_statistics",
        "app.tasks.data_processing.analyze_session",
        "app.tasks.file_cleanup.cleanup_old_sensor_data",
        "app.tasks.uploads.import_upload",
        "app.tasks.samples.compact_session",
        "app.tasks.samples.sweep_compaction",
    ],
)
def test_database_tasks_retry_transient_errors_with_a_cap(celery_app, name):
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[name]
    assert OperationalError in task.autoretry_for
    assert task.retry_backoff and task.max_retries == 4
