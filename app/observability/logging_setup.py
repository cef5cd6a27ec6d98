"""Structured JSON logs (one object per line) with the request id, for app and worker."""

from __future__ import annotations

import logging
import sys

from celery import signals
from pythonjsonlogger.json import JsonFormatter

from app.observability.request_id import RequestIdFilter
from config import env_bool

_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    """Replace the root handlers with one stderr handler (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter(_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_koodtx", False)]:
        root.removeHandler(old)
    handler._koodtx = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # import-time noise


@signals.setup_logging.connect
def _celery_logging(loglevel=None, **_kwargs) -> None:
    """Workers and Beat log like the web app (JSON with request ids) instead of Celery's format."""
    configure_logging(loglevel or "INFO", json_logs=env_bool("JSON_LOGS", True))
