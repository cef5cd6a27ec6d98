"""Push throughput benchmark: the real server under gunicorn against PostgreSQL, compared with
a plain COPY of the same rows into an identical table.

    .venv/bin/python bench/push_bench.py [--samples 200000] [--batch 5000] [--clients 4]
        [--sessions 8] [--workers N] [--keep]
        [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_bench]

What it does, in order:
 1. (Re)creates the scratch database and migrates it with `flask --app run init-db`.
 2. Starts `gunicorn -c gunicorn_config.py run:app` on a free loopback port, registers a user
    and pushes the samples over HTTP (`POST /api/sync/push`) from N client threads, each
    client owning its own sessions (as phones do: one phone pushes its sessions in order).
    Every response is checked (200, every sample inserted) and so is the final row count.
 3. COPYs the same rows into `sensor_data_copy (LIKE sensor_data INCLUDING ALL)`: the ceiling
    of what PostgreSQL can ingest with the same table, keys and indexes.
 4. Prints samples/s for both, their ratio, push latency percentiles and bytes on disk per
    stored sample for both tables (after `VACUUM (ANALYZE)`, see table_size()).
 5. Stops gunicorn and drops the scratch database (unless `--keep`).

The machine's CPU load is printed before the run and during the push: the server, PostgreSQL
and the clients share the cores, so a run next to other busy processes is not comparable.
`--gunicorn-config` and `--app` let an experiment run a patched copy of the config or the app
without touching the project's files.

Only the standard library, psycopg2 and orjson (both already app dependencies) are used.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import secrets
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.payloads: the push payload builders tests use too
from tests import payloads  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/koodtx_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SAMPLE_TABLES = ("sensor_data", "sample_chunks")
SAMPLE_RATE_HZ = 100
SENSORS = ("accelerometer", "gyroscope", "magnetometer")
# Roughly what a phone lying on a table reports: gravity on z, little rotation, the Earth's
# field (µT) — with noise so that every value is distinct.
SENSOR_BASELINE = {
    "accelerometer": ((0.05, 0.15, 9.81), 0.2),
    "gyroscope": ((0.0, 0.0, 0.0), 0.05),
    "magnetometer": ((22.0, -4.5, -41.0), 1.5),
}
SESSION_START = datetime(2025, 11, 13, 8, 0, tzinfo=UTC)
COPY_COLUMNS = (
    "timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data, user_id"
)


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200_000, help="samples to push in total")
    parser.add_argument("--batch", type=int, default=5_000, help="samples per push request")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument(
        "--overlap",
        type=float,
        default=0.0,
        help="fraction of a batch each batch repeats from the one before (0 to 0.9)",
    )
    parser.add_argument(
        "--sessions", type=int, default=8, help="recording sessions the samples are spread over"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: CPU cores + 1, see default_workers())",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="broker the server's /health checks (keeps the server off the SQLite broker file)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--gunicorn-config",
        default="gunicorn_config.py",
        help="for experiments: another gunicorn config (path relative to the project root)",
    )
    parser.add_argument(
        "--app", default="run:app", help="for experiments: another WSGI app (module:variable)"
    )
    args = parser.parse_args(argv)
    if min(args.samples, args.batch, args.clients, args.sessions) < 1:
        parser.error("--samples, --batch, --clients and --sessions must be positive")
    if not 0 <= args.overlap <= 0.9:
        parser.error("--overlap must be between 0 and 0.9")
    if "bench" not in database_name(args.database_url):
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


def parse_scratch_args(
    parser: argparse.ArgumentParser, argv: list[str] | None, database_url: str
) -> argparse.Namespace:
    """Add the options every server benchmark shares (its scratch database, Redis, --keep),
    parse, and refuse a database whose name does not say it may be dropped."""
    parser.add_argument("--database-url", default=database_url)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    args.gunicorn_config, args.app = "gunicorn_config.py", "run:app"
    if "bench" not in database_name(args.database_url):
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


def default_workers() -> int:
    """Sync workers block on PostgreSQL for part of each push, so one worker more than there
    are cores keeps the CPUs busy; more only adds contention with PostgreSQL for the cores."""
    return (os.cpu_count() or 1) + 1


# --------------------------------------------------------------------------- database admin


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def maintenance_url(url: str) -> str:
    """The same server's `postgres` database, from which the scratch one is created/dropped."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def libpq_url(url: str) -> str:
    """libpq does not know SQLAlchemy's `+driver` suffix."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@contextmanager
def autocommit_connection(url: str) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(libpq_url(url))
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def recreate_database(url: str) -> None:
    """A fresh database every run, so sizes and timings do not depend on earlier runs."""
    drop_database(url)
    name = sql.Identifier(database_name(url))
    with autocommit_connection(maintenance_url(url)) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(url: str) -> None:
    """FORCE ends connections a crashed earlier run may have left behind."""
    name = sql.Identifier(database_name(url))
    with autocommit_connection(maintenance_url(url)) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def keep_or_drop_database(args: argparse.Namespace) -> None:
    """The end of every benchmark run: drop the scratch database unless `--keep` was given."""
    if args.keep:
        print(f"kept database {database_name(args.database_url)}")
    else:
        drop_database(args.database_url)


def server_env(args: argparse.Namespace, **extra: str) -> dict[str, str]:
    """Environment of the server processes: our database and broker, whatever `.env` says
    (python-dotenv does not override variables that are already set)."""
    env = dict(os.environ)
    env.update(
        APP_ENV="development",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        CELERY_RESULT_BACKEND=args.redis_url,
        JWT_SECRET_KEY=secrets.token_hex(32),
        SECRET_KEY=secrets.token_hex(32),
        **extra,
    )
    return env


def run_flask(args: argparse.Namespace, *command: str) -> None:
    """`flask --app run <command>` against the benchmark's database, as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", *command],
        cwd=ROOT,
        env=server_env(args),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {command[0]} failed:\n{done.stdout}{done.stderr}")


def migrate(args: argparse.Namespace) -> None:
    """The schema comes from the migrations, exactly as an operator would create it."""
    run_flask(args, "init-db")


def compact_samples(args: argparse.Namespace) -> float:
    """Move every session's rows into chunks with `flask compact-samples` (what the Celery task
    does after a session closes); returns the seconds it took."""
    started = time.perf_counter()
    run_flask(args, "compact-samples", "--idle-minutes", "0")
    return time.perf_counter() - started


def checkpoint(url: str) -> None:
    """Start each timed phase with no dirty buffers left over from the previous one, so a
    checkpoint triggered by the other phase's writes is not billed to this one."""
    with autocommit_connection(url) as connection, connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


# --------------------------------------------------------------------------- host load


def cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine from /proc/stat; None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    values = [int(value) for value in fields]  # user … steal; guest time is inside user
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] == before[1]:
        return None
    return 100 * (after[0] - before[0]) / (after[1] - before[1])


def background_load(seconds: float = 1.0) -> float | None:
    """How busy the machine is before we start. Server, PostgreSQL and clients need every
    core, so figures taken while something else runs are not comparable with other runs."""
    before = cpu_jiffies()
    time.sleep(seconds)
    return busy_percent(before, cpu_jiffies())


# --------------------------------------------------------------------------- sample data


@dataclass(frozen=True)
class Batch:
    """One push request, encoded before the clock starts."""

    session_index: int
    samples: list[dict]
    body: bytes
    repeated: int = 0  # samples at the start sent before (duplicates, with --overlap)


def float32(value: float) -> float:
    """Android's SensorEvent.values are float32; JavaScript sees them widened to double, so
    a phone sends e.g. 9.810000419616699, not 9.81. That is what ends up in `data`."""
    return struct.unpack("f", struct.pack("f", value))[0]


def session_uuid(index: int) -> str:
    return f"00000000-bench-4000-8000-{index:012d}"


def session_samples(index: int, count: int, rng: random.Random) -> list[dict]:
    """`count` samples of one session: the three sensors at 100 Hz, interleaved by time, as a
    phone buffers them. Keys (sensor_type, timestamp) are unique within the session."""
    start_ms = int((SESSION_START + timedelta(hours=index)).timestamp() * 1000)
    step_ms = 1000 // SAMPLE_RATE_HZ
    samples = []
    for i in range(count):
        sensor = SENSORS[i % len(SENSORS)]
        (bx, by, bz), noise = SENSOR_BASELINE[sensor]
        samples.append(
            payloads.sample(
                start_ms + (i // len(SENSORS)) * step_ms,
                sensor,
                x=float32(rng.gauss(bx, noise)),
                y=float32(rng.gauss(by, noise)),
                z=float32(rng.gauss(bz, noise)),
            )
        )
    return samples


def split_evenly(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def build_batches(
    samples: int, batch_size: int, sessions: int, seed: int = 7, overlap: float = 0.0
) -> list[Batch]:
    """All push requests, session by session, each session cut into batches in time order.
    With `overlap`, each batch but a session's first starts with that fraction of a batch
    sent again from the one before (as a phone's retry after a lost answer would)."""
    rng = random.Random(seed)
    batches = []
    for index, count in enumerate(split_evenly(samples, sessions)):
        data = session_samples(index, count, rng)
        chunks = [data[i : i + batch_size] for i in range(0, len(data), batch_size)]
        for number, chunk in enumerate(chunks):
            repeated = int(batch_size * overlap) if number else 0
            sent = chunks[number - 1][len(chunks[number - 1]) - repeated :] + chunk
            body = push_body(index, sent, last=number == len(chunks) - 1)
            batches.append(Batch(index, sent, orjson.dumps(body), repeated))
    return batches


def push_body(session_index: int, samples: list[dict], *, last: bool) -> dict:
    """The request a phone sends: session metadata on every push, closed with the last one."""
    start = SESSION_START + timedelta(hours=session_index)
    session = {
        "start_time": start.isoformat().replace("+00:00", "Z"),
        "enabled_sensors": list(SENSORS),
        "sample_rate": SAMPLE_RATE_HZ,
        "notes": "push benchmark",
        "is_active": not last,
    }
    if last:
        end_ms = samples[-1]["timestamp"]
        end = datetime.fromtimestamp(end_ms / 1000, UTC)
        session["end_time"] = end.isoformat().replace("+00:00", "Z")
    return payloads.push_body(session_uuid(session_index), samples, **session)


def assign_to_clients(batches: list[Batch], clients: int) -> list[list[Batch]]:
    """Each client owns whole sessions (round robin by session), like one phone per session
    set: concurrent pushes then never queue on the same session's row lock."""
    queues: list[list[Batch]] = [[] for _ in range(clients)]
    for batch in batches:
        queues[batch.session_index % clients].append(batch)
    return [queue for queue in queues if queue]


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def start_server(args: argparse.Namespace, workers: int, log_dir: Path) -> Server:
    """gunicorn with the project's own config; only bind and worker count are overridden.
    Its log goes to a file (printed if something fails) so it does not interleave with ours."""
    port = free_port()
    log_path = log_dir / "gunicorn.log"
    env = server_env(
        args,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_CONTROL_SOCKET=str(log_dir / "gunicorn.ctl"),
        GUNICORN_WORKERS=str(workers),
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", args.gunicorn_config, args.app],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop gunicorn ourselves
        )
    return Server(process, port, log_path)


def wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log_tail()}")
        try:
            status, _ = request(server.port, "GET", "/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/health did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM is gunicorn's graceful shutdown; SIGKILL only if it hangs."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=35)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


# --------------------------------------------------------------------------- HTTP client


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    token: str | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, dict]:
    """One JSON request. A passed connection is reused (it reopens itself when the server
    closes it, which gunicorn's sync workers do after every response)."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        if connection is None:
            conn.close()
    return response.status, orjson.loads(payload) if payload else {}


def register_user(port: int) -> str:
    name = f"bench_{secrets.token_hex(4)}"
    credentials = {"username": name, "email": f"{name}@example.com", "password": "bench-pass-1"}
    status, body = request(port, "POST", "/api/auth/register", orjson.dumps(credentials))
    if status != 201:
        raise RuntimeError(f"register failed: {status} {body}")
    return body["access_token"]


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    started: float = float("inf")
    finished: float = 0.0
    error: str | None = None


def check_push(batch: Batch, status: int, body: dict) -> str | None:
    """Every new sample of a batch must be inserted, the repeated ones found duplicates:
    nothing updated or lost."""
    expected = len(batch.samples) - batch.repeated
    if status != 200:
        return f"status {status}: {body}"
    got = {k: body.get(k) for k in ("inserted", "updated", "duplicates", "errors")}
    wanted = {"inserted": expected, "updated": 0, "duplicates": batch.repeated, "errors": 0}
    if got != wanted:
        return f"expected {wanted}, got {got}"
    return None


def run_client(
    port: int, token: str, batches: list[Batch], start: threading.Barrier, result: ClientResult
) -> None:
    """Push this client's batches one after the other, timing each request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        start.wait()
        result.started = time.perf_counter()
        for batch in batches:
            sent = time.perf_counter()
            status, body = request(port, "POST", "/api/sync/push", batch.body, token, connection)
            result.latencies.append(time.perf_counter() - sent)
            if problem := check_push(batch, status, body):
                result.error = problem
                return
        result.finished = time.perf_counter()
    except Exception as error:  # reported by the main thread
        result.error = repr(error)
    finally:
        connection.close()


@dataclass
class PushOutcome:
    seconds: float
    latencies: list[float]
    requests: int
    cpu_busy: float | None  # % of all cores busy while pushing (whole machine)
    repeated: int = 0  # samples sent a second time (--overlap)


def push_all(port: int, token: str, queues: list[list[Batch]]) -> PushOutcome:
    """All clients start together; the wall clock runs from the first request sent to the
    last response received."""
    barrier = threading.Barrier(len(queues))
    results = [ClientResult() for _ in queues]
    threads = [
        threading.Thread(target=run_client, args=(port, token, queue, barrier, result), daemon=True)
        for queue, result in zip(queues, results, strict=True)
    ]
    cpu_before = cpu_jiffies()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_busy = busy_percent(cpu_before, cpu_jiffies())
    errors = [r.error for r in results if r.error]
    if errors:
        raise RuntimeError(f"push failed: {errors[0]}")
    latencies = sorted(latency for r in results for latency in r.latencies)
    seconds = max(r.finished for r in results) - min(r.started for r in results)
    repeated = sum(batch.repeated for queue in queues for batch in queue)
    return PushOutcome(seconds, latencies, len(latencies), cpu_busy, repeated)


# --------------------------------------------------------------------------- COPY baseline


def copy_text(value: str) -> str:
    """Escape a value for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def session_pks(url: str, sessions: int) -> dict[int, tuple[int, int]]:
    """(database id, user id) of the pushed sessions, so the copied rows carry the same keys."""
    wanted = [session_uuid(i) for i in range(sessions)]
    with closing(psycopg2.connect(libpq_url(url))) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id, id, user_id FROM recording_sessions WHERE session_id = ANY(%s)",
            (wanted,),
        )
        by_uuid = {uuid: (pk, user) for uuid, pk, user in cursor.fetchall()}
    return {i: by_uuid[session_uuid(i)] for i in range(sessions)}


def sensor_type_ids(url: str) -> dict[str, int]:
    """The ids the push gave the sensor type names (samples store the id)."""
    with closing(psycopg2.connect(libpq_url(url))) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name, id FROM sensor_types")
        return dict(cursor.fetchall())


def copy_buffer(
    batches: list[Batch], pks: dict[int, tuple[int, int]], types: dict[str, int]
) -> io.StringIO:
    """The same rows the push wrote, as COPY text. Built before the clock starts."""
    stamp = datetime.now(UTC).isoformat()
    lines = []
    for batch in batches:
        pk, user = pks[batch.session_index]
        for sample in batch.samples[batch.repeated :]:
            data = copy_text(orjson.dumps(sample["data"]).decode())
            type_id = types[sample["sensor_type"]]
            lines.append(
                f"{sample['timestamp']}\t{stamp}\t{stamp}\t{pk}\t{type_id}\t{data}\t{user}\n"
            )
    return io.StringIO("".join(lines))


def copy_rows(url: str, buffer: io.StringIO) -> float:
    """COPY into a table with the same columns, defaults, PK and dedup index; times COPY +
    commit only."""
    with closing(psycopg2.connect(libpq_url(url))) as connection:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sensor_data_copy")
            cursor.execute("CREATE TABLE sensor_data_copy (LIKE sensor_data INCLUDING ALL)")
        connection.commit()
        checkpoint(url)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY sensor_data_copy ({COPY_COLUMNS}) FROM STDIN", buffer)
        connection.commit()
        return time.perf_counter() - started


# --------------------------------------------------------------------------- measurements


@dataclass
class TableSize:
    rows: int
    total: int
    heap: int
    indexes: int
    toast: int

    @property
    def per_row(self) -> float:
        return self.total / self.rows if self.rows else float("nan")


def table_size(url: str, table: str) -> TableSize:
    """Bytes on disk after `VACUUM (ANALYZE)`: it sets hint bits and builds the visibility
    and free-space maps a table carries in steady state, so both tables are measured alike.
    (File sizes are exact without a CHECKPOINT: PostgreSQL extends files when it allocates.)"""
    with autocommit_connection(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(
            f"""SELECT (SELECT count(*) FROM {table}),
                       pg_total_relation_size(%(t)s), pg_relation_size(%(t)s),
                       pg_indexes_size(%(t)s),
                       pg_total_relation_size(%(t)s) - pg_relation_size(%(t)s)
                         - pg_relation_size(%(t)s, 'fsm') - pg_relation_size(%(t)s, 'vm')
                         - pg_indexes_size(%(t)s)""",
            {"t": table},
        )
        return TableSize(*cursor.fetchone())


def count_samples(url: str) -> int:
    """Samples stored, as rows and in chunks."""
    with closing(psycopg2.connect(libpq_url(url))) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM sensor_data)"
            " + (SELECT coalesce(sum(sample_count), 0) FROM sample_chunks)"
        )
        return cursor.fetchone()[0]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: with few requests it reports a real one)."""
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[int(rank) - 1]


# --------------------------------------------------------------------------- report


def report(
    args: argparse.Namespace,
    pushed: PushOutcome,
    copy_seconds: float,
    sizes: dict[str, TableSize],
) -> None:
    push_rate = args.samples / pushed.seconds
    copy_rate = args.samples / copy_seconds
    ratio = push_rate / copy_rate
    lat = pushed.latencies
    ms = 1000
    print(
        f"push: {push_rate:,.0f} samples/s "
        f"({args.samples:,} samples, {pushed.requests} requests, {pushed.seconds:.2f} s)"
    )
    if args.overlap:
        sent = args.samples + pushed.repeated
        print(f"sent: {sent / pushed.seconds:,.0f} samples/s ({pushed.repeated:,} sent twice)")
    print(
        f"push latency: p50 {percentile(lat, 0.5) * ms:,.0f} ms, "
        f"p95 {percentile(lat, 0.95) * ms:,.0f} ms, max {lat[-1] * ms:,.0f} ms"
    )
    if pushed.cpu_busy is not None:
        print(f"push cpu: {pushed.cpu_busy:.0f}% of {os.cpu_count()} cores busy (whole machine)")
    print(f"copy: {copy_rate:,.0f} samples/s ({args.samples:,} rows, {copy_seconds:.2f} s)")
    verdict = "ok" if ratio >= 1.0 else "BELOW TARGET"
    print(f"ratio push/copy: {ratio:.2f} (target >= 1.0: {verdict})")
    stored = sum(size.total for table, size in sizes.items() if table in SAMPLE_TABLES)
    rows = sizes["sensor_data"].rows
    print(
        f"bytes/sample stored by the push: {stored / args.samples:.1f} "
        f"({rows:,} samples as rows, {args.samples - rows:,} in chunks; "
        f"{sizes['sample_chunks'].rows:,} chunks; total {stored:,} bytes)"
    )
    copied = sizes["sensor_data_copy"]
    print(
        f"bytes/sample COPY table: {copied.per_row:.1f} (heap {copied.heap / copied.rows:.1f}, "
        f"indexes {copied.indexes / copied.rows:.1f}, toast {copied.toast / copied.rows:.1f})"
    )


def run(args: argparse.Namespace) -> None:
    workers = args.workers or default_workers()
    print(
        f"config: samples={args.samples:,} batch={args.batch:,} clients={args.clients} "
        f"sessions={args.sessions} gunicorn_workers={workers} cores={os.cpu_count()} "
        f"database={database_name(args.database_url)}"
    )
    if (args.gunicorn_config, args.app) != ("gunicorn_config.py", "run:app"):
        print(f"experiment: gunicorn -c {args.gunicorn_config} {args.app}")
    idle_check = background_load()
    if idle_check is not None:
        warning = " - other processes are running, figures are noisy" if idle_check > 15 else ""
        print(f"host: {idle_check:.0f}% cpu busy before the run{warning}")
    batches = build_batches(args.samples, args.batch, args.sessions, overlap=args.overlap)
    queues = assign_to_clients(batches, args.clients)
    if len(queues) < args.clients:
        print(f"note: only {len(queues)} clients have work (--sessions {args.sessions})")

    recreate_database(args.database_url)
    try:
        migrate(args)
        with tempfile.TemporaryDirectory(prefix="push_bench_") as log_dir:
            server = start_server(args, workers, Path(log_dir))
            try:
                wait_healthy(server)
                token = register_user(server.port)
                checkpoint(args.database_url)
                try:
                    pushed = push_all(server.port, token, queues)
                except RuntimeError:
                    print(server.log_tail(), file=sys.stderr)
                    raise
            finally:
                stop_server(server)

        stored = count_samples(args.database_url)
        if stored != args.samples:
            raise RuntimeError(f"the database holds {stored:,} samples, pushed {args.samples:,}")
        print(f"verified: all {pushed.requests} responses 200/all inserted, {stored:,} samples")

        buffer = copy_buffer(
            batches,
            session_pks(args.database_url, args.sessions),
            sensor_type_ids(args.database_url),
        )
        copy_seconds = copy_rows(args.database_url, buffer)
        tables = (*SAMPLE_TABLES, "sensor_data_copy")
        sizes = {table: table_size(args.database_url, table) for table in tables}
        report(args, pushed, copy_seconds, sizes)
    finally:
        keep_or_drop_database(args)


def bench_main(name: str, run, parse_args, argv: list[str] | None) -> int:
    """Run a benchmark script; an expected failure prints one line and exits 1."""
    try:
        run(parse_args(argv))
    except (RuntimeError, OSError, psycopg2.Error) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    return bench_main("push_bench", run, parse_args, argv)


if __name__ == "__main__":
    sys.exit(main())
