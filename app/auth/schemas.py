"""Request models of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Username = Annotated[
    str, StringConstraints(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$", strict=True)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128, strict=True)]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# Well-formed addresses that email-validator refuses: at most 254 characters (RFC 5321), and
# no special-use domain such as `.test` or `.local` (the document says so with `not`).
_SPECIAL_USE = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
Email = Annotated[
    EmailStr,
    StringConstraints(max_length=254),
    Field(json_schema_extra={"not": {"pattern": f"[.@]({_SPECIAL_USE})$"}}),
]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Username
    email: Email
    password: Password
    device_id: Annotated[str, StringConstraints(max_length=255, strict=True)] | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Annotated[str, StringConstraints(min_length=1, max_length=255, strict=True)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    device_id: str | None
    is_active: bool
    created_at: datetime


class MeOut(BaseModel):
    user: UserOut


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str


class AuthOut(TokensOut):
    message: str
    user: UserOut


class MessageOut(BaseModel):
    message: str
