"""KooDTX sync server: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.observability.logging_setup import configure_logging
from app.secret_keys import resolve_secret_keys
from config import Config, config_for


def create_app(
    config: type[Config] | str | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the app from a config class (or its name, or `APP_ENV`) plus overrides."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
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
    from app.observability.metrics import init_metrics
    from app.observability.request_id import init_request_id

    init_request_id(app)
    init_metrics(app)


def register_extensions(app: Flask) -> None:
    from app.api.json_provider import OrjsonProvider
    from app.auth.jwt_callbacks import register_jwt_callbacks
    from app.celery_setup import celery_init_app
    from app.database import configure_engine
    from app.extensions import db, jwt, migrate
    from app.protection import init_protection

    app.json = OrjsonProvider(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    jwt.init_app(app)
    register_jwt_callbacks(jwt)
    with app.app_context():
        configure_engine(db.engine)
    celery_init_app(app)
    init_protection(app)


def register_blueprints(app: Flask) -> None:
    from app import health
    from app.analyses.routes import bp as analyses_bp  # issue #3: analyses, tasks, stats
    from app.api.docs import bp as docs_bp
    from app.app_protocol import bp as app_protocol_bp  # the KooDTX app's own protocol
    from app.audio.routes import bp as audio_bp
    from app.auth.routes import bp as auth_bp
    from app.dashboard import bp as dashboard_bp  # issue #5: web dashboard
    from app.exports.routes import bp as exports_bp  # issue #5: exports
    from app.sessions.routes import bp as sessions_bp  # issue #5: sessions API
    from app.sync.routes import bp as sync_bp
    from app.uploads.routes import bp as uploads_bp  # issue #3: file uploads

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
    from app.error_handlers import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_cli
    from app.cli_data import register_data_commands

    register_cli(app)
    register_data_commands(app)
