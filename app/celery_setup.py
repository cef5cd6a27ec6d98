"""Celery bound to Flask the documented way: every task runs inside the app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_settings(config: dict) -> dict:
    broker = config["CELERY_BROKER_URL"]
    settings = {
        "broker_url": broker,
        "result_backend": config["CELERY_RESULT_BACKEND"],
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "task_time_limit": 300,
        "task_soft_time_limit": 240,
        "worker_prefetch_multiplier": 1,
        "worker_max_tasks_per_child": 1000,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "broker_connection_retry_on_startup": True,
        "result_extended": True,
        "task_track_started": True,
        "include": ["app.tasks.maintenance"],
    }
    if broker.startswith(("redis://", "rediss://")):
        # Unacknowledged tasks come back after this long; well above the 300 s hard limit.
        settings["broker_transport_options"] = {"visibility_timeout": 3600}
    settings.update(config.get("CELERY_OVERRIDES", {}))
    return settings


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_settings(app.config))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
