"""Dashboard sign-in: the API's accounts and tokens, carried in cookies instead of headers."""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_jwt_extended import (
    get_jwt,
    set_access_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt import PyJWTError

from app.auth import service, tokens
from app.auth.limits import remember_sign_in, sign_in_limits
from app.auth.schemas import LoginIn
from app.dashboard import bp
from app.errors import ApiError
from app.validation import parse_model

LOGIN_CSRF_COOKIE = "koodtx_login_csrf"


def signed_in(view):
    """Run the view for a valid access cookie; otherwise send the browser to the sign-in page.

    State-changing requests must also carry the cookie's CSRF value (checked by
    flask-jwt-extended): a missing or wrong one is a 400, never a silent sign-out.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            verify_jwt_in_request(locations=["cookies"])
        except CSRFError:
            abort(400, "This form has expired; reload the page and try again")
        except (JWTExtendedException, PyJWTError):
            return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
        g.csrf_token = get_jwt().get("csrf", "")
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never an open redirect to another site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard"):
        return url_for("dashboard.sessions")
    return target


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limits(methods=["POST"])
def login():
    """The sign-in form; a login CSRF cookie stops other sites from signing a user in."""
    if request.method == "POST":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        sent = request.form.get("login_csrf", "")
        if not expected or not secrets.compare_digest(expected, sent):
            return _render_login(400, "The sign-in form expired; please try again")
        try:
            user = service.authenticate(parse_model(LoginIn, request.form.to_dict()))
        except ApiError as error:
            status = 401 if error.status_code == 400 else error.status_code
            return _render_login(status, error.message)
        remember_sign_in(user)
        response = redirect(_safe_next(request.form.get("next")))
        set_access_cookies(response, tokens.issue(user)["access_token"])
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=url_for("dashboard.login"))
        return response
    return _render_login()


def _render_login(status: int = 200, message: str | None = None):
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = make_response(
        render_template(
            "dashboard/login.html",
            login_csrf=token,
            message=message,
            username=request.form.get("username", ""),
            next=request.values.get("next", ""),
        ),
        status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        path=url_for("dashboard.login"),
    )
    return response


@bp.post("/logout")
@signed_in
def logout():
    """Revoke every token of this sign-in and drop the cookies."""
    tokens.sign_out(get_jwt())
    response = redirect(url_for("dashboard.login"))
    unset_jwt_cookies(response)
    flash("Signed out.")
    return response
