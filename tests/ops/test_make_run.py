"""`make run` as a new user runs it (scripts/run_all.sh, nothing configured): web server,
Celery worker and Beat on the embedded default, reachable from this machine only, signing with
keys generated for this install, counting rate limits once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import ROOT, control_socket, free_port, listening_addresses, wait_until_up

pytestmark = pytest.mark.slow
FLASK = str(Path(sys.executable).with_name("flask"))


def _embedded_default(tmp: Path, **extra: str) -> dict[str, str]:
    """A fresh install's environment: no keys, no Redis, SQLite and the SQLAlchemy broker --
    kept in `tmp` instead of instance/."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "TEST_", "KOODTX_TEST_SETTINGS"))
    }
    env |= {
        # set empty rather than removed, so a developer's .env cannot fill them in
        "APP_ENV": "",
        "SECRET_KEY": "",
        "JWT_SECRET_KEY": "",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "",
        "SECRET_KEYS_FILE": str(tmp / "secret_keys.json"),
        "DATABASE_URL": f"sqlite:///{tmp / 'koodtx.db'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp / 'broker.db'}",
        "CELERY_RESULT_BACKEND": f"db+sqlite:///{tmp / 'results.db'}",
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "CELERY_BEAT_SCHEDULE": str(tmp / "celerybeat-schedule"),
        "CELERY_BEAT_PIDFILE": str(tmp / "celerybeat.pid"),
        "RATELIMIT_ENABLED": "true",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([FLASK, "--app", "run", "init-db"], cwd=ROOT, env=env | extra, check=True)
    return env | extra


@contextmanager
def _make_run(command: list[str], env: dict[str, str], log: Path):
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.mark.skipif(
    shutil.which("unshare") is None
    or subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0,
    reason="needs unprivileged network namespaces (unshare -rn)",
)
def test_make_run_listens_on_the_loopback_only(tmp_path):
    """Run in a private network namespace, where the default port is free whatever else runs
    on this machine; its sockets are read from /proc."""
    env = _embedded_default(tmp_path, GUNICORN_CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"))
    command = ["unshare", "-rn", "bash", "-c", "ip link set lo up && exec scripts/run_all.sh"]
    with _make_run(command, env, tmp_path / "make-run.log") as process:
        ours = os.readlink("/proc/self/ns/net")
        deadline, listening = time.monotonic() + 60, set()
        while time.monotonic() < deadline and not listening:
            assert process.poll() is None, (tmp_path / "make-run.log").read_text()
            if os.readlink(f"/proc/{process.pid}/ns/net") != ours:  # unshare has run
                listening = listening_addresses(process.pid)
            time.sleep(0.2)
        time.sleep(1)
        listening = listening_addresses(process.pid)
    assert listening == {("127.0.0.1", 5000)}


def test_make_run_counts_rate_limits_once_and_shares_generated_keys(tmp_path):
    port = free_port()
    env = _embedded_default(
        tmp_path,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_CONTROL_SOCKET=control_socket(port),
        REGISTER_RATE_LIMIT="5 per minute",
    )
    log = tmp_path / "make-run.log"
    base = f"http://127.0.0.1:{port}"
    with _make_run([str(ROOT / "scripts" / "run_all.sh")], env, log) as process:
        wait_until_up(base, process, timeout=60)

        def register(number: int) -> int:
            body = {"username": f"u{number}", "email": f"u{number}@example.com", "password": "x"}
            request = urllib.request.Request(
                base + "/api/auth/register",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as reply:
                    return reply.status
            except urllib.error.HTTPError as error:
                return error.code

        with ThreadPoolExecutor(max_workers=20) as pool:  # at once: every worker gets some
            statuses = list(pool.map(register, range(20)))
        deadline = time.monotonic() + 60  # let the Celery worker and Beat come up too
        while time.monotonic() < deadline and not (
            "ready." in log.read_text() and "beat: Starting" in log.read_text()
        ):
            time.sleep(0.5)
    assert sorted(statuses) == [400] * 5 + [429] * 15, statuses
    output = log.read_text()
    assert output.count("Booting worker") == 1, output
    assert "Using worker: app.web.serving.ThreadWorker" in output
    assert "ready." in output and "beat: Starting" in output, output
    keys = tmp_path / "secret_keys.json"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert set(json.loads(keys.read_text())) == {"SECRET_KEY", "JWT_SECRET_KEY"}
