"""/metrics is served to the loopback, to METRICS_ALLOWED_NETWORKS, and to holders of
METRICS_TOKEN; anyone else gets 403 (401 when a token is configured) as JSON."""

import pytest

from app import create_app
from tests.conftest import settings_for_tests

TOKEN = "mT9_vQ2xLr7Kp4Wn8Zc1Hs6Jd3Fb0Ye5Ua-Gi2Oq"


def _client(**config):
    return create_app("testing", settings_for_tests() | config).test_client()


def _get(client, address: str, headers: dict | None = None):
    return client.get("/metrics", headers=headers or {}, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_the_loopback_reads_metrics_by_default(address):
    reply = _get(_client(), address)
    assert reply.status_code == 200
    assert b"koodtx_http_request_duration_seconds" in reply.data


@pytest.mark.parametrize("address", ["10.0.0.5", "203.0.113.7", "2001:db8::1"])
def test_other_addresses_get_403_json(address):
    reply = _get(_client(), address)
    assert reply.status_code == 403
    assert reply.is_json and reply.json["error"]
    assert b"koodtx_" not in reply.data


def test_configured_networks_read_metrics():
    client = _client(METRICS_ALLOWED_NETWORKS="10.20.0.0/16, 2001:db8::/32")
    assert _get(client, "10.20.3.4").status_code == 200
    assert _get(client, "2001:db8::1").status_code == 200
    assert _get(client, "10.21.0.1").status_code == 403
    assert _get(client, "127.0.0.1").status_code == 403  # the list replaces the default


def test_a_bearer_token_opens_metrics_from_anywhere():
    client = _client(METRICS_TOKEN=TOKEN)
    assert _get(client, "203.0.113.7", {"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    for wrong in (f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer", ""):
        reply = _get(client, "203.0.113.7", {"Authorization": wrong})
        assert reply.status_code == 401 and reply.is_json, wrong
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert _get(client, "127.0.0.1").status_code == 200  # the loopback still needs none


def test_none_closes_every_network_so_only_the_token_opens_metrics():
    client = _client(METRICS_ALLOWED_NETWORKS="none", METRICS_TOKEN=TOKEN)
    assert _get(client, "127.0.0.1").status_code == 401
    assert _get(client, "127.0.0.1", {"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_behind_an_undeclared_proxy_the_loopback_peer_does_not_count():
    """A proxy on the same host makes every client look local; without PROXY_FIX_HOPS the app
    cannot know the real client, so the address rule does not apply."""
    client = _client()
    reply = _get(client, "127.0.0.1", {"X-Forwarded-For": "203.0.113.7"})
    assert reply.status_code == 403
    assert _get(client, "127.0.0.1", {"X-Real-IP": "127.0.0.1"}).status_code == 403


def test_with_proxy_fix_the_forwarded_client_address_counts():
    client = _client(PROXY_FIX_HOPS=1, METRICS_ALLOWED_NETWORKS="10.0.0.0/8")
    proxy = "127.0.0.1"
    assert _get(client, proxy, {"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    assert _get(client, proxy, {"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    # a client cannot prepend an allowed address: only the hop the proxy added is trusted
    spoofed = {"X-Forwarded-For": "10.1.2.3, 203.0.113.7"}
    assert _get(client, proxy, spoofed).status_code == 403


def test_a_malformed_network_refuses_to_start():
    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_NETWORKS"):
        _client(METRICS_ALLOWED_NETWORKS="10.0.0.0/8,intranet")


def test_production_refuses_a_guessable_metrics_token():
    keys = {"SECRET_KEY": "Zq8v-KJ2pW_4mXr7TbN1sYc3LdE6hGa9UfQ0oVi5", "APP_ENV": "production"}
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        _client(METRICS_TOKEN="metrics", **keys)
