"""Registering and signing in (tokens: app/auth/tokens.py)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.auth.schemas import LoginIn, RegisterIn, UserOut
from app.database import begin_write_transaction
from app.errors import AuthenticationFailed, Conflict, Forbidden
from app.extensions import db
from app.models import User
from app.validation import response_fields

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LOGIN_FAILED = "Invalid username or password"


def user_json(user: User) -> dict:
    """A user as the API shows it: the fields `UserOut` documents."""
    return response_fields(UserOut, user)


def register(data: RegisterIn, display_name: str | None = None) -> User:
    email = data.email.lower()
    begin_write_transaction()
    taken = db.session.scalars(
        select(User).where(or_(User.username == data.username, User.email == email))
    ).all()
    if taken:
        field = "username" if any(u.username == data.username for u in taken) else "email"
        raise Conflict(f"That {field} is already registered", {"field": field})
    user = User(
        username=data.username,
        email=email,
        password_hash=_hasher.hash(data.password),
        device_id=data.device_id,
        display_name=display_name,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # registered concurrently by someone else
        db.session.rollback()
        raise Conflict("That username or email is already registered") from None
    return user


def authenticate(data: LoginIn) -> User:
    login = data.username
    user = db.session.scalar(
        select(User).where(or_(User.username == login, User.email == login.lower()))
    )
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, data.password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed(LOGIN_FAILED) from None
    if user is None:
        raise AuthenticationFailed(LOGIN_FAILED)
    if not user.is_active:
        raise Forbidden("This account is disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        begin_write_transaction()
        user.password_hash = _hasher.hash(data.password)
        db.session.commit()
    return user
