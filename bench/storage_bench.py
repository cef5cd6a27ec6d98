"""Storage benchmark: bytes on disk per sample of a realistic one-hour session, open (appended
chunks and rows) and closed (compacted into chunks), on PostgreSQL, pushed through the real
server.

    .venv/bin/python bench/storage_bench.py [--seconds 3600] [--batch 5000] [--keep]
        [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_storage_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it (`flask --app run init-db`), then measures
    the empty sample storage.
 2. Starts gunicorn with the project's config (rate limits off) and pushes the session of
    bench/realistic_session.py — accelerometer, gyroscope and magnetometer at 100 Hz with
    float32 values, GPS at 1 Hz — through `POST /api/sync/push` in batches of `--batch`
    samples, in time order, the session still open.
 3. Measures the open session (large append-only groups are chunks already, GPS fixes rows):
    all sample storage (`sensor_data`, `sample_chunks`,
    `sample_fields`: heap, indexes, TOAST) after `VACUUM (ANALYZE)`, minus the empty storage.
 4. Closes the session with one more push and runs `flask compact-samples` (what the Celery
    task does after a close), then measures again: after `VACUUM (ANALYZE)` — the pages the rows
    left stay with the table, free for the next pushes — and after `VACUUM FULL`, which returns
    them (the steady state of a server that keeps receiving data).
 5. Checks that every sample is in a chunk and reads back (the per-sensor counts of
    `/api/sessions/<id>`), stops the server
    and drops the database (unless `--keep`).

Target: at most 12 bytes per sample for the closed session.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.push_bench import (  # noqa: E402  (the project root must be importable first)
    autocommit_connection,
    bench_main,
    compact_samples,
    keep_or_drop_database,
    migrate,
    parse_scratch_args,
    recreate_database,
    register_user,
    request,
    start_server,
    stop_server,
    wait_healthy,
)
from bench.realistic_session import one_hour  # noqa: E402
from tests import payloads  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_storage_bench"
SAMPLE_TABLES = ("sensor_data", "sample_chunks", "sample_fields")
SESSION_ID = "storage-bench-session"
TARGET_BYTES = 12.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3600, help="length of the session")
    parser.add_argument("--batch", type=int, default=5000, help="samples per push")
    return parse_scratch_args(parser, argv, DEFAULT_DATABASE_URL)


def corpus_samples(seconds: int) -> list[dict]:
    """Every sample of the session in time order, as a phone buffers and sends them."""
    samples = [
        payloads.sample(ts, sensor_type, **data)
        for sensor_type, rows in one_hour(seconds).items()
        for ts, data in rows
    ]
    samples.sort(key=lambda sample: sample["timestamp"])
    return samples


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def push_body(samples: list[dict], start_ms: int, end_ms: int | None) -> bytes:
    session = {"start_time": iso(start_ms), "is_active": end_ms is None}
    if end_ms is not None:
        session["end_time"] = iso(end_ms)
    return orjson.dumps(payloads.push_body(SESSION_ID, samples, **session))


def sample_storage(url: str, *, full: bool = False) -> int:
    """Bytes of every table that holds samples (heap, indexes, TOAST, maps) after VACUUM."""
    vacuum = "VACUUM (FULL, ANALYZE)" if full else "VACUUM (ANALYZE)"
    with autocommit_connection(url) as connection, connection.cursor() as cursor:
        total = 0
        for table in SAMPLE_TABLES:
            cursor.execute(f"{vacuum} {table}")
            cursor.execute("SELECT pg_total_relation_size(%s)", (table,))
            total += cursor.fetchone()[0]
        return total


def chunk_facts(url: str) -> tuple[int, int, int]:
    """(rows left, chunks, samples in chunks)."""
    with autocommit_connection(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM sensor_data), count(*), coalesce(sum(sample_count), 0)"
            " FROM sample_chunks"
        )
        return cursor.fetchone()


def push_all(port: int, token: str, samples: list[dict], batch: int) -> float:
    start_ms = samples[0]["timestamp"]
    started = time.perf_counter()
    for offset in range(0, len(samples), batch):
        body = push_body(samples[offset : offset + batch], start_ms, None)
        status, answer = request(port, "POST", "/api/sync/push", body, token)
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"push failed: {status} {answer}")
    return time.perf_counter() - started


def close_session(port: int, token: str, samples: list[dict]) -> None:
    body = push_body([], samples[0]["timestamp"], samples[-1]["timestamp"])
    status, answer = request(port, "POST", "/api/sync/push", body, token)
    if status != 200:
        raise RuntimeError(f"closing push failed: {status} {answer}")


def stored_count(port: int, token: str) -> int:
    status, answer = request(port, "GET", f"/api/sessions/{SESSION_ID}", None, token)
    if status != 200:
        raise RuntimeError(f"session detail failed: {status} {answer}")
    return sum(sensor["count"] for sensor in answer["sensors"])  # read through the store


def run(args: argparse.Namespace) -> None:
    samples = corpus_samples(args.seconds)
    raw_bytes = sum(len(orjson.dumps(s["data"])) + 8 for s in samples)
    print(f"corpus: {len(samples):,} samples ({args.seconds} s), pushed {args.batch} per request")
    recreate_database(args.database_url)
    os.environ["RATELIMIT_ENABLED"] = "false"  # measures storage, not the per-user limits
    migrate(args)
    empty = sample_storage(args.database_url)
    with tempfile.TemporaryDirectory(prefix="storage-bench-") as log_dir:
        server = start_server(args, 3, Path(log_dir))
        try:
            wait_healthy(server)
            token = register_user(server.port)
            seconds = push_all(server.port, token, samples, args.batch)
            print(f"push: {len(samples) / seconds:,.0f} samples/s")
            open_bytes = sample_storage(args.database_url) - empty
            open_rows, open_chunks, _ = chunk_facts(args.database_url)
            close_session(server.port, token, samples)
            compaction_seconds = compact_samples(args)
            rows, chunks, in_chunks = chunk_facts(args.database_url)
            closed_bytes = sample_storage(args.database_url) - empty
            closed_full = sample_storage(args.database_url, full=True) - empty
            count = stored_count(server.port, token)
        finally:
            stop_server(server)
    if count != len(samples) or rows or in_chunks != len(samples):
        raise RuntimeError(
            f"expected {len(samples)} samples in chunks and none in rows: session says {count},"
            f" {rows} rows, {in_chunks} in chunks"
        )
    n = len(samples)
    print(f"compaction: {n / compaction_seconds:,.0f} samples/s ({chunks} chunks, flask CLI)")
    print(f"raw JSON of the samples' data + 8-byte timestamps: {raw_bytes / n:.1f} B/sample")
    print(
        f"open session: {open_bytes / n:.1f} B/sample ({open_bytes:,} bytes; {open_chunks} chunks"
        f" appended by the pushes, {open_rows:,} samples as rows)"
    )
    print(
        f"closed session after VACUUM: {closed_bytes / n:.2f} B/sample ({closed_bytes:,} bytes;"
        " the rows' pages stay with sensor_data, free for later pushes)"
    )
    verdict = "ok" if closed_full / n <= TARGET_BYTES else "ABOVE TARGET"
    print(
        f"closed session after VACUUM FULL: {closed_full / n:.2f} B/sample ({closed_full:,} bytes;"
        f" target <= {TARGET_BYTES:g}: {verdict})"
    )
    keep_or_drop_database(args)


def main(argv: list[str] | None = None) -> int:
    return bench_main("storage_bench", run, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
