"""Rate limits, proxy headers, CORS and security headers.

Every limit is a configuration value read from the environment (see config.py), so operators
and load tests can raise them or switch them off with `RATELIMIT_ENABLED=false`. The sign-in
and registration limits and their keys are in app/auth/limits.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress

from flask import Flask, current_app, request
from flask_cors import CORS
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import db, limiter

_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'"
)


def configured(name: str):
    """A limit string read from the app's config at request time."""
    return lambda: current_app.config[name]


def user_or_ip() -> str:
    """Rate-limit key: the signed-in user, or the client address without a valid token."""
    try:
        verify_jwt_in_request(optional=True)
        identity = get_jwt_identity()
    except Exception:  # an invalid token is answered by the view itself (401)
        identity = None
        # ... and so is a database that failed under the user lookup (503): a session left
        # in the failed transaction would make the view's own lookup a 500 instead.
        with suppress(Exception):
            db.session.rollback()
    return f"user:{identity}" if identity else f"ip:{get_remote_address()}"


def limits_counted_per_process(config: Mapping) -> bool:
    """Flask-Limiter's memory:// storage lives in each process: N web workers would allow up
    to N times every limit (each counts only the requests it served)."""
    return bool(config["RATELIMIT_ENABLED"]) and str(config["RATELIMIT_STORAGE_URI"]).startswith(
        "memory://"
    )


def check_limit_storage(config: Mapping, workers: int) -> str | None:
    """A warning when `workers` web processes would multiply the rate limits, None when they
    would not; in production that is no warning but a RuntimeError (refuse to start).

    Called by gunicorn_config.py, which knows the worker count, with the app's configuration.
    """
    if workers <= 1 or not limits_counted_per_process(config):
        return None
    message = (
        f"{workers} gunicorn workers would each count the rate limits on their own "
        f"(RATELIMIT_STORAGE_URI={config['RATELIMIT_STORAGE_URI']}), allowing up to {workers} "
        "times every limit: set RATELIMIT_STORAGE_URI (or REDIS_URL) to a Redis URL, or run "
        "one worker (GUNICORN_WORKERS=1; GUNICORN_THREADS for concurrency)"
    )
    if config.get("APP_ENV") == "production":
        raise RuntimeError(f"Refusing to start in production: {message}")
    return message


def init_protection(app: Flask) -> None:
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    limiter.init_app(app)
    origins = [o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        CORS(
            app, origins=origins, expose_headers=["X-Request-ID", "Retry-After", "X-Omitted-Fields"]
        )

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        is_page = response.mimetype == "text/html"
        headers.setdefault("Content-Security-Policy", _PAGE_CSP if is_page else _API_CSP)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
