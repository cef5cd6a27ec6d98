"""Private PostgreSQL and Redis servers that a system test may stop, kill and restart.

They run on free loopback ports with their data in a temporary directory, so the shared
servers on 5432 / 6379 are never touched. PostgreSQL refuses to run as root: when the tests
run as root, every PostgreSQL command runs as the `postgres` OS user (`runuser`).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import redis

from tests.server import free_port


class ServiceMissing(RuntimeError):
    """A server binary is not installed: the system tests cannot run (and must say so)."""


def _postgres_bin(name: str) -> str:
    """`initdb`, `pg_ctl`… from PATH or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise ServiceMissing(f"PostgreSQL's {name} is not installed (apt install postgresql)")
    return candidates[0]


class PrivatePostgres:
    """A throw-away PostgreSQL cluster: `start()`, `stop(mode)`, `restart()`."""

    def __init__(self, base: Path | None = None):
        # Not under pytest's private (0700, root-owned) temporary directory: the server
        # runs as `postgres` and must reach its data directory.
        self.base = base or Path(tempfile.mkdtemp(prefix="koodtx-pg-"))
        self.data = self.base / "pgdata"
        self.logfile = self.base / "postgres.log"
        self.port = free_port()
        self.as_postgres_user = os.geteuid() == 0
        self.pg_ctl = _postgres_bin("pg_ctl")
        self.initdb = _postgres_bin("initdb")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = list(args)
        if self.as_postgres_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                f"\n--- server log ---\n{self.log_tail()}"
            )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)
        if self.as_postgres_user:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base}'",
            "max_connections": "200",
            "shared_buffers": "256MB",
            # A throw-away cluster: durability across OS crashes is not what is tested here
            # (a PostgreSQL *restart* still loses nothing that was committed).
            "fsync": "off",
            "full_page_writes": "off",
            "log_min_messages": "warning",
        }
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def start(self) -> None:
        self._run(
            self.pg_ctl, "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` terminates sessions and rolls back their transactions; `immediate` is a
        crash (recovery on the next start)."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def is_running(self) -> bool:
        try:
            psycopg2.connect(self.url(), connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def create_database(self, name: str) -> str:
        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)

    def cleanup(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except Exception:  # best effort: the test already failed or the server is gone
                pass
        shutil.rmtree(self.base, ignore_errors=True)


class PrivateRedis:
    """A Redis server without persistence: a restart loses every key (like a crash)."""

    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise ServiceMissing("redis-server is not installed (apt install redis-server)")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 20) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        log = open(self.base / "redis.log", "ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis.from_url(self.url(), socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: connections drop, every key is gone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.base, ignore_errors=True)
