"""Running the real server (gunicorn with gunicorn_config.py and run:app) for a test."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import settings_for_tests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def control_socket(port: int) -> str:
    """A control socket of the server's own, never the shared default in the home directory."""
    return str(Path(os.environ["KOODTX_TEST_TMP"]) / f"gunicorn-{port}.ctl")


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket in the network namespace of `pid` (from
    /proc, so it also sees into a private namespace)."""
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state != "0A":  # LISTEN
                continue
            address, port = local.split(":")
            # /proc prints the address as 32-bit words in host (little-endian) byte order
            raw = b"".join(
                bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)
            )
            found.add((str(ipaddress.ip_address(raw)), int(port, 16)))
    return found


def server_environment(**extra: str) -> dict[str, str]:
    """The environment that points run:app at the test database and broker."""
    settings = settings_for_tests()
    env = {
        "APP_ENV": "development",
        "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
        "CELERY_BROKER_URL": settings["CELERY_BROKER_URL"],
        "CELERY_RESULT_BACKEND": settings["CELERY_RESULT_BACKEND"],
        "UPLOAD_FOLDER": settings["UPLOAD_FOLDER"],
        "AUDIO_FOLDER": settings["AUDIO_FOLDER"],
        "SECRET_KEY": settings["SECRET_KEY"],
        "JWT_SECRET_KEY": settings["JWT_SECRET_KEY"],
        "RATELIMIT_ENABLED": "false",
        # No worker imports what these servers accept: uploads would stay pending up to the quota.
        "UPLOAD_MAX_PENDING": "1000000",
        "CHUNKED_UPLOAD_MAX_PENDING": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if settings["REDIS_URL"]:
        env["REDIS_URL"] = settings["REDIS_URL"]
    return os.environ | env | extra


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer /health in time")


@contextmanager
def gunicorn(workers: int | None = 2, log: Path | None = None, **env: str):
    """Yield the base URL of gunicorn serving run:app; stop it gracefully afterwards.

    `workers=None` keeps the number gunicorn_config.py chooses (as in production).
    """
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL
    sizing = ["--workers", str(workers)] if workers is not None else []
    process = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}", *sizing, "run:app"],
        cwd=ROOT,
        env=server_environment(GUNICORN_CONTROL_SOCKET=control_socket(port), **env),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()
