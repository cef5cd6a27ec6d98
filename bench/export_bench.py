"""Export benchmark: one streamed `GET /api/sessions/<id>/export` of a 1,000,000-sample session,
served by a single gunicorn worker whose resident memory is watched while it streams.

    .venv/bin/python bench/export_bench.py [--samples 1000000] [--format csv|ndjson|parquet]
        [--compact] [--keep] [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_export_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it.
 2. Starts gunicorn with ONE worker (pull_bench's server), registers a user and pushes the
    samples over HTTP into ONE session (accelerometer, gyroscope, magnetometer at 100 Hz).
 3. With `--compact`, moves the session into chunks (`flask compact-samples`), as the server
    does after a session closes.
 4. Reads the worker's VmRSS and resets its VmHWM, then downloads the export in 1 MiB pieces
    (never holding the body, except a Parquet file, whose footer counts its rows), counting
    lines, while a thread polls VmRSS every 50 ms.
 5. Checks the header and that there is one line (row) per sample, then prints samples/s, MB/s and
    the worker's RSS before, at its peak and the growth (target: flat, < 100 MB).
 6. Stops gunicorn and drops the scratch database (unless `--keep`).
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pull_bench import (  # noqa: E402
    READ_SIZE,
    RssSampler,
    push_samples,
    reset_hwm,
    start_server,
    status_kb,
    worker_pid,
)
from bench.push_bench import (  # noqa: E402
    bench_main,
    checkpoint,
    compact_samples,
    count_samples,
    database_name,
    keep_or_drop_database,
    migrate,
    recreate_database,
    register_user,
    session_uuid,
    stop_server,
    wait_healthy,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_export_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
MB = 1024 * 1024
TARGET_GROWTH_MB = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "ndjson", "parquet"), default="csv")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--compact",
        action="store_true",
        help="compact the pushed sessions into chunks first (as the server does after a close)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be positive")
    if "bench" not in database_name(args.database_url):
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


def download(port: int, token: str, fmt: str) -> tuple[float, int, int, bytes, int | None]:
    """(seconds, bytes, lines, first line, Parquet rows) of one export, read incrementally; a
    Parquet file is kept (it is binary: its footer says how many rows it holds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    path = f"/api/sessions/{session_uuid(0)}/export?format={fmt}"
    size = lines = 0
    head = b""
    parquet = io.BytesIO() if fmt == "parquet" else None
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"export failed: {response.status} {response.read()[:500]!r}")
        while chunk := response.read(READ_SIZE):
            if len(head) < 4096:
                head += chunk[:4096]
            size += len(chunk)
            lines += chunk.count(b"\n")
            if parquet is not None:
                parquet.write(chunk)
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    rows = None if parquet is None else pq.read_metadata(parquet).num_rows
    return seconds, size, lines, head.split(b"\n", 1)[0], rows


def run(args: argparse.Namespace) -> None:
    print(
        f"config: samples={args.samples:,} format={args.format} gunicorn_workers=1 "
        f"cores={os.cpu_count()} database={database_name(args.database_url)}"
    )
    recreate_database(args.database_url)
    try:
        migrate(args)
        with tempfile.TemporaryDirectory(prefix="export_bench_") as log_dir:
            server = start_server(args, Path(log_dir))
            try:
                wait_healthy(server)
                token = register_user(server.port)
                requests, push_seconds = push_samples(server.port, token, args.samples, 1)
                print(
                    f"pushed: {args.samples:,} samples in {requests} requests, {push_seconds:.1f} s"
                )
                if (stored := count_samples(args.database_url)) != args.samples:
                    raise RuntimeError(
                        f"the database holds {stored:,} samples, pushed {args.samples:,}"
                    )
                if args.compact:
                    print(f"compacted into chunks: {compact_samples(args):.1f} s")
                checkpoint(args.database_url)

                pid = worker_pid(server.process.pid)
                rss_before = status_kb(pid, "VmRSS")
                hwm_reset = reset_hwm(pid)
                sampler = RssSampler(pid)
                sampler.start()
                try:
                    seconds, size, lines, header, rows = download(server.port, token, args.format)
                finally:
                    sampler.stop()
                hwm_after = status_kb(pid, "VmHWM") if hwm_reset else None
                if sampler.vanished or worker_pid(server.process.pid) != pid:
                    raise RuntimeError("the gunicorn worker was replaced during the export")
            finally:
                stop_server(server)
        if args.format == "parquet":
            lines = rows  # a binary file: the rows its footer counts
        expected = args.samples + (1 if args.format == "csv" else 0)
        if lines != expected:
            raise RuntimeError(f"export has {lines:,} lines, expected {expected:,}")
        if args.format == "csv" and not header.startswith(b'"sensor_type","timestamp",'):
            raise RuntimeError(f"unexpected CSV header {header[:200]!r}")
        before = (rss_before or 0) / 1024
        peak = max(sampler.peak_kb, rss_before or 0, hwm_after or 0) / 1024
        print(f"verified: {lines:,} lines; header {header[:80].decode(errors='replace')!r}")
        print(
            f"export: {args.samples / seconds:,.0f} samples/s ({seconds:.2f} s), "
            f"{size / MB / seconds:,.1f} MB/s, {size / MB:,.1f} MB"
        )
        growth = peak - before
        print(f"worker rss: before {before:,.1f} MB, peak {peak:,.1f} MB, growth {growth:,.1f} MB")
        verdict = "ok" if growth < TARGET_GROWTH_MB else "ABOVE TARGET"
        print(f"target rss growth < {TARGET_GROWTH_MB} MB: {verdict}")
    finally:
        keep_or_drop_database(args)


def main(argv: list[str] | None = None) -> int:
    return bench_main("export_bench", run, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
