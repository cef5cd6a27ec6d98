"""/api/app/auth: the calls of `src/api/auth.ts` and `authInterceptor.ts`."""

from __future__ import annotations

from flask_jwt_extended import current_user, jwt_required

from app.app_protocol import accounts
from app.app_protocol.blueprint import BODY_ERRORS, app_operation, bearer_token, bp
from app.app_protocol.envelope import ok
from app.app_protocol.out_models import AppAuthOut, AppMeOut, LogoutOut, RefreshOut
from app.app_protocol.schemas import AppLoginIn, AppRegisterIn, LogoutIn, RefreshIn
from app.auth import tokens
from app.auth.limits import registration_limits, remember_sign_in, sign_in_limits
from app.extensions import limiter
from app.validation import parse_model
from app.web.protection import configured
from app.web.request_body import read_json_body


@bp.post("/auth/register")
@app_operation(
    "Create an account (the app's register)",
    auth=False,
    description="The username is derived from the e-mail address (unique; shown as "
    "`data.user.username`) and signs in to /api and the dashboard too. 409 when the e-mail "
    "is registered already.",
    body=AppRegisterIn,
    body_example={"name": "Alice", "email": "alice@example.com", "password": "password123"},
    responses={201: AppAuthOut},
    errors=(*BODY_ERRORS, 409),
)
@registration_limits
def register():
    user = accounts.register(parse_model(AppRegisterIn, read_json_body()))
    remember_sign_in(user)
    return ok(accounts.auth_json(user, tokens.issue(user)), 201)


@bp.post("/auth/login")
@app_operation(
    "Sign in with e-mail and password (the app's login)",
    auth=False,
    description="The same limits as /api/auth/login (429 with Retry-After).",
    body=AppLoginIn,
    body_example={"email": "alice@example.com", "password": "password123"},
    responses={200: AppAuthOut},
    errors=(*BODY_ERRORS, 401, 403),
)
@sign_in_limits()
def login():
    user = accounts.authenticate(parse_model(AppLoginIn, read_json_body()))
    remember_sign_in(user)
    return ok(accounts.auth_json(user, tokens.issue(user)))


@bp.post("/auth/refresh")
@app_operation(
    "Exchange the refresh token (in the body) for a new pair",
    auth=False,
    description="Rotation as /api/auth/refresh: the presented pair is revoked; a refresh "
    "token presented again ends its whole sign-in (401). The pair is at the top level (what "
    "the app reads) and under `data`.",
    body=RefreshIn,
    body_example={"refreshToken": "<refresh token>"},
    responses={200: RefreshOut},
    errors=(*BODY_ERRORS, 401),
)
@limiter.limit(configured("REFRESH_RATE_LIMIT"))
def refresh():
    pair = accounts.token_json(
        accounts.refresh(parse_model(RefreshIn, read_json_body()).refreshToken)
    )
    return ok(pair, **pair)


@bp.post("/auth/logout")
@app_operation(
    "Sign out: revoke the sign-in of the bearer token and/or the body's refreshToken",
    auth=False,
    description="Without any token (the app forgets its tokens before calling) the answer is "
    "200 as well: there is nothing left to revoke.",
    body=LogoutIn,
    body_required=False,
    responses={200: LogoutOut},
    errors=(*BODY_ERRORS, 401),
)
def logout():
    body = parse_model(LogoutIn, read_json_body(required=False))
    ended = accounts.logout(bearer_token(), body.refreshToken)
    message = "Signed out" if ended else "No token was sent; nothing to revoke"
    return ok(message=message)


@bp.get("/auth/me")
@app_operation("The signed-in user", responses={200: AppMeOut}, errors=(429, 503))
@jwt_required()
def me():
    return ok(accounts.user_json(current_user))
