"""Request models of the auth endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

Username = Annotated[
    str, StringConstraints(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$", strict=True)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128, strict=True)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Username
    email: Annotated[EmailStr, StringConstraints(max_length=255)]
    password: Password
    device_id: Annotated[str, StringConstraints(max_length=255, strict=True)] | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Annotated[str, StringConstraints(min_length=1, max_length=255, strict=True)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]
