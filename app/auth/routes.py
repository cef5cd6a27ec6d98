"""/api/auth: register, login, me, refresh (rotating), logout (revoking the sign-in)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_jwt_extended import current_user, get_jwt, jwt_required

from app.auth import service, tokens
from app.auth.limits import registration_limits, remember_sign_in, sign_in_limits
from app.auth.schemas import AuthOut, LoginIn, MeOut, MessageOut, RegisterIn, TokensOut
from app.extensions import limiter
from app.validation import parse_model
from app.web.openapi import operation
from app.web.protection import configured
from app.web.request_body import read_json_body
from app.web.schemas import ErrorOut

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


@bp.post("/register")
@operation(
    "Create an account",
    tags=["auth"],
    auth=False,
    description=(
        "409 names the field that is taken. Registrations and 409 answers are rate-limited "
        "per client address (429 with Retry-After)."
    ),
    body=RegisterIn,
    body_example={
        "username": "alice",
        "email": "alice@example.com",
        "password": "password123",
        "device_id": "pixel-8",
    },
    responses={
        201: AuthOut,
        400: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
)
@registration_limits
def register():
    user = service.register(parse_model(RegisterIn, read_json_body()))
    remember_sign_in(user)
    body = {"message": "User registered successfully", "user": service.user_json(user)}
    return jsonify(body | tokens.issue(user)), 201


@bp.post("/login")
@operation(
    "Sign in with username or email",
    tags=["auth"],
    auth=False,
    description=(
        "Attempts are limited per client address; failed ones (401) per username and address, "
        "per address, and per username except from addresses the account signed in from "
        "lately (429 with Retry-After). Each sign-in starts a token family: see /refresh."
    ),
    body=LoginIn,
    body_example={"username": "alice", "password": "password123"},
    responses={
        200: AuthOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        429: ErrorOut,
    },
)
@sign_in_limits()
def login():
    user = service.authenticate(parse_model(LoginIn, read_json_body()))
    remember_sign_in(user)
    body = {"message": "Login successful", "user": service.user_json(user)}
    return jsonify(body | tokens.issue(user))


@bp.get("/me")
@operation("The signed-in user", tags=["auth"], responses={200: MeOut})
@jwt_required()
def me():
    return jsonify({"user": service.user_json(current_user)})


@bp.post("/refresh")
@operation(
    "Exchange the refresh token (as bearer) for a new token pair",
    tags=["auth"],
    description=(
        "Rotation: the presented refresh token and its access token are revoked and a new pair "
        "of the same sign-in is returned. A refresh token presented again after it was revoked "
        "is treated as stolen: every token of its sign-in is revoked (401), and the user signs "
        "in again. Clients must send one refresh at a time and keep the pair it returns."
    ),
    responses={200: TokensOut, 429: ErrorOut},
)
@limiter.limit(configured("REFRESH_RATE_LIMIT"))
@jwt_required(refresh=True)
def refresh():
    return jsonify(tokens.rotate(get_jwt(), current_user))


@bp.post("/logout")
@operation(
    "Sign out: revoke every token of the presented token's sign-in (access or refresh)",
    tags=["auth"],
    responses={200: MessageOut},
)
@jwt_required(verify_type=False)
def logout():
    tokens.sign_out(get_jwt())
    return jsonify({"message": "Logged out; every token of this sign-in is revoked"})
