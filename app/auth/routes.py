"""/api/auth: register, login, me, refresh (rotating), logout (revoking)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_jwt_extended import current_user, get_jwt, jwt_required

from app.api.json_body import read_json_body
from app.api.openapi import operation
from app.api.schemas import ErrorOut
from app.api.validation import parse_model
from app.auth import service
from app.auth.schemas import AuthOut, LoginIn, MeOut, MessageOut, RegisterIn, TokensOut
from app.extensions import limiter
from app.protection import configured, login_failed, login_username

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


@bp.post("/register")
@operation(
    "Create an account",
    tags=["auth"],
    auth=False,
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
@limiter.limit(configured("REGISTER_RATE_LIMIT"))
def register():
    user = service.register(parse_model(RegisterIn, read_json_body()))
    body = {"message": "User registered successfully", "user": service.user_json(user)}
    return jsonify(body | service.issue_tokens(user)), 201


@bp.post("/login")
@operation(
    "Sign in with username or email",
    tags=["auth"],
    auth=False,
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
@limiter.limit(configured("LOGIN_RATE_LIMIT"))
@limiter.limit(
    configured("LOGIN_FAILURE_RATE_LIMIT"), key_func=login_username, deduct_when=login_failed
)
def login():
    user = service.authenticate(parse_model(LoginIn, read_json_body()))
    body = {"message": "Login successful", "user": service.user_json(user)}
    return jsonify(body | service.issue_tokens(user))


@bp.get("/me")
@operation("The signed-in user", tags=["auth"], responses={200: MeOut})
@jwt_required()
def me():
    return jsonify({"user": service.user_json(current_user)})


@bp.post("/refresh")
@operation(
    "Exchange the refresh token (as bearer) for a new token pair",
    tags=["auth"],
    responses={200: TokensOut, 429: ErrorOut},
)
@limiter.limit(configured("REFRESH_RATE_LIMIT"))
@jwt_required(refresh=True)
def refresh():
    """Rotate: the presented refresh token is revoked and a new pair is returned."""
    user = current_user
    service.revoke_token(get_jwt(), with_pair=False)
    return jsonify(service.issue_tokens(user))


@bp.post("/logout")
@operation(
    "Revoke the presented token (access or refresh) and its partner",
    tags=["auth"],
    responses={200: MessageOut},
)
@jwt_required(verify_type=False)
def logout():
    """Accepts the access or the refresh token; both tokens of the pair are revoked."""
    service.revoke_token(get_jwt(), with_pair=True)
    return jsonify({"message": "Logged out; both tokens of this pair are revoked"})
