"""Benchmark of the session analysis tasks on PostgreSQL (not a test).

Builds a scratch database with one session of N samples (default 1,000,000: accelerometer and
gyroscope at 100 Hz, GPS at 1 Hz, loaded with COPY), then times the task bodies of
`analyze_sensor_data`, `detect_anomalies` and `calculate_session_metrics` — database read,
pandas work and the stored result row included — each in a fresh process, and reports
samples/s and that process's peak resident memory (VmHWM, else ru_maxrss).

    .venv/bin/python bench/analysis_bench.py [--samples 1000000] [--database-url URL] [--compact]
        [--keep]

With `--compact` the session is first moved into chunks (as the server does after a close), so
the tasks read typed columns from Arrow instead of JSON rows.

Targets: >= 200,000 samples/s per task, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T0_MS = 1_763_000_000_000
# analyze_session (all three from one read) is what the API and the push hook start.
TASKS = ("analyze_sensor_data", "detect_anomalies", "calculate_session_metrics", "analyze_session")
TARGET_RATE = 200_000
TARGET_PEAK_MB = 1024


def _settings(url: str) -> dict:
    scratch = Path(tempfile.gettempdir())
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "CELERY_BROKER_URL": f"sqla+sqlite:///{scratch / 'bench-broker.db'}",
        "CELERY_RESULT_BACKEND": f"db+sqlite:///{scratch / 'bench-results.db'}",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _xyz_rows(type_id: int, count: int, step_ms: int, rng, spikes: bool) -> list[tuple]:
    ts = T0_MS + step_ms * np.arange(count, dtype=np.int64)
    values = rng.normal([0.0, 0.0, 9.81], 0.3, size=(count, 3))
    if spikes:
        values[rng.choice(count, size=count // 2000, replace=False), 2] += 25.0
    return [
        (t, f'{type_id}\t{{"x": {x:.5f}, "y": {y:.5f}, "z": {z:.5f}}}')
        for t, (x, y, z) in zip(ts.tolist(), values.tolist(), strict=True)
    ]


def _gps_rows(type_id: int, count: int, rng) -> list[tuple]:
    ts = T0_MS + 1000 * np.arange(count, dtype=np.int64)
    lat = 37.5 + np.cumsum(rng.normal(0, 2e-5, count))
    lon = 127.0 + np.cumsum(rng.normal(1e-5, 2e-5, count))
    return [
        (
            t,
            f'{type_id}\t{{"latitude": {a:.7f}, "longitude": {o:.7f}, "accuracy": 5.0,'
            ' "speed": 1.4, "provider": "fused"}',
        )
        for t, a, o in zip(ts.tolist(), lat.tolist(), lon.tolist(), strict=True)
    ]


def load_session(app, samples: int) -> int:
    """One closed session with `samples` samples written by COPY; returns its primary key."""
    from datetime import UTC, datetime, timedelta

    from app.extensions import db
    from app.models import RecordingSession, User
    from app.recordings.samples.sensor_types import ensure_sensor_types

    per_second = 201  # two sensors at 100 Hz, GPS at 1 Hz
    seconds = -(-samples // per_second)
    start = datetime.fromtimestamp(T0_MS / 1000, UTC)
    with app.app_context():
        user = User(username="bench", email="bench@example.com", password_hash="-")
        db.session.add(user)
        db.session.flush()
        session = RecordingSession(
            user_id=user.id,
            session_id="bench-session",
            start_time=start,
            end_time=start + timedelta(seconds=seconds),
            is_active=False,
            is_uploaded=True,
            enabled_sensors=["accelerometer", "gyroscope", "gps"],
            sample_rate=100,
            data_count=samples,
        )
        db.session.add(session)
        ids = ensure_sensor_types({"accelerometer", "gyroscope", "gps"})
        db.session.commit()
        pk, user_id = session.id, user.id

        rng = np.random.default_rng(42)
        gps = seconds
        motion = samples - gps
        rows = _xyz_rows(ids["accelerometer"], motion - motion // 2, 10, rng, spikes=True)
        rows += _xyz_rows(ids["gyroscope"], motion // 2, 10, rng, spikes=False)
        rows += _gps_rows(ids["gps"], gps, rng)
        stamp = datetime.now(UTC).isoformat()
        body = "".join(f"{ts}\t{stamp}\t{stamp}\t{pk}\t{rest}\t{user_id}\n" for ts, rest in rows)
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(
                    "COPY sensor_data (timestamp, created_at, updated_at, recording_session_id,"
                    " sensor_type_id, data, user_id) FROM STDIN",
                    io.StringIO(body),
                )
            raw.commit()
        finally:
            raw.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE sensor_data"))
    return pk


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM rather than ru_maxrss: on Linux ru_maxrss also carries the parent's memory at the
    fork that started a spawned child, which would charge the data loading to the task.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_task(url: str, name: str, pk: int, repeats: int, results) -> None:
    """In a fresh process: time the task body (DB read included) and report peak memory."""
    from app import create_app
    from app.tasks import data_processing

    create_app("testing", _settings(url))
    task = getattr(data_processing, name)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        task(pk)
        times.append(time.perf_counter() - started)
    results.put((name, times, peak_rss_mb()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/koodtx_bench"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compact", action="store_true", help="compact the session first")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    from config import normalise_database_url

    # A plain postgresql:// URL would mean psycopg 3 to SQLAlchemy; the app uses psycopg2.
    args.database_url = normalise_database_url(args.database_url)

    from flask_migrate import upgrade

    from app import create_app

    recreate_database(args.database_url)
    app = create_app("testing", _settings(args.database_url))
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    pk = load_session(app, args.samples)
    print(f"loaded {args.samples:,} samples with COPY in {time.perf_counter() - started:.1f} s")
    with app.app_context():
        from app.extensions import db
        from app.recordings.samples.compaction import compact_session

        if args.compact:
            started = time.perf_counter()
            moved = compact_session(pk).samples
            seconds = time.perf_counter() - started
            print(f"compacted {moved:,} samples into chunks in {seconds:.1f} s")
        db.engine.dispose()

    context = multiprocessing.get_context("spawn")
    ok = True
    for name in TASKS:
        results = context.Queue()
        process = context.Process(
            target=_run_task, args=(args.database_url, name, pk, args.repeats, results)
        )
        process.start()
        name, times, peak_mb = results.get()
        process.join()
        best = min(times)
        rate = args.samples / best
        ok &= rate >= TARGET_RATE and peak_mb < TARGET_PEAK_MB
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"{name:27s} best {best:5.2f} s ({runs})  {rate:>10,.0f} samples/s"
            f"  peak RSS {peak_mb:6.0f} MB"
        )
    if not args.keep:
        target = make_url(args.database_url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()
    print("targets met" if ok else "TARGETS MISSED", f"(>= {TARGET_RATE:,} samples/s, < 1 GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
