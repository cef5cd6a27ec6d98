"""Where revocations live: Redis when configured, the database always;
token families (a reused refresh token) alike."""

import pytest
import redis

from app.auth import revocation
from app.extensions import db
from app.models import RevokedToken
from tests.conftest import REDIS_URL


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _claims(token: str, app) -> dict:
    from flask_jwt_extended import decode_token

    with app.app_context():
        return decode_token(token)


def _jti(token: str, app) -> str:
    return _claims(token, app)["jti"]


@pytest.mark.redis
def test_revoked_ids_live_in_redis_with_the_token_lifetime_as_ttl(client, register, app):
    tokens = register().tokens
    client.post("/api/auth/refresh", headers=_bearer(tokens["refresh_token"]))  # rotation
    jti = _jti(tokens["refresh_token"], app)
    store = redis.Redis.from_url(REDIS_URL)
    ttl = store.ttl(f"koodtx:revoked:{jti}")
    lifetime = app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()
    assert 0 < ttl <= lifetime + 1


@pytest.mark.redis
def test_revocation_survives_a_redis_that_lost_its_keys(client, register):
    headers = register().headers
    client.post("/api/auth/logout", headers=headers)
    redis.Redis.from_url(REDIS_URL).flushdb()  # as after a Redis restart without persistence
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_revocation_is_checked_in_the_database_when_redis_is_unreachable(client, register, app):
    headers = register().headers
    client.post("/api/auth/logout", headers=headers)
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        assert client.get("/api/auth/me", headers=headers).status_code == 401
        fresh = register().headers
        assert client.get("/api/auth/me", headers=fresh).status_code == 200
    finally:
        app.config["REDIS_URL"] = saved


def test_purge_expired_drops_only_expired_revocations(app):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with app.app_context():
        db.session.add_all(
            [
                RevokedToken(jti="old", expires_at=now - timedelta(minutes=1)),
                RevokedToken(jti="live", expires_at=now + timedelta(minutes=5)),
            ]
        )
        db.session.commit()
        assert revocation.purge_expired() == 1
        assert [t.jti for t in db.session.scalars(db.select(RevokedToken))] == ["live"]


def _reuse_a_rotated_refresh_token(client, tokens) -> dict:
    """Rotate once, then present the first refresh token again; returns the rotated pair."""
    rotated = client.post("/api/auth/refresh", headers=_bearer(tokens["refresh_token"])).json
    assert (
        client.post("/api/auth/refresh", headers=_bearer(tokens["refresh_token"])).status_code
        == 401
    )
    return rotated


@pytest.mark.redis
def test_a_revoked_family_lives_in_redis_and_survives_a_redis_that_lost_its_keys(
    client, register, app
):
    tokens = register().tokens
    rotated = _reuse_a_rotated_refresh_token(client, tokens)
    family = _claims(rotated["access_token"], app)["fam"]
    ttl = redis.Redis.from_url(REDIS_URL).ttl(f"koodtx:revoked:family:{family}")
    lifetime = app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds()
    assert lifetime < ttl <= lifetime + 10 * 60
    redis.Redis.from_url(REDIS_URL).flushdb()
    assert client.get("/api/auth/me", headers=_bearer(rotated["access_token"])).status_code == 401


def test_a_family_revoked_while_redis_is_unreachable_stays_revoked(client, register, app):
    tokens = register().tokens
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        rotated = _reuse_a_rotated_refresh_token(client, tokens)
        assert (
            client.get("/api/auth/me", headers=_bearer(rotated["access_token"])).status_code == 401
        )
    finally:
        app.config["REDIS_URL"] = saved
    # Redis is back (empty of this revocation): it is primed from the database.
    assert client.get("/api/auth/me", headers=_bearer(rotated["access_token"])).status_code == 401
    refresh = client.post("/api/auth/refresh", headers=_bearer(rotated["refresh_token"]))
    assert refresh.status_code == 401
