"""Rate limits (429 JSON with Retry-After), security headers, request ids, metrics."""

import pytest

from app.web.protection import check_limit_storage
from tests.payloads import push_body, samples


def _register(client, name):
    response = client.post(
        "/api/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "password123"},
    )
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_sixth_failed_login_for_one_username_from_one_address_is_429_json(limited_client):
    _register(limited_client, "target")
    statuses = []
    for attempt in range(6):
        response = limited_client.post(
            "/api/auth/login", json={"username": "target", "password": f"wrong-{attempt}"}
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    assert response.is_json and response.json["error"]
    assert int(response.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count_as_failures(limited_client):
    _register(limited_client, "regular")
    for _ in range(8):
        response = limited_client.post(
            "/api/auth/login", json={"username": "regular", "password": "password123"}
        )
        assert response.status_code == 200


def test_failed_logins_for_one_username_do_not_lock_out_another(limited_client):
    _register(limited_client, "victim")
    _register(limited_client, "bystander")
    for _ in range(6):
        limited_client.post("/api/auth/login", json={"username": "victim", "password": "nope-nope"})
    ok = limited_client.post(
        "/api/auth/login", json={"username": "bystander", "password": "password123"}
    )
    assert ok.status_code == 200


def test_register_is_limited_per_client_address(limited_client, app):
    statuses = [
        limited_client.post(
            "/api/auth/register",
            json={"username": f"bulk{i}", "email": f"bulk{i}@example.com", "password": "x"},
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]


def test_push_limit_is_per_user_and_configurable(limited_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_RATE_LIMIT", "2 per minute")
    alice, bob = _register(limited_client, "alice"), _register(limited_client, "bob")
    statuses = [
        limited_client.post(
            "/api/sync/push", json=push_body(data=samples(1)), headers=alice
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    bob_push = limited_client.post("/api/sync/push", json=push_body(), headers=bob)
    assert bob_push.status_code == 200


def test_limits_can_be_switched_off(client, register):
    register("someone", password="password123")
    for _ in range(8):
        response = client.post("/api/auth/login", json={"username": "someone", "password": "bad"})
        assert response.status_code == 401


def test_security_headers_on_api_responses(client):
    headers = client.get("/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_request_id_is_echoed_or_generated(client):
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    generated = client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32


def _metric(client, line_prefix: str) -> float:
    """The value of one sample line of /metrics (0 when absent)."""
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_and_pushed_samples(client, auth_headers):
    names = {
        "inserted": 'koodtx_samples_total{outcome="inserted"}',
        "duplicate": 'koodtx_samples_total{outcome="duplicate"}',
        "pushes": 'koodtx_syncs_total{status="success",sync_type="push"}',
        "pulls": 'koodtx_syncs_total{status="success",sync_type="pull"}',
    }
    before = {key: _metric(client, name) for key, name in names.items()}
    body = push_body(data=samples(7))
    client.post("/api/sync/push", json=body, headers=auth_headers)
    client.post("/api/sync/push", json=body, headers=auth_headers)
    client.post("/api/sync/pull", json={}, headers=auth_headers)
    after = {key: _metric(client, name) for key, name in names.items()}
    assert {key: after[key] - before[key] for key in names} == {
        "inserted": 7,
        "duplicate": 7,
        "pushes": 2,
        "pulls": 1,
    }
    text = client.get("/metrics").get_data(as_text=True)
    assert "koodtx_http_request_duration_seconds_bucket" in text
    assert 'endpoint="sync.push_route"' in text


def _limits(app_env: str, storage: str, enabled: bool = True) -> dict:
    return {"APP_ENV": app_env, "RATELIMIT_ENABLED": enabled, "RATELIMIT_STORAGE_URI": storage}


def test_production_refuses_several_workers_counting_limits_each_in_memory():
    """Checked by gunicorn_config.py with the worker count (tests/ops/test_gunicorn.py runs it)."""
    with pytest.raises(RuntimeError, match="Refusing to start in production.*RATELIMIT_STORAGE"):
        check_limit_storage(_limits("production", "memory://"), workers=2)


@pytest.mark.parametrize(
    "config, workers",
    [
        (_limits("production", "memory://"), 1),  # one process counts every request
        (_limits("production", "redis://127.0.0.1:6379/1"), 9),  # shared counters
        (_limits("production", "memory://", enabled=False), 9),  # nothing to count
    ],
)
def test_limit_storage_that_counts_every_request_once_passes(config, workers):
    assert check_limit_storage(config, workers) is None


def test_development_is_warned_that_several_workers_multiply_limits():
    warning = check_limit_storage(_limits("development", "memory://"), workers=3)
    assert "3 gunicorn workers" in warning and "up to 3 times" in warning
