"""The /api/app blueprint and how its operations are described in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, request
from flask_jwt_extended import get_jwt_identity

from app.app_protocol.envelope import AppErrorOut
from app.app_protocol.errors import init_errors
from app.web.openapi import operation

bp = Blueprint("app_protocol", __name__, url_prefix="/api/app")
bp.record_once(lambda state: init_errors(state.app))

# Errors most JSON operations can answer besides their own (body, size, media type, limits,
# database).
BODY_ERRORS = (400, 413, 415, 429, 503)


def app_operation(
    summary: str,
    *,
    responses: dict[int, Any],
    errors: tuple[int, ...] = BODY_ERRORS,
    auth: bool = True,
    **details: Any,
) -> Callable:
    """`@operation` with the app's tag and its error shape for every error status."""
    codes = {code: AppErrorOut for code in (*errors, 500)}
    if auth:
        codes[401] = AppErrorOut
    return operation(summary, tags=["app"], responses=codes | responses, auth=auth, **details)


def user_id() -> int:
    return int(get_jwt_identity())


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None
