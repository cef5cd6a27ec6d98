"""Who is calling: the user id carried by the request's verified access token."""

from __future__ import annotations

from flask_jwt_extended import get_jwt_identity


def current_user_id() -> int:
    """The caller's user id. Tokens carry it as text (PyJWT requires a string `sub`)."""
    return int(get_jwt_identity())
