"""The application factory: configuration, extensions, blueprints, error handlers, commands."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.analyses.routes import bp as analyses_bp
from app.app_protocol import bp as app_protocol_bp
from app.audio.routes import bp as audio_bp
from app.auth.jwt_callbacks import register_jwt_callbacks
from app.auth.routes import bp as auth_bp
from app.cli import register_commands as register_cli_commands
from app.dashboard import bp as dashboard_bp
from app.database import configure_engine
from app.extensions import db, jwt, migrate
from app.housekeeping.compaction import report_backlog
from app.observability.logging_setup import configure_logging
from app.observability.metrics import init_metrics, refresh_before_scrape
from app.observability.request_id import init_request_id
from app.secret_keys import resolve_secret_keys
from app.sessions.exports.routes import bp as exports_bp
from app.sessions.routes import bp as sessions_bp
from app.sync.routes import bp as sync_bp
from app.uploads.routes import bp as uploads_bp
from app.web import health
from app.web.docs import bp as docs_bp
from app.web.error_handlers import register_error_handlers as register_json_errors
from app.web.json_codec import OrjsonProvider
from app.web.protection import init_protection
from app.worker.celery_setup import celery_init_app
from config import Config, config_for

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: type[Config] | str | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the app from a config class (or its name, or `APP_ENV`) plus overrides."""
    # Named after the package, as before the factory moved: the logger and Celery use the name.
    app = Flask("app", instance_path=str(ROOT / "instance"))
    app.config.from_object(config if isinstance(config, type) else config_for(config))
    app.config.update(overrides or {})
    resolve_secret_keys(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging(app.config["LOG_LEVEL"], json_logs=app.config["JSON_LOGS"])

    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_observability(app: Flask) -> None:
    init_request_id(app)
    init_metrics(app)
    refresh_before_scrape(app, report_backlog)


def register_extensions(app: Flask) -> None:
    app.json = OrjsonProvider(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    jwt.init_app(app)
    register_jwt_callbacks(jwt)
    with app.app_context():
        configure_engine(db.engine)
    celery_init_app(app)
    init_protection(app)


def register_blueprints(app: Flask) -> None:
    blueprints = (health.bp, auth_bp, sync_bp, analyses_bp, uploads_bp, docs_bp)
    for blueprint in (
        *blueprints,
        sessions_bp,
        audio_bp,
        exports_bp,
        dashboard_bp,
        app_protocol_bp,
    ):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    register_json_errors(app)


def register_commands(app: Flask) -> None:
    register_cli_commands(app)
