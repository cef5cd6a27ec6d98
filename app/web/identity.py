"""Who is calling: the user id of the request's verified JWT."""

from __future__ import annotations

from flask_jwt_extended import get_jwt_identity


def current_user_id() -> int:
    """The caller's user id; only inside a view guarded by `jwt_required` (the token's `sub`
    is the id as a string, as PyJWT requires)."""
    return int(get_jwt_identity())
