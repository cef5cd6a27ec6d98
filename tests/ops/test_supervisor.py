"""supervisor.conf as shipped: supervisord starts web, worker, beat and Flower, all RUNNING."""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.server import ROOT, free_port, server_environment

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _ctl(env, *args) -> str:
    return subprocess.run(
        [str(BIN / "supervisorctl"), "-c", str(ROOT / "supervisor.conf"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def test_supervisor_runs_every_program(tmp_path):
    web_port, flower_port = free_port(), free_port()
    env = server_environment(
        KOODTX_HOME=str(ROOT),
        KOODTX_RUN=str(tmp_path),
        GUNICORN_BIND=f"127.0.0.1:{web_port}",
        GUNICORN_WORKERS="1",
        FLOWER_PORT=str(flower_port),
        FLOWER_ADDRESS="127.0.0.1",
    )
    subprocess.run(
        [str(BIN / "supervisord"), "-c", str(ROOT / "supervisor.conf")],
        env=env,
        check=True,
        timeout=30,
    )
    try:
        deadline, status = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            status = _ctl(env, "status")
            lines = [line for line in status.splitlines() if line.strip()]
            if len(lines) == 4 and all("RUNNING" in line for line in lines):
                break
            time.sleep(1)
        assert len(lines) == 4 and all("RUNNING" in line for line in lines), status
        time.sleep(3)  # still running a moment later: nothing crash-looping
        assert _ctl(env, "status").count("RUNNING") == 4, _ctl(env, "status")
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/health", timeout=10) as r:
            assert r.status == 200
    finally:
        _ctl(env, "shutdown")
        for log in tmp_path.glob("*.log"):
            print(log.name, log.read_text(errors="replace")[-2000:])
