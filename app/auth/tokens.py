"""Token pairs and families: issuing, rotating, signing out, detecting refresh-token reuse.

Every sign-in (register, login, dashboard) starts a *family*, named after the sign-in's first
refresh token and carried by every token issued from it as the `fam` claim, through every
rotation. Each token also names its partner (`pair`).

- Refreshing rotates: the presented refresh token and its access token are revoked and a new
  pair of the same family is issued.
- A refresh token that is presented again after it was revoked has been copied: either the
  client or someone else already used it. Which of the two holds the newer tokens cannot be
  told, so the whole family is revoked — every access and refresh token of that sign-in, also
  one a racing rotation issues afterwards (the check is by family id, not by listing tokens).
  This is the refresh-token rotation of the OAuth 2.0 Security Best Current Practice.
- Signing out revokes the family.

Tokens from before families existed carry no `fam`; their family is derived from the same
rule (a refresh token's own id, an access token's `pair`), so they keep working until they
expire and take part in reuse detection.

A client that retries a refresh whose answer it never got presents a revoked token too, and
signs in again: no grace period, since the one it would grant is exactly the window in which
a thief's copy is used unnoticed. Clients therefore send one refresh at a time.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token

from app.auth import revocation
from app.errors import AuthenticationFailed
from app.models import User

log = logging.getLogger(__name__)

FAMILY_CLAIM = "fam"
# A family is revoked until its newest token would have expired: tokens are issued at most
# one request's duration after the revocation (a rotation that was already running), which
# this margin covers.
_RACE_MARGIN = timedelta(minutes=5)


def issue(user: User, family: str | None = None) -> dict[str, str]:
    """A new access/refresh pair of `family`, or of a new family (a new sign-in)."""
    access_jti, refresh_jti = str(uuid.uuid4()), str(uuid.uuid4())
    family = family or refresh_jti
    identity = str(user.id)
    return {
        "access_token": create_access_token(
            identity, additional_claims={"jti": access_jti, "pair": refresh_jti, "fam": family}
        ),
        "refresh_token": create_refresh_token(
            identity, additional_claims={"jti": refresh_jti, "pair": access_jti, "fam": family}
        ),
    }


def rotate(claims: dict, user: User) -> dict[str, str]:
    """Exchange a refresh token for a new pair of its family; the presented pair is revoked.

    Two requests presenting the same refresh token at once both pass the revocation check;
    revoking it is the tie-breaker: the one that finds it already revoked is a reuse.
    """
    newly = revocation.revoke(_pair_expiries(claims))
    if claims["jti"] not in newly:
        _reused(claims)
        raise AuthenticationFailed("Token has been revoked")
    return issue(user, family_of(claims))


def sign_out(claims: dict) -> None:
    """Revoke every token of the sign-in the presented token belongs to."""
    family = family_of(claims)
    if family:
        _revoke_family(family)
    else:
        revocation.revoke(_pair_expiries(claims))


def is_revoked(claims: dict) -> bool:
    """Whether a presented token is refused; a revoked refresh token presented again revokes
    its family (reuse detection)."""
    if not revocation.is_revoked(*revocation_ids(claims)):
        return False
    if claims.get("type") == "refresh":
        _reused(claims)
    return True


def revocation_ids(claims: dict) -> list[str]:
    """The revoked ids that refuse this token: its own and its family's."""
    family = family_of(claims)
    return [claims["jti"]] + ([_family_id(family)] if family else [])


def family_of(claims: dict) -> str | None:
    """The sign-in a token belongs to (derived for tokens issued before the `fam` claim)."""
    if claims.get(FAMILY_CLAIM):
        return claims[FAMILY_CLAIM]
    return claims.get("jti") if claims.get("type") == "refresh" else claims.get("pair")


def _reused(claims: dict) -> None:
    family = family_of(claims)
    if _revoke_family(family):
        log.warning(
            "revoked refresh token presented again: token family %s of user %s revoked",
            family,
            claims.get("sub"),
        )


def _revoke_family(family: str) -> bool:
    """Revoke every token of a family; False when it already was."""
    key = _family_id(family)
    if revocation.is_revoked(key):
        return False
    config = current_app.config
    lifetime = max(config["JWT_ACCESS_TOKEN_EXPIRES"], config["JWT_REFRESH_TOKEN_EXPIRES"])
    return bool(revocation.revoke({key: datetime.now(UTC) + lifetime + _RACE_MARGIN}))


def _pair_expiries(claims: dict) -> dict[str, datetime]:
    """The presented token and its partner, each until it would have expired."""
    entries = {claims["jti"]: datetime.fromtimestamp(claims["exp"], UTC)}
    if claims.get("pair"):
        config = current_app.config
        lifetime = max(config["JWT_ACCESS_TOKEN_EXPIRES"], config["JWT_REFRESH_TOKEN_EXPIRES"])
        entries[claims["pair"]] = datetime.fromtimestamp(claims["iat"], UTC) + lifetime
    return entries


def _family_id(family: str) -> str:
    return f"family:{family}"
