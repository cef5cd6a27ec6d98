"""flask-jwt-extended hooks: every token failure is a 401 JSON error; users load per request."""

from __future__ import annotations

from flask_jwt_extended import JWTManager

from app.auth import tokens
from app.extensions import db
from app.models import User
from app.web.error_handlers import error_response


def register_jwt_callbacks(jwt: JWTManager) -> None:
    @jwt.token_in_blocklist_loader
    def _is_revoked(_header, payload):
        return tokens.is_revoked(payload)

    @jwt.user_lookup_loader
    def _load_user(_header, payload):
        try:
            user = db.session.get(User, int(payload["sub"]))
        except (TypeError, ValueError):
            return None
        return user if user is not None and user.is_active else None

    @jwt.unauthorized_loader
    def _missing(reason):
        return error_response(401, "Authorization required", reason)

    @jwt.invalid_token_loader
    def _invalid(reason):
        return error_response(401, "Invalid token", reason)

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "Token has expired")

    @jwt.revoked_token_loader
    def _revoked(_header, _payload):
        return error_response(401, "Token has been revoked")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header, _payload):
        return error_response(401, "Fresh token required")

    @jwt.token_verification_failed_loader
    def _verification_failed(_header, _payload):
        return error_response(401, "Token verification failed")

    @jwt.user_lookup_error_loader
    def _unknown_user(_header, _payload):
        return error_response(401, "Account not found or disabled")
