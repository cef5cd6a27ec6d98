"""Sign-in and registration limits: whose failures count against whom.

A failed sign-in is a 401, on the API and the dashboard form alike; both count into the same
buckets (shared scopes), so switching between them buys nothing.

- `LOGIN_RATE_LIMIT`: every attempt, per client address.
- `LOGIN_FAILURE_RATE_LIMIT`: failures per username *and* address — guessing one password from
  one place. Failures made elsewhere never reach the owner's bucket, so nobody can lock a
  known username out from another address.
- `LOGIN_ADDRESS_FAILURE_RATE_LIMIT`: failures per address across usernames — one place trying
  many accounts (credential stuffing, password spraying).
- `LOGIN_USERNAME_FAILURE_RATE_LIMIT` (generous): failures per username from every address —
  many places guessing one password (a botnet).

The last two are shared by people who do not control each other (everyone behind one NAT;
everyone, for one username), so they exempt a username and address pair that signed in
successfully within `LOGIN_KNOWN_ADDRESS_DAYS`: the owner signing in from where they signed in
before is subject only to the first two, which an attacker elsewhere cannot fill. The cost is
that while one account is under a distributed attack, its owner waits from a new address.

An address is the client's IPv4 address, or its IPv6 /64 network (one subscriber's: one host
can use a whole /64, so per-address limits keyed on full IPv6 addresses would not limit it).

Registration answers 409 for a taken username or email, which tells that the name exists;
`REGISTER_CONFLICT_RATE_LIMIT` bounds those answers per address like failed sign-ins.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter
from app.models import User
from app.web.protection import configured
from app.web.request_body import read_json_body

log = logging.getLogger(__name__)

_KNOWN = "koodtx:signed-in:{login}:{address}"


def client_address() -> str:
    """The client's IPv4 address or IPv6 /64 network, for keys of per-address limits."""
    raw = get_remote_address() or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _submitted_login() -> str:
    """The username or email tried (API JSON body or dashboard form), case-folded."""
    try:
        body = request.form if request.form else read_json_body()
        # The KooDTX app's own protocol signs in with `email` (docs/app-protocol.md).
        login = (body.get("username") or body.get("email")) if isinstance(body, Mapping) else None
    except Exception:  # an unreadable body is answered by the view itself
        login = None
    return str(login).strip().lower()[:255] if login else ""


def _per_login_and_address() -> str:
    return f"login:{_submitted_login()}|{client_address()}"


def _per_address() -> str:
    return f"address:{client_address()}"


def _per_login() -> str:
    return f"login:{_submitted_login()}"


def _known_pair() -> bool:
    """Whether the submitted login signed in successfully from this address lately."""
    if "sign_in_address_known" not in g:  # asked once per limit; look it up once per request
        g.sign_in_address_known = _look_up_known_pair()
    return g.sign_in_address_known


def _look_up_known_pair() -> bool:
    login = _submitted_login()
    if not login:
        return False
    try:
        return limiter.storage.get(_KNOWN.format(login=login, address=client_address())) > 0
    except Exception:  # storage down: no exemption (Flask-Limiter skips the limits then anyway)
        log.warning("rate-limit storage unavailable; sign-in address not looked up")
        return False


def remember_sign_in(user: User) -> None:
    """Mark this address as one the user signs in from (by username and by email)."""
    if not limiter.enabled:
        return
    days = timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    address = client_address()
    try:
        for login in {user.username.lower(), user.email.lower()}:
            key = _KNOWN.format(login=login, address=address)
            limiter.storage.clear(key)  # so the expiry counts from this sign-in
            limiter.storage.incr(key, int(days.total_seconds()))
    except Exception:  # best effort, like the limits themselves
        log.warning("rate-limit storage unavailable; sign-in address not remembered")


def _failed(response) -> bool:
    return response.status_code == 401


def _conflict(response) -> bool:
    return response.status_code == 409


def sign_in_limits(methods: list[str] | None = None) -> Callable:
    """The limits of a sign-in view (API or dashboard; `methods`: those that sign in)."""
    limits = [
        limiter.shared_limit(
            configured("LOGIN_RATE_LIMIT"),
            "sign-in",
            key_func=_per_address,
            methods=methods,
        ),
        limiter.shared_limit(
            configured("LOGIN_FAILURE_RATE_LIMIT"),
            "sign-in-failures",
            key_func=_per_login_and_address,
            deduct_when=_failed,
            methods=methods,
        ),
        limiter.shared_limit(
            configured("LOGIN_ADDRESS_FAILURE_RATE_LIMIT"),
            "sign-in-failures-per-address",
            key_func=_per_address,
            deduct_when=_failed,
            exempt_when=_known_pair,
            methods=methods,
        ),
        limiter.shared_limit(
            configured("LOGIN_USERNAME_FAILURE_RATE_LIMIT"),
            "sign-in-failures-per-username",
            key_func=_per_login,
            deduct_when=_failed,
            exempt_when=_known_pair,
            methods=methods,
        ),
    ]

    def apply(view: Callable) -> Callable:
        for limit in limits:
            view = limit(view)
        return view

    return apply


def registration_limits(view: Callable) -> Callable:
    """All registrations per address, and answers that a name is taken (409) per address."""
    view = limiter.limit(configured("REGISTER_RATE_LIMIT"), key_func=_per_address)(view)
    return limiter.limit(
        configured("REGISTER_CONFLICT_RATE_LIMIT"),
        key_func=_per_address,
        deduct_when=_conflict,
        scope="conflicts",
    )(view)
