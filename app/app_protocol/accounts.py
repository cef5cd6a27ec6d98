"""Accounts for the app: register with a name, sign in with an e-mail, refresh by body.

Same users, passwords, token families, rotation and revocation as /api (app/auth): the app's
calls are translated and handed to those services.
"""

from __future__ import annotations

import re

from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, InvalidTokenError
from sqlalchemy import select

from app.app_protocol import schemas
from app.auth import service, tokens
from app.auth.schemas import LoginIn as ApiLoginIn
from app.auth.schemas import RegisterIn as ApiRegisterIn
from app.errors import AuthenticationFailed, Conflict
from app.extensions import db
from app.models import User

_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_.\-]+")
_MAX_BASE = 70  # leaves room for a "-NNNN" suffix within the 80 characters of a username
_ATTEMPTS = 5


def user_json(user: User) -> dict:
    """The app reads `{id: string, email, name}`; `username` signs in to /api and the
    dashboard."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.display_name or user.username,
        "username": user.username,
    }


def auth_json(user: User, pair: dict[str, str]) -> dict:
    return {"user": user_json(user)} | token_json(pair)


def token_json(pair: dict[str, str]) -> dict:
    return {"accessToken": pair["access_token"], "refreshToken": pair["refresh_token"]}


def username_base(email: str) -> str:
    """The e-mail's local part reduced to username characters, 3 to 70 of them."""
    base = _NOT_USERNAME.sub("", email.split("@", 1)[0])[:_MAX_BASE].strip(".-")
    return base if len(base) >= 3 else f"{base}user"[:_MAX_BASE]


def free_username(base: str) -> str:
    """`base`, or `base-2`, `base-3`, … — the first one nobody holds."""
    taken = set(
        db.session.scalars(
            select(User.username).where(User.username.startswith(base, autoescape=True))
        )
    )
    db.session.rollback()
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def register(data: schemas.AppRegisterIn) -> User:
    """A new account; its username is derived from the e-mail (shown in the answer)."""
    base = username_base(data.email)
    for _ in range(_ATTEMPTS):
        request = ApiRegisterIn(
            username=free_username(base), email=data.email, password=data.password
        )
        try:
            return service.register(request, display_name=data.name)
        except Conflict as conflict:
            # Someone took the derived username meanwhile: derive again. A taken e-mail is
            # the caller's to fix.
            if (conflict.details or {}).get("field") != "username":
                raise Conflict(
                    "This e-mail address is already registered: sign in instead.",
                    {"field": "email"},
                ) from None
    raise Conflict("Could not find a free username; try again.", {"field": "username"})


def authenticate(data: schemas.AppLoginIn) -> User:
    return service.authenticate(ApiLoginIn(username=data.email, password=data.password))


def _claims(token: str, *, allow_expired: bool = False) -> dict:
    try:
        return decode_token(token, allow_expired=allow_expired)
    except ExpiredSignatureError:
        raise AuthenticationFailed(
            "Your sign-in has expired: sign in again.", {"reason": "expired"}
        ) from None
    except (InvalidTokenError, JWTExtendedException, ValueError) as error:
        raise AuthenticationFailed(
            "The token sent is not valid: sign in again.", {"reason": str(error)}
        ) from None


def refresh(token: str) -> dict[str, str]:
    """Rotate the pair of a refresh token sent in the body (as /api/auth/refresh does for a
    bearer token): the presented pair is revoked, reuse revokes the whole sign-in."""
    claims = _claims(token)
    if claims.get("type") != "refresh":
        raise AuthenticationFailed("Send the refresh token, not the access token, to refresh.")
    if tokens.is_revoked(claims):
        raise AuthenticationFailed("This sign-in has ended: sign in again.")
    try:
        user = db.session.get(User, int(claims["sub"]))
    except (TypeError, ValueError, KeyError):
        user = None
    if user is None or not user.is_active:
        raise AuthenticationFailed("This account no longer exists or is disabled.")
    return tokens.rotate(claims, user)


def logout(*presented: str | None) -> int:
    """Revoke the sign-in of each token presented (an expired one too); none is fine, since
    the app forgets its tokens before it calls. Returns how many sign-ins were ended."""
    ended = 0
    for token in filter(None, presented):
        tokens.sign_out(_claims(token, allow_expired=True))
        ended += 1
    return ended
