"""GET /health: database (503 when down), broker and Redis (degraded when down)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

import redis
from flask import Blueprint, current_app, jsonify
from kombu import Connection
from pydantic import BaseModel
from sqlalchemy import text

from app.clock import utcnow
from app.extensions import db
from app.web.openapi import operation

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:
        log.warning("health: database unreachable", exc_info=True)
        db.session.rollback()
        db.session.remove()
        return False


def broker_ok(url: str) -> bool:
    """Whether the Celery broker accepts a connection within a second."""
    try:
        if url.startswith(("redis://", "rediss://")):
            return bool(
                redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
            )
        with Connection(url, connect_timeout=1) as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
        return True
    except Exception:
        log.warning("health: broker unreachable", exc_info=True)
        return False


class HealthOut(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    database: Literal["ok", "unavailable"]
    broker: Literal["ok", "unavailable"]
    redis: Literal["ok", "unavailable"] | None = None
    database_backend: str
    timestamp: datetime


@bp.get("/health")
@operation(
    "Liveness and dependencies: 503 when the database is down, degraded without the broker",
    tags=["operations"],
    auth=False,
    responses={200: HealthOut, 503: HealthOut},
)
def health():
    database = _database_ok()
    broker = broker_ok(current_app.config["CELERY_BROKER_URL"])
    checks = {
        "database": "ok" if database else "unavailable",
        "broker": "ok" if broker else "unavailable",
    }
    redis_url = current_app.config["REDIS_URL"]
    if redis_url and redis_url != current_app.config["CELERY_BROKER_URL"]:
        checks["redis"] = "ok" if broker_ok(redis_url) else "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    body = {
        "status": "healthy" if healthy else ("unhealthy" if not database else "degraded"),
        **checks,
        "database_backend": db.engine.dialect.name,
        "timestamp": utcnow(),
    }
    return jsonify(body), 200 if database else 503
