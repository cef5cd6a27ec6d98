"""Who may read /metrics: clients in `METRICS_ALLOWED_NETWORKS` (the loopback by default), or
any client presenting `Authorization: Bearer <METRICS_TOKEN>`. Others get 401 (a token is
configured) or 403 JSON.

The client address is the one the app sees after ProxyFix: the direct peer, or with
`PROXY_FIX_HOPS` set, the address the trusted proxies report. A request that carries proxy
headers while `PROXY_FIX_HOPS` is 0 came through a proxy the app was not told about -- its
peer address is the proxy's (often the loopback) -- so only the token lets it in.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Mapping
from functools import wraps

from flask import request

from app.secret_keys import secret_problems
from app.web.error_handlers import error_response

_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[Network]:
    """`METRICS_ALLOWED_NETWORKS`: comma-separated CIDR networks or single addresses, or
    `none` (the token only, not even the loopback)."""
    if value.strip().lower() == "none":
        return []
    networks = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise RuntimeError(
                f"METRICS_ALLOWED_NETWORKS: {item!r} is not a network (e.g. 10.0.0.0/8, ::1)"
            ) from None
    return networks


def _client_in(networks: list[Network], behind_unknown_proxy: bool) -> bool:
    if behind_unknown_proxy:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:  # a Unix socket peer has no address
        return False
    if address.version == 6 and address.ipv4_mapped:  # a dual-stack socket's IPv4 client
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _token_presented(token: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode()
    )


def metrics_access(config: Mapping) -> Callable:
    """The decorator for the /metrics view, built from (and checking) the app's config."""
    networks = parse_networks(config["METRICS_ALLOWED_NETWORKS"])
    token = config["METRICS_TOKEN"] or None
    if token and config.get("APP_ENV") == "production":
        problems = secret_problems("METRICS_TOKEN", token)
        if problems:
            raise RuntimeError(f"Refusing to start in production: {'; '.join(problems)}")
    trust_forwarding = bool(config["PROXY_FIX_HOPS"])

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            unknown_proxy = not trust_forwarding and any(
                header in request.headers for header in _PROXY_HEADERS
            )
            if _client_in(networks, unknown_proxy) or (token and _token_presented(token)):
                return view(*args, **kwargs)
            if token:
                response, status = error_response(401, "A valid metrics token is required")
                response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
                return response, status
            return error_response(403, "Metrics are not served to this address")

        return guarded

    return decorator
