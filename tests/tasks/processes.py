"""Starting and stopping real `celery worker` / `celery beat` processes for tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
APP = "tests.tasks.worker_app"


class CeleryProcess:
    """A celery process in its own process group, logging to a file."""

    def __init__(self, args: list[str], settings: dict, log: Path, env: dict | None = None):
        self.log = log
        environment = os.environ | {
            "KOODTX_TEST_SETTINGS": json.dumps(settings),
            "PYTHONPATH": str(ROOT),
        }
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(
                [CELERY, "-A", APP, *args],
                cwd=ROOT,
                env=environment | (env or {}),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 20) -> None:
        wait_for(lambda: text in self.output(), timeout, f"{text!r} in {self.log}", self)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (main process and pool children)."""
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Kill outright: the test has what it needs, and state lives in the database."""
        self.kill(signal.SIGKILL)
        self.popen.wait(10)


def worker_args(name: str = "test") -> list[str]:
    return [
        "worker",
        "--loglevel=INFO",
        "--pool=prefork",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname={name}@%h",
    ]


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    process: CeleryProcess | None = None,
) -> Any:
    """Poll `predicate` until it returns something truthy; fail with the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.popen.poll() is not None:
            break
        time.sleep(0.1)
    log = process.output()[-4000:] if process else ""
    raise AssertionError(f"timed out waiting for {what}\n--- process log ---\n{log}")
