"""Every error leaves as JSON `{"error", "details"}` — never HTML, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.errors import ApiError, TooManyRequests
from app.extensions import db

log = logging.getLogger(__name__)


def error_response(status: int, message: str, details=None) -> tuple[Response, int]:
    body = {"error": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        log.debug("rollback after error failed", exc_info=True)


def _discard_session() -> None:
    """Drop the request's session. With the database gone mid-request even the rollback inside
    `remove()` fails; that must not turn a 503 into a 500 or escape the request's teardown."""
    try:
        db.session.remove()
    except Exception:
        log.debug("discarding the session after a database error failed", exc_info=True)
        db.session.registry.clear()


def register_error_handlers(app: Flask) -> None:
    @app.teardown_appcontext
    def release_session(_error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier), which then finds
        # nothing left to roll back.
        _discard_session()

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        _rollback()
        response, status = error_response(error.status_code, error.message, error.details)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response, status

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        _rollback()
        response, status = error_response(error.code or 500, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response, status

    @app.errorhandler(OperationalError)
    def handle_database_down(error: OperationalError):
        # Connection-level failures: the pool's pre-ping reconnects once the database is back.
        log.warning("database unavailable: %s", error.orig)
        _discard_session()  # closing the session rolls it back
        return error_response(503, "Database unavailable, retry later")

    @app.errorhandler(DBAPIError)
    def handle_database_error(error: DBAPIError):
        if error.connection_invalidated:
            return handle_database_down(error)
        log.exception("database error")
        _rollback()
        return error_response(500, "Internal server error")

    @app.errorhandler(ValueError)
    def handle_value_error(error: ValueError):
        # psycopg2 refuses text holding U+0000 before sending it; fields without their own
        # validation (e.g. a login name) must answer 400 for it: bad input never costs a 500.
        if "NUL (0x00)" in str(error):
            _rollback()
            return error_response(400, "Text must not contain NUL (U+0000) characters")
        return handle_unexpected(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        _rollback()
        return error_response(500, "Internal server error")
