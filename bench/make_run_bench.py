"""`make run`'s web server on the embedded default (SQLite, no Redis): one process with threads,
as gunicorn_config.py now sizes it so that rate limits are counted once, against the two sync
workers `make run` used before.

    .venv/bin/python bench/make_run_bench.py [--samples 60000] [--clients 4] [--seconds 10]

For each layout, on a fresh SQLite database in a scratch directory:
 1. push: `--clients` threads, one user and session each, push 1,000-sample batches
    (accelerometer, gyroscope, magnetometer) until `--samples` are stored; every reply is
    checked; prints samples/s and the p50/p95 push latency.
 2. reads while exports stream: two clients download the CSV export of the largest session
    over and over while `--clients` others list sessions for `--seconds`; prints the number of
    list requests answered and their p50/p95 latency (a sync worker serving an export serves
    nothing else).
Rate limits are off: this measures serving, not limiting.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import quantiles

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.payloads: the push payload builders tests use too
from tests.payloads import push_body, sample  # noqa: E402

BIN = Path(sys.executable).parent
LAYOUTS = {"1 process x 4 threads (now)": (1, 4), "2 sync workers (before)": (2, 1)}
BATCH = 1000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body=None, token: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    reply = connection.getresponse()
    data = reply.read()
    connection.close()
    return reply.status, data


def start(workers: int, threads: int, scratch: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{scratch / 'koodtx.db'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{scratch / 'broker.db'}",
        "CELERY_RESULT_BACKEND": f"db+sqlite:///{scratch / 'results.db'}",
        "REDIS_URL": "",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_ENABLED": "false",
        "ANALYSIS_ON_CLOSE": "false",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESSLOG": str(scratch / "access.log"),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_CONTROL_SOCKET": str(scratch / "gunicorn.ctl"),
    }
    subprocess.run([BIN / "flask", "--app", "run", "init-db"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "run:app"],
        cwd=ROOT,
        env=env,
        stdout=open(scratch / "gunicorn.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            if request(port, "GET", "/health")[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up")


def register(port: int, name: str) -> str:
    body = {"username": name, "email": f"{name}@example.com", "password": "password123"}
    status, data = request(port, "POST", "/api/auth/register", body)
    assert status == 201, data
    return json.loads(data)["access_token"]


def batch(session_id: str, start: int) -> dict:
    sensors = ("accelerometer", "gyroscope", "magnetometer")
    data = [
        sample(1_700_000_000_000 + (start + i) * 10, sensors[i % 3], x=0.01 * i, y=0.2, z=9.81)
        for i in range(BATCH)
    ]
    return push_body(session_id, data, start_time="2025-11-13T00:00:00Z")


def push_phase(port: int, clients: int, samples: int) -> tuple[float, list[float], list]:
    tokens = [register(port, f"pusher{i}") for i in range(clients)]
    latencies: list[float] = []
    per_client = samples // clients // BATCH

    def pusher(number: int) -> None:
        for step in range(per_client):
            started = time.perf_counter()
            status, data = request(
                port, "POST", "/api/sync/push", batch(f"s{number}", step * BATCH), tokens[number]
            )
            latencies.append(time.perf_counter() - started)
            assert status == 200 and json.loads(data)["inserted"] == BATCH, data

    started = time.perf_counter()
    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * clients * BATCH / (time.perf_counter() - started), latencies, tokens


def read_phase(port: int, token: str, clients: int, seconds: float) -> list[float]:
    stop = time.monotonic() + seconds
    latencies: list[float] = []

    def exporter() -> None:
        while time.monotonic() < stop:
            status, _ = request(port, "GET", "/api/sessions/s0/export?format=csv", token=token)
            assert status == 200

    def lister() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _ = request(port, "GET", "/api/sessions", token=token)
            latencies.append(time.perf_counter() - started)
            assert status == 200

    threads = [threading.Thread(target=exporter) for _ in range(2)]
    threads += [threading.Thread(target=lister) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def ms(values: list[float], cut: int) -> str:
    if len(values) < 2:
        return "n/a"
    return f"{quantiles(values, n=100)[cut - 1] * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"cores={os.cpu_count()} load={os.getloadavg()[0]:.2f} samples={args.samples:,}")
    for name, (workers, threads) in LAYOUTS.items():
        with tempfile.TemporaryDirectory(prefix="koodtx-make-run-bench-") as scratch:
            process, port = start(workers, threads, Path(scratch))
            try:
                rate, pushes, tokens = push_phase(port, args.clients, args.samples)
                lists = read_phase(port, tokens[0], args.clients, args.seconds)
            finally:
                process.terminate()
                process.wait(30)
        print(
            f"{name}: push {rate:,.0f} samples/s (p50 {ms(pushes, 50)}, p95 {ms(pushes, 95)}); "
            f"during 2 exports: {len(lists)} session lists in {args.seconds:.0f} s "
            f"(p50 {ms(lists, 50)}, p95 {ms(lists, 95)})"
        )


if __name__ == "__main__":
    main()
