"""The production server: gunicorn with gunicorn_config.py serves the app."""

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL
from tests.server import (
    GUNICORN,
    ROOT,
    control_socket,
    free_port,
    gunicorn,
    server_environment,
    wait_until_up,
)

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
    # A gauge read from the database at scrape time: one value, the scraping worker's newest,
    # not one per worker or their sum.
    backlog = [line for line in text.splitlines() if line.startswith("koodtx_compaction_backlog")]
    assert backlog == ["koodtx_compaction_backlog_sessions 0.0"]


@pytest.mark.parametrize("threads", [1, 4])
def test_errors_gunicorn_answers_itself_are_json_and_stalled_clients_are_dropped(tmp_path, threads):
    """app/web/serving.py: gunicorn's own 4xx pages were HTML, and a client that stopped sending
    held a sync worker until gunicorn killed it (`timeout`, 120 s) -- or, with threads, held a
    thread for good: twice as many stalled clients as threads used to block the server."""
    import select
    import socket
    import urllib.error

    with gunicorn(
        workers=1,
        log=tmp_path / "g.log",
        GUNICORN_CLIENT_TIMEOUT="1",
        GUNICORN_THREADS=str(threads),
    ) as base:
        try:
            _get(base + "/api/sessions?q=" + "a" * 10_000)
            raise AssertionError("a 10,000-character request line was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 414
            assert error.headers["Content-Type"] == "application/json"
            body = json.loads(error.read())
            assert "Request Line is too large" in body["error"]  # /api's shape
            assert body["success"] is False and body["message"] == body["error"]  # the app's
            assert body["code"] == "URI_TOO_LONG"

        host, port = base.removeprefix("http://").split(":")
        stalled = [
            socket.create_connection((host, int(port)), timeout=30) for _ in range(2 * threads)
        ]
        for connection in stalled:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never end
        started, pending = time.monotonic(), set(stalled)
        while pending and time.monotonic() - started < 30:
            # each as soon as the server drops it: gunicorn lingers (2 s) until the client closes
            for connection in select.select(list(pending), [], [], 1)[0]:
                assert connection.recv(100) == b""  # dropped by the server
                connection.close()
                pending.discard(connection)
        assert not pending
        assert time.monotonic() - started < 10  # rounds of 1 s (the client timeout)
        status, _, _ = _get(base + "/health")  # the one worker serves again
        assert status == 200
    assert "WORKER TIMEOUT" not in (tmp_path / "g.log").read_text()


def test_a_bare_gunicorn_listens_on_the_loopback_of_one_process_without_redis(tmp_path):
    """`gunicorn -c gunicorn_config.py run:app` with nothing configured, as gunicorn itself
    resolves it (configuration file, environment, command line)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN_")}
    env |= {"REDIS_URL": "", "RATELIMIT_STORAGE_URI": "", "RATELIMIT_ENABLED": ""}
    env["SECRET_KEYS_FILE"] = str(tmp_path / "secret_keys.json")  # not the checkout's instance/
    printed = subprocess.run(
        [GUNICORN, "-c", "gunicorn_config.py", "--print-config", "run:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    settings = dict(
        (part.strip() for part in line.split("=", 1))
        for line in printed.splitlines()
        if "=" in line
    )
    assert settings["bind"] == "['127.0.0.1:5000']"
    assert (settings["workers"], settings["threads"]) == ("1", "4")
    assert settings["worker_class"] == "app.web.serving.ThreadWorker"


STRONG_KEYS = {"SECRET_KEY": secrets.token_urlsafe(48), "JWT_SECRET_KEY": secrets.token_urlsafe(48)}


def _production(**extra: str) -> dict[str, str]:
    return server_environment(
        APP_ENV="production", RATELIMIT_ENABLED="true", **STRONG_KEYS, **extra
    )


def _start(workers: int, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(workers), "run:app"],
            cwd=ROOT,
            env=env | {"GUNICORN_CONTROL_SOCKET": control_socket(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _parent(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):  # the process is gone
        return None


def _workers_of(pid: int) -> int:
    return sum(1 for stat in Path("/proc").glob("[0-9]*/stat") if _parent(stat) == pid)


def _workers_after_boot(pid: int, expected: int, seconds: float = 30) -> int:
    """The arbiter forks its workers one after another; the first may answer /health before the
    last is forked, on a loaded machine."""
    deadline = time.monotonic() + seconds
    while (count := _workers_of(pid)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return count


def test_production_refuses_several_workers_counting_limits_in_memory(tmp_path):
    log = tmp_path / "gunicorn.log"
    process, _ = _start(2, _production(RATELIMIT_STORAGE_URI="memory://"), log)
    try:
        assert process.wait(60) != 0
    finally:
        _stop(process)
    output = log.read_text()
    assert "Refusing to start in production" in output and "RATELIMIT_STORAGE_URI" in output
    assert "Booting worker" not in output


def test_production_runs_one_worker_on_memory_and_refuses_more_later(tmp_path):
    log = tmp_path / "gunicorn.log"
    process, base = _start(1, _production(RATELIMIT_STORAGE_URI="memory://"), log)
    try:
        wait_until_up(base, process)
        process.send_signal(signal.SIGTTIN)  # "one more worker"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "staying at 1 workers" not in log.read_text():
            time.sleep(0.2)
        time.sleep(2)  # a worker added anyway would have booted by now
        assert _workers_of(process.pid) == 1
        assert _get(base + "/health")[0] == 200
    finally:
        _stop(process)
    assert "staying at 1 workers" in log.read_text()


@pytest.mark.redis
def test_production_runs_several_workers_with_limits_in_redis(tmp_path):
    log = tmp_path / "gunicorn.log"
    process, base = _start(2, _production(RATELIMIT_STORAGE_URI=REDIS_URL), log)
    try:
        wait_until_up(base, process)
        assert _workers_after_boot(process.pid, 2) == 2, log.read_text()
    finally:
        _stop(process)


def test_development_warns_that_several_workers_multiply_limits(tmp_path):
    log = tmp_path / "gunicorn.log"
    env = server_environment(RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI="memory://")
    process, base = _start(2, env, log)
    try:
        wait_until_up(base, process)
    finally:
        _stop(process)
    assert "2 gunicorn workers would each count the rate limits" in log.read_text()
