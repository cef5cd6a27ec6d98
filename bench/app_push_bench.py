"""App-protocol upload benchmark: phones uploading sensor records exactly as the KooDTX app's
SyncManager does, against the real server under gunicorn on PostgreSQL.

    .venv/bin/python bench/app_push_bench.py [--phones 8] [--records 50000] [--batch 100]
        [--workers N] [--keep] [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_app_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it (`flask --app run init-db`).
 2. Starts `gunicorn -c gunicorn_config.py run:app` on a free loopback port, with its own
    control socket and rate limits off (with them on, one user may send PUSH_RATE_LIMIT
    requests a minute; this measures the server, not the limit).
 3. Each phone registers through `POST /api/app/auth/register`, uploads its session
    (`POST /api/app/sessions`) and then its records in batches of `--batch` (SyncManager's
    default: 100) with `POST /api/app/sessions/{sessionId}/sensor-data` — the eleven fields
    of a record, unused ones null, `Content-Type: application/json` and the bearer token —
    one request after the other, all phones at once.
 4. Checks every answer (200, every record inserted) and the stored row count, then prints
    records/s, request latency percentiles and the machine's CPU load.
 5. Stops gunicorn and drops the database (unless `--keep`).

The target: at least 20,000 samples/s from 8 phones. The server, PostgreSQL and the clients
share the machine's cores: a run next to other busy processes is not comparable.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.push_bench import (  # noqa: E402  (the project root must be importable first)
    background_load,
    busy_percent,
    count_samples,
    cpu_jiffies,
    default_workers,
    drop_database,
    migrate,
    parse_scratch_args,
    recreate_database,
    start_server,
    stop_server,
    wait_healthy,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_app_bench"
START_MS = 1_763_000_000_000
FIELDS = ("x", "y", "z", "latitude", "longitude", "altitude", "accuracy", "speed", "heading")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=8, help="concurrent phones (users)")
    parser.add_argument("--records", type=int, default=50_000, help="records per phone")
    parser.add_argument("--batch", type=int, default=100, help="records per request")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    return parse_scratch_args(parser, argv, DEFAULT_DATABASE_URL)


def records(count: int, rng: random.Random) -> list[dict]:
    """Motion sensors at 100 Hz each and GPS at 1 Hz, as SyncManager sends them."""
    out = []
    for i in range(count):
        ts = START_MS + 10 * (i // 4)
        kind = ("accelerometer", "gyroscope", "magnetometer", "gps")[i % 4]
        record = dict.fromkeys(FIELDS) | {"timestamp": ts, "sensorType": kind}
        if kind == "gps":
            ts = START_MS + 1000 * (i // 4)
            record |= {
                "timestamp": ts,
                "latitude": 37.5 + rng.random() / 100,
                "longitude": 127.0,
                "altitude": 40.0,
                "accuracy": 5.0,
                "speed": 1.2,
                "heading": 90.0,
            }
        else:
            record |= {"x": rng.gauss(0, 1), "y": rng.gauss(0, 1), "z": rng.gauss(9.8, 1)}
        out.append(
            {"timestamp": record.pop("timestamp"), "sensorType": record.pop("sensorType")} | record
        )
    return out


def call(
    conn: http.client.HTTPConnection, path: str, body: dict, token: str | None
) -> tuple[int, dict]:
    """A POST as the app's ApiClient sends it."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=orjson.dumps(body), headers=headers)
    response = conn.getresponse()
    return response.status, orjson.loads(response.read() or b"{}")


@dataclass
class Phone:
    number: int
    batches: list[list[dict]]
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    token: str = ""
    latencies: list[float] = field(default_factory=list)
    started: float = float("inf")
    finished: float = 0.0
    error: str | None = None


def sign_in(port: int, phone: Phone) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = {
        "email": f"phone{phone.number}-{uuid.uuid4().hex[:6]}@example.com",
        "password": "bench-pass-1",
        "name": f"Phone {phone.number}",
    }
    status, answer = call(conn, "/api/app/auth/register", body, None)
    if status != 201:
        raise RuntimeError(f"register: {status} {answer}")
    phone.token = answer["data"]["accessToken"]
    session = {
        "sessionId": phone.session_id,
        "startTime": START_MS,
        "endTime": None,
        "enabledSensors": ["accelerometer", "gyroscope", "magnetometer", "gps"],
        "sampleRate": 100,
        "notes": None,
        "isActive": True,
    }
    status, answer = call(conn, "/api/app/sessions", session, phone.token)
    if status != 201:
        raise RuntimeError(f"session upload: {status} {answer}")
    conn.close()


def upload(port: int, phone: Phone, barrier: threading.Barrier) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    path = f"/api/app/sessions/{phone.session_id}/sensor-data"
    try:
        barrier.wait()
        phone.started = time.perf_counter()
        for batch in phone.batches:
            sent = time.perf_counter()
            status, answer = call(conn, path, {"data": batch}, phone.token)
            phone.latencies.append(time.perf_counter() - sent)
            inserted = answer.get("data", {}).get("inserted")
            if status != 200 or inserted != len(batch):
                phone.error = f"status {status}, inserted {inserted} of {len(batch)}: {answer}"
                return
        phone.finished = time.perf_counter()
    except Exception as error:  # reported by the main thread
        phone.error = repr(error)
    finally:
        conn.close()


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


def run(args: argparse.Namespace) -> None:
    rng = random.Random(12)
    phones = []
    for n in range(args.phones):
        rows = records(args.records, rng)
        phones.append(Phone(n, [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]))
    workers = args.workers or default_workers()
    print(f"machine: {os.cpu_count()} cores, {background_load() or 0:.0f} % busy before the run")
    print(
        f"{args.phones} phones × {args.records} records in batches of {args.batch}, "
        f"gunicorn workers: {workers}"
    )
    recreate_database(args.database_url)
    os.environ["RATELIMIT_ENABLED"] = "false"
    migrate(args)
    with tempfile.TemporaryDirectory(prefix="app-push-bench-") as log_dir:
        server = start_server(args, workers, Path(log_dir))
        try:
            wait_healthy(server)
            for phone in phones:
                sign_in(server.port, phone)
            barrier = threading.Barrier(len(phones))
            threads = [
                threading.Thread(target=upload, args=(server.port, p, barrier)) for p in phones
            ]
            cpu_before = cpu_jiffies()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            cpu = busy_percent(cpu_before, cpu_jiffies())
        finally:
            stop_server(server)
    try:
        errors = [p.error for p in phones if p.error]
        if errors:
            raise SystemExit(f"upload failed: {errors[0]}")
        total = args.phones * args.records
        if (rows := count_samples(args.database_url)) != total:
            raise SystemExit(f"stored {rows} rows, expected {total}")
        seconds = max(p.finished for p in phones) - min(p.started for p in phones)
        latencies = sorted(latency for p in phones for latency in p.latencies)
        print(f"stored and verified: {total} records in {len(latencies)} requests")
        rate, request_rate = total / seconds, len(latencies) / seconds
        print(f"throughput: {rate:,.0f} samples/s ({request_rate:,.0f} requests/s)")
        print(
            "latency ms: "
            + ", ".join(
                f"p{int(q * 100)} {percentile(latencies, q) * 1000:.1f}" for q in (0.5, 0.9, 0.99)
            )
        )
        print(f"CPU busy during the upload: {cpu or 0:.0f} % of all cores")
    finally:
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    run(parse_args())
