"""Celery bound to Flask the documented way: every task runs inside the app context.

The settings make tasks hard to lose: a task is acknowledged only after it finished
(`task_acks_late`), goes back to the queue when its worker process dies
(`task_reject_on_worker_lost`), and on Redis comes back after `visibility_timeout` when the
whole worker vanished. That means a task may run more than once, so every task is idempotent
and the data-heavy ones give up after `MAX_TASK_DELIVERIES` deliveries (see app/worker/policy.py).
"""

from __future__ import annotations

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask

from app.worker.schedule import BEAT_SCHEDULE

TASK_MODULES = [
    "app.tasks.maintenance",
    "app.tasks.data_processing",
    "app.tasks.file_cleanup",
    "app.tasks.uploads",
    "app.tasks.audio_files",
    "app.tasks.samples",
]


def is_redis_url(url: str) -> bool:
    """Redis-only settings (visibility timeout, events) apply to these brokers."""
    return url.startswith(("redis://", "rediss://"))


def celery_settings(config: dict) -> dict:
    """Celery settings from the Flask config; `CELERY_OVERRIDES` is merged last."""
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
        # Publishing from a request must fail fast when the broker is down.
        "broker_connection_timeout": 1.0,
        "result_extended": True,
        "task_track_started": True,
        "include": TASK_MODULES,
        "beat_schedule": BEAT_SCHEDULE,
    }
    if is_redis_url(broker):
        # Unacknowledged tasks come back after this long; well above the 300 s hard limit
        # and the longest countdown we use.
        settings["broker_transport_options"] = {"visibility_timeout": 3600}
        # Task events for Flower (the SQLAlchemy transport cannot broadcast them).
        settings["worker_send_task_events"] = True
        settings["task_send_sent_event"] = True
    settings.update(config.get("CELERY_OVERRIDES") or {})
    return settings


def celery_init_app(app: Flask) -> Celery:
    """The Celery app of `app`: tasks run in its app context (`FlaskTask`)."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_settings(app.config))
    celery.set_default()
    celery.flask_app = app  # for signal handlers, which run outside the app context
    app.extensions["celery"] = celery

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs) -> None:
        # A forked pool process must not reuse database sockets opened by its parent.
        from app.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)

    return celery
