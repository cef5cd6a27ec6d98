"""The production server: gunicorn with gunicorn_config.py serves the app."""

import json
import urllib.request

import pytest

from tests.server import gunicorn

pytestmark = pytest.mark.slow


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_gunicorn_with_the_config_file_serves_health_and_docs(tmp_path):
    with gunicorn(workers=2, log=tmp_path / "gunicorn.log") as base:
        status, headers, body = _get(base + "/health", {"X-Request-ID": "probe-1"})
        assert status == 200
        assert json.loads(body)["database"] == "ok"
        assert headers["X-Request-ID"] == "probe-1"
        status, _, body = _get(base + "/api/openapi.json")
        assert status == 200 and json.loads(body)["openapi"].startswith("3.")
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Booting worker" in log


def test_metrics_add_up_across_gunicorn_workers(tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    with gunicorn(workers=3, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as base:
        for _ in range(12):
            _get(base + "/health")
        _, _, body = _get(base + "/metrics")
    text = body.decode()
    counts = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("koodtx_http_request_duration_seconds_count")
        and 'endpoint="health.health"' in line
    ]
    assert sum(counts) >= 12  # every worker's requests, not only the one that answered


def test_errors_gunicorn_answers_itself_are_json_and_stalled_clients_are_dropped(tmp_path):
    """Issue #6 (app/serving.py): gunicorn's own 4xx pages were HTML, and a client that
    stopped sending held a sync worker until gunicorn killed it (`timeout`, 120 s)."""
    import socket
    import time
    import urllib.error

    with gunicorn(workers=1, log=tmp_path / "g.log", GUNICORN_CLIENT_TIMEOUT="1") as base:
        try:
            _get(base + "/api/sessions?q=" + "a" * 10_000)
            raise AssertionError("a 10,000-character request line was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 414
            assert error.headers["Content-Type"] == "application/json"
            assert "error" in json.loads(error.read())

        host, port = base.removeprefix("http://").split(":")
        stalled = socket.create_connection((host, int(port)), timeout=30)
        stalled.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never end
        started = time.monotonic()
        assert stalled.recv(100) == b""  # dropped by the server
        assert time.monotonic() - started < 5
        stalled.close()
        status, _, _ = _get(base + "/health")  # the one worker serves again
        assert status == 200
    assert "WORKER TIMEOUT" not in (tmp_path / "g.log").read_text()
