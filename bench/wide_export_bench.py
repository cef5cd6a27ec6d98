"""Wide export benchmark: a gunicorn worker's memory while it exports a session that holds as
many data keys as the caps allow, as CSV and as Parquet.

    .venv/bin/python bench/wide_export_bench.py [--samples 200000] [--keys 256]
        [--keys-per-sample 64] [--formats csv,parquet] [--keep]
        [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_wide_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it; starts gunicorn with ONE worker.
 2. Pushes one session over HTTP: accelerometer, gyroscope and magnetometer at 100 Hz, every
    sample carrying `--keys-per-sample` (MAX_SAMPLE_KEYS, 64) of the same `--keys`
    (MAX_SESSION_SENSOR_KEYS, 256) keys in rotation, so each sensor type holds exactly the cap
    and a wide export has 256 data columns, a quarter of them filled per row.
 3. For each format: reads the worker's VmRSS, resets its VmHWM, downloads the export in 1 MiB
    pieces (the Parquet file into a temporary file, to check it) while a thread polls VmRSS
    every 50 ms; checks rows and columns; prints time, size and the worker's RSS before, at
    its peak and the growth.
 4. Stops gunicorn and drops the scratch database (unless `--keep`).
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pull_bench import (  # noqa: E402
    READ_SIZE,
    RssSampler,
    reset_hwm,
    start_server,
    status_kb,
    worker_pid,
)
from bench.push_bench import (  # noqa: E402
    SENSORS,
    SESSION_START,
    bench_main,
    checkpoint,
    count_samples,
    database_name,
    keep_or_drop_database,
    migrate,
    push_body,
    recreate_database,
    register_user,
    request,
    session_uuid,
    stop_server,
    wait_healthy,
)
from tests.payloads import sample  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_wide_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BATCH_SIZE = 2_000  # about 1.6 MB of JSON per push at 64 keys a sample
START_MS = int(SESSION_START.timestamp() * 1000)  # push_body's session 0 starts then
MB = 1024 * 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--keys", type=int, default=256, help="distinct keys per sensor type")
    parser.add_argument("--keys-per-sample", type=int, default=64)
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    args.formats = args.formats.split(",")
    if args.samples < 1 or not 0 < args.keys_per_sample <= args.keys:
        parser.error("need --samples > 0 and 0 < --keys-per-sample <= --keys")
    if set(args.formats) - {"csv", "parquet"}:
        parser.error("--formats takes csv and/or parquet")
    if "bench" not in database_name(args.database_url):
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


def wide_samples(first: int, count: int, keys: int, per_sample: int) -> list[dict]:
    """Samples `first` … `first + count - 1` of the session: sensors interleaved at 100 Hz, each
    with `per_sample` consecutive keys of `keys`, the window moving on by one sample."""
    names = [f"f{i:03d}" for i in range(keys)]
    out = []
    for i in range(first, first + count):
        offset = (i // len(SENSORS)) * per_sample % keys
        window = (names + names)[offset : offset + per_sample]
        data = {name: (i % 997) / 7 for name in window}
        out.append(sample(START_MS + (i // len(SENSORS)) * 10, SENSORS[i % len(SENSORS)], **data))
    return out


def push_wide(port: int, token: str, args: argparse.Namespace) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    requests = 0
    started = time.perf_counter()
    try:
        for first in range(0, args.samples, BATCH_SIZE):
            count = min(BATCH_SIZE, args.samples - first)
            batch = wide_samples(first, count, args.keys, args.keys_per_sample)
            last = first + count >= args.samples
            body = orjson.dumps(push_body(0, batch, last=last))
            status, answer = request(port, "POST", "/api/sync/push", body, token, connection)
            requests += 1
            if status != 200 or answer.get("inserted") != count:
                raise RuntimeError(f"push {requests} failed: {status} {str(answer)[:300]}")
    finally:
        connection.close()
    return requests, time.perf_counter() - started


def download(port: int, token: str, fmt: str, target: Path) -> tuple[float, int, int, bytes]:
    """(seconds, bytes, newlines, first line) of one export, read 1 MiB at a time; the body
    goes to `target` for Parquet (checked afterwards), nowhere for CSV."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    size = lines = 0
    head = b""
    started = time.perf_counter()
    try:
        connection.request(
            "GET",
            f"/api/sessions/{session_uuid(0)}/export?format={fmt}",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"export failed: {response.status} {response.read()[:500]!r}")
        with open(target, "wb") if fmt == "parquet" else open(os.devnull, "wb") as sink:
            while chunk := response.read(READ_SIZE):
                if len(head) < 65536:
                    head += chunk[:65536]
                size += len(chunk)
                lines += chunk.count(b"\n")
                sink.write(chunk)
    finally:
        connection.close()
    return time.perf_counter() - started, size, lines, head.split(b"\n", 1)[0]


def measure(port: int, token: str, fmt: str, args: argparse.Namespace, master: int) -> None:
    pid = worker_pid(master)
    with tempfile.TemporaryDirectory(prefix="wide_export_") as scratch:
        target = Path(scratch) / "export.parquet"
        before = status_kb(pid, "VmRSS") or 0
        hwm_reset = reset_hwm(pid)
        sampler = RssSampler(pid)
        sampler.start()
        try:
            seconds, size, lines, header = download(port, token, fmt, target)
        finally:
            sampler.stop()
        hwm = status_kb(pid, "VmHWM") if hwm_reset else None
        if sampler.vanished or worker_pid(master) != pid:
            raise RuntimeError("the gunicorn worker was replaced during the export")
        if fmt == "csv":
            rows, columns = lines - 1, len(header.split(b","))
        else:
            meta = pq.read_metadata(target)
            rows, columns = meta.num_rows, meta.num_columns
    if (rows, columns) != (args.samples, 2 + args.keys):
        raise RuntimeError(f"{fmt}: {rows:,} rows × {columns} columns, expected {args.samples:,}")
    peak = max(sampler.peak_kb, before, hwm or 0) / 1024
    print(
        f"{fmt}: {rows:,} rows × {columns} columns, {size / MB:,.1f} MB in {seconds:.2f} s "
        f"({args.samples / seconds:,.0f} samples/s); worker rss before {before / 1024:,.1f} MB, "
        f"peak {peak:,.1f} MB, growth {peak - before / 1024:,.1f} MB"
    )


def run(args: argparse.Namespace) -> None:
    print(
        f"config: samples={args.samples:,} keys={args.keys} per_sample={args.keys_per_sample} "
        f"gunicorn_workers=1 cores={os.cpu_count()} database={database_name(args.database_url)}"
    )
    recreate_database(args.database_url)
    try:
        migrate(args)
        with tempfile.TemporaryDirectory(prefix="wide_export_bench_") as log_dir:
            server = start_server(args, Path(log_dir))
            try:
                wait_healthy(server)
                token = register_user(server.port)
                requests, seconds = push_wide(server.port, token, args)
                print(f"pushed: {args.samples:,} samples in {requests} requests, {seconds:.1f} s")
                if (stored := count_samples(args.database_url)) != args.samples:
                    raise RuntimeError(f"the database holds {stored:,} samples")
                checkpoint(args.database_url)
                for fmt in args.formats:
                    measure(server.port, token, fmt, args, server.process.pid)
            finally:
                stop_server(server)
    finally:
        keep_or_drop_database(args)


def main(argv: list[str] | None = None) -> int:
    return bench_main("wide_export_bench", run, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
