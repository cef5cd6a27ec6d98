"""Every error under /api/app leaves in the app's shape, whatever raised it.

The domain errors, the JWT callbacks, rate limits, Werkzeug's 404/405/413 and the 500/503
handlers all answer `{"error", "details"}` (app/error_handlers.py). For paths under /api/app,
an after-request hook rewrites that body to `{"success": false, "code", "message", "details"}`
with the same status and headers: one place, so no error path can be missed — including those
raised before a view runs (routing, token checks, rate limits) or outside the blueprint.

Terse messages get a sentence the app can show the person holding the phone.
"""

from __future__ import annotations

from flask import Flask, Response, request

from app.app_protocol.envelope import error_body
from app.web.json_codec import dumps_bytes

PREFIX = "/api/app"

_SENTENCES = {
    "Authorization required": "Sign in again: this request needs a valid access token.",
    "Invalid token": "Sign in again: the token sent is not valid.",
    "Token has expired": "Your session has expired: refresh the token or sign in again.",
    "Token has been revoked": "This sign-in has ended: sign in again.",
    "Token verification failed": "Sign in again: the token could not be verified.",
    "Account not found or disabled": "This account no longer exists or is disabled.",
    "Fresh token required": "Sign in again to do this.",
    "Internal server error": "Something went wrong on the server; try again later.",
    "Database unavailable, retry later": "The server is temporarily unavailable; try again "
    "in a minute.",
}


def is_app_request() -> bool:
    path = request.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def _sentence(message: str, status: int) -> str:
    if message in _SENTENCES:
        return _SENTENCES[message]
    if status == 429 and not message.endswith("."):
        return f"Too many requests ({message}); wait a moment and try again."
    return message if message.endswith((".", "?", "!")) else message + "."


def reshape_error(response: Response) -> Response:
    """Rewrite an `{"error", "details"}` body of an /api/app request in the app's shape."""
    if response.status_code < 400 or not is_app_request() or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or "error" not in body or "success" in body:
        return response
    status = response.status_code
    message = _sentence(str(body["error"]), status)
    response.set_data(dumps_bytes(error_body(status, message, body.get("details"))))
    return response


def init_errors(app: Flask) -> None:
    app.after_request(reshape_error)
