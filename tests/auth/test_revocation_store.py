"""Where revocations live: Redis when configured, the database always (issue #2 item 4)."""

import pytest
import redis

from app.auth import revocation
from app.extensions import db
from app.models import RevokedToken
from tests.conftest import REDIS_URL


def _jti(token: str, app) -> str:
    from flask_jwt_extended import decode_token

    with app.app_context():
        return decode_token(token)["jti"]


@pytest.mark.redis
def test_revoked_ids_live_in_redis_with_the_token_lifetime_as_ttl(client, register, app):
    _, headers, tokens = register()
    client.post("/api/auth/logout", headers=headers)
    jti = _jti(tokens["access_token"], app)
    store = redis.Redis.from_url(REDIS_URL)
    ttl = store.ttl(f"koodtx:revoked:{jti}")
    lifetime = app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    assert 0 < ttl <= lifetime + 1


@pytest.mark.redis
def test_revocation_survives_a_redis_that_lost_its_keys(client, register):
    _, headers, _ = register()
    client.post("/api/auth/logout", headers=headers)
    redis.Redis.from_url(REDIS_URL).flushdb()  # as after a Redis restart without persistence
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_revocation_is_checked_in_the_database_when_redis_is_unreachable(client, register, app):
    _, headers, _ = register()
    client.post("/api/auth/logout", headers=headers)
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        assert client.get("/api/auth/me", headers=headers).status_code == 401
        _, fresh, _ = register()
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
