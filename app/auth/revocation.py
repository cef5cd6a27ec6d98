"""Where revoked ids live: Redis (with the remaining lifetime as TTL) when configured, the
database otherwise. An id is a token's `jti` or a whole token family (`family:<id>`, see
app/auth/tokens.py).

Every revocation is also written to the database, so it outlives a Redis restart or outage:
when Redis cannot be reached, checks fall back to the database (fail closed for revoked tokens,
auth keeps working), and a Redis that lost its keys is primed again from the database.

A process that hit a Redis error skips Redis for `RETRY_AFTER_SECONDS` (so a hung Redis costs
one timeout, not one per request) and primes Redis again on its first successful contact, which
also copies in the revocations written while Redis was unreachable. Residual window: a Redis
that kept its keys through a partition can miss such a revocation in *other* processes until
that re-prime or the periodic one (`PRIME_INTERVAL_SECONDS`) — see docs/RELIABILITY.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import redis
from flask import current_app
from sqlalchemy import delete, select

from app.database import begin_write_transaction, dialect_insert
from app.extensions import db
from app.models import RevokedToken

log = logging.getLogger(__name__)

_KEY = "koodtx:revoked:{}"
_PRIMED = "koodtx:revoked:primed"
# Re-prime this often, which also picks up revocations written while Redis was unreachable.
PRIME_INTERVAL_SECONDS = 60
RETRY_AFTER_SECONDS = 5.0
# Per process and Redis URL: when Redis may be tried again, and whether it missed writes.
_health: dict[str, dict] = {}


def _state() -> dict:
    url = current_app.config["REDIS_URL"] or ""
    return _health.setdefault(url, {"down_until": 0.0, "stale": False})


def _failed() -> None:
    _state().update(down_until=time.monotonic() + RETRY_AFTER_SECONDS, stale=True)


def _redis() -> redis.Redis | None:
    """The Redis client, or None without Redis or while it recently failed in this process."""
    url = current_app.config["REDIS_URL"]
    if not url or time.monotonic() < _state()["down_until"]:
        return None
    clients = current_app.extensions.setdefault("koodtx_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return clients[url]


def revoke(entries: Mapping[str, datetime]) -> set[str]:
    """Record revoked ids until their tokens would have expired anyway (committed).

    Returns the ids that were not revoked before: the database decides, so of two requests
    revoking the same id at once exactly one sees it as new.
    """
    if not entries:
        return set()
    begin_write_transaction()
    newly = set(
        db.session.scalars(
            dialect_insert(RevokedToken)
            .values([{"jti": key, "expires_at": at} for key, at in entries.items()])
            .on_conflict_do_nothing(index_elements=["jti"])
            .returning(RevokedToken.jti)
        )
    )
    db.session.commit()
    client = _redis()
    if client is None:
        return newly
    now = datetime.now(UTC)
    pipe = client.pipeline()
    for key, expires_at in entries.items():
        pipe.set(_KEY.format(key), 1, ex=max(1, int((expires_at - now).total_seconds()) + 1))
    try:
        pipe.execute()
    except redis.RedisError:
        _failed()
        log.warning("Redis unavailable; revocation of %s kept in the database only", list(entries))
    return newly


def is_revoked(*ids: str) -> bool:
    """Whether any of these ids is revoked."""
    client = _redis()
    if client is not None:
        keys = [_KEY.format(key) for key in ids]
        try:
            # Both questions in one round trip: this runs on every authenticated request.
            pipe = client.pipeline(transaction=False).exists(_PRIMED).exists(*keys)
            primed, revoked = pipe.execute()
            if _state()["stale"] or not primed:
                _prime(client)
                _state()["stale"] = False
                revoked = client.exists(*keys)
            return bool(revoked)
        except redis.RedisError:
            _failed()
            log.warning("Redis unavailable; checking revocation in the database")
    found = db.session.scalar(select(RevokedToken.jti).where(RevokedToken.jti.in_(ids)).limit(1))
    return found is not None


def _prime(client: redis.Redis) -> None:
    """Copy unexpired revocations into an empty (restarted or flushed) Redis."""
    now = datetime.now(UTC)
    rows = db.session.execute(
        select(RevokedToken.jti, RevokedToken.expires_at).where(RevokedToken.expires_at > now)
    ).all()
    pipe = client.pipeline()
    for jti, expires_at in rows:
        pipe.set(_KEY.format(jti), 1, ex=max(1, int((expires_at - now).total_seconds()) + 1))
    pipe.set(_PRIMED, 1, ex=PRIME_INTERVAL_SECONDS)
    pipe.execute()


def purge_expired() -> int:
    """Delete revocations of tokens that have expired anyway; returns the number deleted."""
    begin_write_transaction()
    result = db.session.execute(
        delete(RevokedToken).where(RevokedToken.expires_at <= datetime.now(UTC))
    )
    db.session.commit()
    return result.rowcount
