"""Pull benchmark: one streamed `POST /api/sync/pull` of a page holding millions of samples,
served by a single gunicorn worker whose resident memory is watched while it streams.

    .venv/bin/python bench/pull_bench.py [--samples 1000000] [--sessions 4] [--compact] [--keep]
        [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_pull_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it with `flask --app run init-db`.
 2. Starts `gunicorn -c gunicorn_config.py run:app` with ONE worker (so that worker's memory is
    the server's memory) and rate limiting off, registers a user and pushes the samples over
    HTTP (accelerometer, gyroscope and magnetometer at 100 Hz, batches of 5,000) into
    `--sessions` sessions. Every push must insert all of its samples. With `--compact`, the
    sessions are then moved into chunks (`flask compact-samples`), as after they close.
 3. Reads the worker's VmRSS, then does ONE pull `{"page_size": 100, "include_data": true}`,
    reading the response in 1 MiB pieces (never holding the body) and counting samples by
    counting `"timestamp":` in the stream, while a thread polls the worker's VmRSS every 50 ms.
    The count must equal `--samples` and the body must end with the page's tail object.
 4. Prints pull samples/s and MB/s, the response size and the worker's RSS before, peak during
    and growth, against the targets: >= 100,000 samples/s and < 100 MB growth.
 5. Stops gunicorn and drops the scratch database (unless `--keep`).

Reuses push_bench's database, server and sample helpers; only the standard library, psycopg2
and orjson are used.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.push_bench import (  # noqa: E402
    ROOT,
    Server,
    bench_main,
    busy_percent,
    checkpoint,
    compact_samples,
    count_samples,
    cpu_jiffies,
    database_name,
    free_port,
    keep_or_drop_database,
    migrate,
    push_body,
    recreate_database,
    register_user,
    request,
    server_env,
    session_samples,
    split_evenly,
    stop_server,
    wait_healthy,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_pull_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BATCH_SIZE = 5_000
PAGE_SIZE = 100
READ_SIZE = 1 << 20  # 1 MiB
POLL_SECONDS = 0.05
NEEDLE = b'"timestamp":'
TAIL_KEEP = 64 * 1024  # bytes of the body's end kept to check the tail object
MB = 1024 * 1024
TARGET_RATE = 100_000  # samples/s
TARGET_GROWTH_MB = 100


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000, help="samples to push and pull")
    parser.add_argument(
        "--sessions", type=int, default=4, help="recording sessions the samples are spread over"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="broker the server's /health checks (keeps the server off the SQLite broker file)",
    )
    parser.add_argument(
        "--compact",
        action="store_true",
        help="compact the pushed sessions into chunks first (as the server does after a close)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if min(args.samples, args.sessions) < 1:
        parser.error("--samples and --sessions must be positive")
    if args.sessions > PAGE_SIZE:
        parser.error(f"--sessions must be <= {PAGE_SIZE}: the benchmark pulls a single page")
    if "bench" not in database_name(args.database_url):
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


# --------------------------------------------------------------------------- server


def start_server(args: argparse.Namespace, log_dir: Path) -> Server:
    """The project's gunicorn config with one worker and no rate limits (200 pushes in a row
    would hit the push limit)."""
    port = free_port()
    log_path = log_dir / "gunicorn.log"
    env = server_env(
        args,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_CONTROL_SOCKET=str(log_dir / "gunicorn.ctl"),
        GUNICORN_WORKERS="1",
        RATELIMIT_ENABLED="false",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", "run:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, port, log_path)


def worker_pid(master: int) -> int:
    """The single worker: the master's only child (from /proc, else `ps --ppid`)."""
    children: list[int] = []
    for task in Path(f"/proc/{master}/task").glob("*"):
        try:
            children += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    if not children:
        done = subprocess.run(
            ["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True
        )
        children = [int(pid) for pid in done.stdout.split()]
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker under {master}, found {children}")
    return children[0]


def status_kb(pid: int, key: str) -> int | None:
    """A `VmRSS`/`VmHWM` line of /proc/<pid>/status in kB; None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_hwm(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux >= 4.0, our own child process), so
    VmHWM after the pull is the kernel's exact peak of the pull, spikes between polls included."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler(threading.Thread):
    """Polls a process's VmRSS until stopped and keeps the largest value seen."""

    def __init__(self, pid: int, interval: float = POLL_SECONDS) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.polls = 0
        self.vanished = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.poll()
            self._stop_event.wait(self.interval)
        self.poll()

    def poll(self) -> None:
        rss = status_kb(self.pid, "VmRSS")
        if rss is None:
            self.vanished = True
            return
        self.polls += 1
        self.peak_kb = max(self.peak_kb, rss)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# --------------------------------------------------------------------------- push


def push_samples(port: int, token: str, samples: int, sessions: int) -> tuple[int, float]:
    """Session after session, in time order, in batches of BATCH_SIZE over one connection.
    Samples are generated one session at a time, so the client never holds all of them."""
    rng = random.Random(7)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    requests = 0
    started = time.perf_counter()
    try:
        for index, count in enumerate(split_evenly(samples, sessions)):
            data = session_samples(index, count, rng)
            chunks = [data[i : i + BATCH_SIZE] for i in range(0, len(data), BATCH_SIZE)]
            for number, chunk in enumerate(chunks):
                body = orjson.dumps(push_body(index, chunk, last=number == len(chunks) - 1))
                status, answer = request(port, "POST", "/api/sync/push", body, token, connection)
                requests += 1
                if status != 200 or answer.get("inserted") != len(chunk):
                    raise RuntimeError(f"push {requests} failed: {status} {answer}")
    finally:
        connection.close()
    return requests, time.perf_counter() - started


# --------------------------------------------------------------------------- pull


@dataclass
class PullOutcome:
    seconds: float
    first_byte: float
    body_bytes: int
    samples: int
    tail: dict
    cpu_busy: float | None


def parse_tail(end: bytes) -> dict:
    """The page's closing object: `],"server_timestamp":…,"sync_log_id":…}`."""
    at = end.rfind(b'],"server_timestamp":')
    if at < 0 or b'"sync_log_id"' not in end[at:]:
        raise RuntimeError(f"response does not end with the page tail: …{end[-200:]!r}")
    try:
        return orjson.loads(b"{" + end[at + 2 :])
    except orjson.JSONDecodeError as error:
        raise RuntimeError(f"unparsable tail ({error}): …{end[-200:]!r}") from error


def pull_once(port: int, token: str) -> PullOutcome:
    """One pull, read incrementally: bytes counted, `"timestamp":` counted across chunk
    boundaries (the last len(NEEDLE) - 1 bytes of a chunk are carried into the next), only
    the last TAIL_KEEP bytes kept."""
    body = orjson.dumps({"page_size": PAGE_SIZE, "include_data": True})
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    size = samples = 0
    carry = end = b""
    cpu_before = cpu_jiffies()
    try:
        started = time.perf_counter()
        connection.request("POST", "/api/sync/pull", body=body, headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"pull failed: {response.status} {response.read()[:500]!r}")
        first_byte = None
        while chunk := response.read(READ_SIZE):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            window = carry + chunk
            samples += window.count(NEEDLE)
            # The carry (shorter than NEEDLE) cannot hold a whole, already counted needle.
            carry = window[-(len(NEEDLE) - 1) :]
            end = (end + chunk)[-TAIL_KEEP:]
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    return PullOutcome(
        seconds,
        first_byte or seconds,
        size,
        samples,
        parse_tail(end),
        busy_percent(cpu_before, cpu_jiffies()),
    )


# --------------------------------------------------------------------------- run


def report(
    args: argparse.Namespace,
    pulled: PullOutcome,
    rss_before_kb: int,
    sampler: RssSampler,
    hwm_after_kb: int | None,
) -> None:
    rate = pulled.samples / pulled.seconds
    before = rss_before_kb / 1024
    sampled = max(sampler.peak_kb, rss_before_kb) / 1024
    # VmHWM was reset just before the pull: it catches what 50 ms polling may miss.
    peak = max(sampled, (hwm_after_kb or 0) / 1024)
    growth = peak - before
    print(
        f"pull: {rate:,.0f} samples/s ({pulled.samples:,} samples, {pulled.seconds:.2f} s, "
        f"first byte after {pulled.first_byte * 1000:,.0f} ms)"
    )
    print(
        f"pull throughput: {pulled.body_bytes / MB / pulled.seconds:,.1f} MB/s; response "
        f"{pulled.body_bytes:,} bytes ({pulled.body_bytes / MB:,.1f} MB, "
        f"{pulled.body_bytes / pulled.samples:.1f} bytes/sample)"
    )
    if pulled.cpu_busy is not None:
        print(f"pull cpu: {pulled.cpu_busy:.0f}% of {os.cpu_count()} cores busy (whole machine)")
    print(
        f"worker rss: before {before:,.1f} MB, peak during {peak:,.1f} MB, growth {growth:,.1f} MB"
    )
    hwm = "not available" if hwm_after_kb is None else f"{hwm_after_kb / 1024:,.1f} MB"
    print(
        f"worker rss peak sources: polled {sampled:,.1f} MB ({sampler.polls} polls every "
        f"{POLL_SECONDS * 1000:.0f} ms), VmHWM reset before the pull {hwm}"
    )
    verdict = "ok" if rate >= TARGET_RATE else "BELOW TARGET"
    print(f"target pull >= {TARGET_RATE:,} samples/s: {verdict}")
    verdict = "ok" if growth < TARGET_GROWTH_MB else "ABOVE TARGET"
    print(f"target rss growth < {TARGET_GROWTH_MB} MB: {verdict}")


def run(args: argparse.Namespace) -> None:
    print(
        f"config: samples={args.samples:,} sessions={args.sessions} batch={BATCH_SIZE:,} "
        f"page_size={PAGE_SIZE} gunicorn_workers=1 cores={os.cpu_count()} "
        f"database={database_name(args.database_url)}"
    )
    recreate_database(args.database_url)
    try:
        migrate(args)
        with tempfile.TemporaryDirectory(prefix="pull_bench_") as log_dir:
            server = start_server(args, Path(log_dir))
            try:
                wait_healthy(server)
                token = register_user(server.port)
                try:
                    requests, push_seconds = push_samples(
                        server.port, token, args.samples, args.sessions
                    )
                except (RuntimeError, OSError):
                    print(server.log_tail(), file=sys.stderr)
                    raise
                print(
                    f"pushed: {args.samples:,} samples in {requests} requests, "
                    f"{push_seconds:.1f} s ({args.samples / push_seconds:,.0f} samples/s)"
                )
                stored = count_samples(args.database_url)
                if stored != args.samples:
                    raise RuntimeError(
                        f"the database holds {stored:,} samples, pushed {args.samples:,}"
                    )
                if args.compact:
                    print(f"compacted into chunks: {compact_samples(args):.1f} s")
                checkpoint(args.database_url)

                pid = worker_pid(server.process.pid)
                rss_before = status_kb(pid, "VmRSS")
                hwm_reset = reset_hwm(pid)
                if rss_before is None:
                    raise RuntimeError(f"cannot read /proc/{pid}/status")
                sampler = RssSampler(pid)
                sampler.start()
                try:
                    pulled = pull_once(server.port, token)
                except (RuntimeError, OSError):
                    sampler.stop()
                    print(server.log_tail(), file=sys.stderr)
                    raise
                sampler.stop()
                hwm_after = status_kb(pid, "VmHWM") if hwm_reset else None
                if sampler.vanished or worker_pid(server.process.pid) != pid:
                    raise RuntimeError("the gunicorn worker was replaced during the pull")
            finally:
                stop_server(server)

        if pulled.samples != args.samples:
            raise RuntimeError(f"pull returned {pulled.samples:,} samples, not {args.samples:,}")
        tail = pulled.tail
        if tail.get("total") != args.sessions or tail.get("has_more") is not False:
            raise RuntimeError(f"unexpected page tail: {tail}")
        print(
            f"verified: {pulled.samples:,} samples, tail with sync_log_id={tail['sync_log_id']}, "
            f"total={tail['total']}, has_more={tail['has_more']}"
        )
        report(args, pulled, rss_before, sampler, hwm_after)
    finally:
        keep_or_drop_database(args)


def main(argv: list[str] | None = None) -> int:
    return bench_main("pull_bench", run, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
