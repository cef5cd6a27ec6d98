"""Refresh rotation revokes the old pair; reuse of a revoked refresh token revokes every token
of its sign-in (token family), however late it was issued (app/auth/tokens.py)."""

from __future__ import annotations

import uuid

import pytest
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token

from app.auth import revocation, tokens
from app.errors import AuthenticationFailed
from app.extensions import db
from app.models import User


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def works(client, pair: dict) -> tuple[bool, bool]:
    """Whether the pair's access token is accepted, and whether its refresh token would be
    (checked without presenting it, which would spend it or count as reuse)."""
    access = client.get("/api/auth/me", headers=bearer(pair["access_token"])).status_code
    with client.application.app_context():
        claims = decode_token(pair["refresh_token"], allow_expired=True)
        refresh_revoked = revocation.is_revoked(*tokens.revocation_ids(claims))
    return access == 200, not refresh_revoked


def refresh(client, pair: dict):
    return client.post("/api/auth/refresh", headers=bearer(pair["refresh_token"]))


def test_refresh_revokes_the_old_access_token(client, register):
    account = register()
    headers, first = account.headers, account.tokens
    second = refresh(client, first)
    assert second.status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert (
        client.get("/api/auth/me", headers=bearer(second.json["access_token"])).status_code == 200
    )


def test_reusing_a_rotated_refresh_token_revokes_every_token_of_the_sign_in(client, register):
    first = register("reuse", password="password123").tokens
    second = refresh(client, first).json
    third = refresh(client, second).json
    other = client.post("/api/auth/login", json={"username": "reuse", "password": "password123"})
    assert works(client, third) == (True, True)

    reused = refresh(client, first)  # a copy of the first refresh token, e.g. stolen
    assert reused.status_code == 401 and "revoked" in reused.json["error"].lower()
    assert works(client, third) == (False, False)
    assert refresh(client, third).status_code == 401
    assert works(client, other.json) == (True, True)  # another sign-in of the same user


def test_a_racing_rotation_counts_as_reuse_and_its_tokens_die_with_the_family(app, register):
    account = register()
    user, first = account.user, account.tokens
    with app.app_context():
        claims = decode_token(first["refresh_token"])
        account = db.session.get(User, user["id"])
        # Two requests with the same refresh token that both passed the revocation check:
        winner = tokens.rotate(claims, account)
        with pytest.raises(AuthenticationFailed):
            tokens.rotate(claims, account)
        # A pair of the family issued after that (a rotation still in flight) is refused too.
        late = tokens.issue(account, tokens.family_of(claims))
        for pair in (winner, late):
            for kind in ("access_token", "refresh_token"):
                claims = decode_token(pair[kind])
                assert revocation.is_revoked(*tokens.revocation_ids(claims))


def test_sign_out_revokes_every_token_of_the_sign_in(client, register):
    first = register().tokens
    second = refresh(client, first).json
    assert (
        client.post("/api/auth/logout", headers=bearer(second["refresh_token"])).status_code == 200
    )
    assert works(client, second) == (False, False)


def _legacy_pair(app, user_id: int) -> dict:
    """A pair as issued before token families existed: `jti` and `pair`, no `fam`."""
    access_jti, refresh_jti = str(uuid.uuid4()), str(uuid.uuid4())
    with app.app_context():
        return {
            "access_token": create_access_token(
                str(user_id), additional_claims={"jti": access_jti, "pair": refresh_jti}
            ),
            "refresh_token": create_refresh_token(
                str(user_id), additional_claims={"jti": refresh_jti, "pair": access_jti}
            ),
        }


def test_tokens_from_before_families_keep_working_and_join_reuse_detection(app, client, register):
    user = register().user
    legacy = _legacy_pair(app, user["id"])
    assert works(client, legacy) == (True, True)

    rotated = refresh(client, legacy)
    assert rotated.status_code == 200
    assert works(client, legacy) == (False, False)
    assert works(client, rotated.json) == (True, True)

    assert refresh(client, legacy).status_code == 401  # reuse of the pre-upgrade token
    assert works(client, rotated.json) == (False, False)


def test_dashboard_sign_out_revokes_the_sign_in(app, client, register):
    from tests.dashboard.test_dashboard_pages import csrf, sign_in

    register("dash")
    assert sign_in(client, "dash").status_code == 302
    with app.app_context():
        claims = decode_token(client.get_cookie("koodtx_access").value)
        account = db.session.scalar(db.select(User).filter_by(username="dash"))
        discarded = tokens.issue(account, tokens.family_of(claims))  # like its refresh token
    client.post("/dashboard/logout", data={"csrf_token": csrf(client)})
    assert works(client, discarded) == (False, False)
