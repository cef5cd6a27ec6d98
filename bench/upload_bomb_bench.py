"""What a small hostile gzip upload costs the import worker (not a test).

Writes decompression bombs of about 261 kB (each inflating to about 269 MB: NUL bytes, blank
lines, one endless CSV row, repeated rows) and one honest recording, then imports each with
the import task's body in a fresh process, on a scratch SQLite database (or `--database-url`),
and reports the outcome, the wall time and that process's peak memory above its baseline.

    .venv/bin/python bench/upload_bomb_bench.py
    .venv/bin/python bench/upload_bomb_bench.py --max-ratio 100000000 --max-bytes 4294967296

The second line imports with the limits of before (4 GiB decoded, no ratio cap).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T0_MS = 1_763_000_000_000
BOMB_BYTES = 269_000_000  # what 261 kB of gzip -9 holds when it is all one byte
HEADER = b"sensor_type,timestamp,x,y,z\n"


def _honest(rows: int) -> bytes:
    """Noisy three-axis readings as a phone writes them (float32 printed as doubles)."""
    rng = random.Random(1)
    lines = [HEADER]
    for i in range(rows):
        sensor = ("accelerometer", "gyroscope", "magnetometer")[i % 3]
        x, y, z = (rng.gauss(0, 0.3), rng.gauss(0, 0.3), 9.81 + rng.gauss(0, 0.05))
        lines.append(f"{sensor},{T0_MS + 10 * (i // 3)},{x!r},{y!r},{z!r}\n".encode())
    return b"".join(lines)


def _still(rows: int) -> bytes:
    """A phone on a table: the same readings, only the timestamp moves (compresses ~13x)."""
    lines = [HEADER]
    for i in range(rows):
        sensor = ("accelerometer", "gyroscope", "magnetometer")[i % 3]
        lines.append(b"%s,%d,0,0,9.81\n" % (sensor.encode(), T0_MS + 10 * (i // 3)))
    return b"".join(lines)


def _short_lines(decoded: int, every: int = 1000) -> bytes:
    """Invalid two-byte lines with a little noise: gzip shrinks them about 150-200x, under
    the ratio cap, so each line is read, found invalid and counted."""
    rng = random.Random(2)
    parts, size = [HEADER], 0
    while size < decoded:
        parts.append(b"a\n" * every + rng.randbytes(6).hex().encode() + b"\n")
        size += 2 * every + 13
    return b"".join(parts)


def _blank_lines_and_rows(decoded: int, every: int = 1000) -> bytes:
    """Blank lines with a valid row now and then: under the ratio cap, and not invalid."""
    parts, size, number = [HEADER], 0, 0
    while size < decoded:
        row = b"gyroscope,%d,0.5,0.1,9.8\n" % (T0_MS + number)
        parts.append(b"\n" * every + row)
        size, number = size + every + len(row), number + 1
    return b"".join(parts)


def _repeated_rows(decoded: int, every: int = 20) -> bytes:
    """One valid row over and over (duplicates after the first) with a new row now and then:
    valid samples, under the ratio cap, the most a few hundred kilobytes can ask of the import."""
    parts, size, number = [HEADER], 0, 0
    same = b"gyroscope,%d,0.5,0.1,9.8\n" % T0_MS
    while size < decoded:
        row = b"gyroscope,%d,0.5,0.1,9.8\n" % (T0_MS + 1 + number)
        parts.append(same * every + row)
        size, number = size + len(same) * every + len(row), number + 1
    return b"".join(parts)


def _files() -> dict[str, tuple[str, bytes]]:
    row = b"accelerometer,1763000000000,0,0,9.81\n"
    return {
        "csv: header + NUL bytes": ("csv", HEADER + b"\0" * BOMB_BYTES),
        "csv: header + blank lines": ("csv", HEADER + b"\n" * BOMB_BYTES),
        "csv: header + one row of commas": ("csv", HEADER + b"," * BOMB_BYTES + b"\n"),
        "ndjson: blank lines": ("ndjson", b"{}\n" + b"\n" * BOMB_BYTES),
        "csv: one row repeated": ("csv", HEADER + row * (BOMB_BYTES // len(row))),
        "csv: short invalid lines, under the ratio": ("csv", _short_lines(46_000_000)),
        "csv: blank lines and rows, under the ratio": ("csv", _blank_lines_and_rows(48_000_000)),
        "csv: one row repeated, under the ratio": ("csv", _repeated_rows(48_000_000)),
        "csv: honest, 300,000 rows": ("csv", _honest(300_000)),
        "csv: honest, phone lying still, 300,000": ("csv", _still(300_000)),
    }


def _settings(url: str, scratch: Path, args) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "CELERY_BROKER_URL": f"sqla+sqlite:///{scratch / 'broker.db'}",
        "CELERY_RESULT_BACKEND": f"db+sqlite:///{scratch / 'results.db'}",
        "UPLOAD_FOLDER": str(scratch / "uploads"),
        "MAX_UPLOAD_DECOMPRESSED_BYTES": args.max_bytes,
        "MAX_UPLOAD_COMPRESSION_RATIO": args.max_ratio,
        "LOG_LEVEL": "WARNING",
    }


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _import(settings: dict, upload_id: int, results) -> None:
    """In a fresh process: the import task's body, timed, with its memory above the baseline."""
    from app import create_app
    from app.uploads.importer import ImportSettings, run_import

    app = create_app("testing", settings)
    with app.app_context():
        import_settings = ImportSettings.from_config(app.config)
        baseline = _memory_kb("VmRSS")
        started = time.perf_counter()
        outcome = run_import(upload_id, import_settings)
        elapsed = time.perf_counter() - started
        from app.extensions import db
        from app.models import Upload

        upload = db.session.get(Upload, upload_id)
        detail = upload.error_message or f"{upload.inserted:,} inserted, {upload.errors:,} errors"
    results.put((outcome["outcome"], elapsed, (_memory_kb("VmHWM") - baseline) / 1024, detail))


def _prepare(app, folder: Path, files: dict) -> dict[str, int]:
    """A user and one pending upload per file; returns upload ids by name."""
    from app.extensions import db
    from app.models import Upload, User

    ids = {}
    with app.app_context():
        user = User(username="bench", email="bench@example.com", password_hash="-")
        db.session.add(user)
        db.session.flush()
        for number, (name, (fmt, content)) in enumerate(files.items()):
            path = folder / f"{number}.gz"
            path.write_bytes(gzip.compress(content, 9))
            upload = Upload(
                user_id=user.id,
                session_id=f"bench-{number}",
                session_meta={
                    "session_id": f"bench-{number}",
                    "start_time": "2025-11-13T00:00:00Z",
                },
                filename=path.name,
                stored_path=str(path),
                file_format=fmt,
                compressed=True,
                size_bytes=path.stat().st_size,
                state="pending",
                error_details=[],
            )
            db.session.add(upload)
            db.session.flush()
            ids[name] = upload.id
        db.session.commit()
    return ids


def main() -> int:
    from config import Config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    parser.add_argument("--max-bytes", type=int, default=Config.MAX_UPLOAD_DECOMPRESSED_BYTES)
    parser.add_argument("--max-ratio", type=int, default=Config.MAX_UPLOAD_COMPRESSION_RATIO)
    parser.add_argument("--only", default="", help="run the files whose name contains this")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app

    scratch = Path(tempfile.mkdtemp(prefix="upload-bomb-bench-"))
    (scratch / "uploads").mkdir()
    url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    settings = _settings(url, scratch, args)
    app = create_app("testing", settings)
    with app.app_context():
        upgrade()
    files = {name: file for name, file in _files().items() if args.only in name}
    ids = _prepare(app, scratch / "uploads", files)
    print(f"limits: {args.max_bytes:,} decoded bytes, {args.max_ratio:,} x the gzip size")
    print(f"{'file':44s} {'gzip':>10s}    outcome    time     memory  detail")
    context = multiprocessing.get_context("spawn")
    for number, (name, upload_id) in enumerate(ids.items()):
        size = (scratch / "uploads" / f"{number}.gz").stat().st_size
        results = context.Queue()
        process = context.Process(target=_import, args=(settings, upload_id, results))
        process.start()
        outcome, elapsed, memory_mb, detail = results.get()
        process.join()
        print(
            f"{name:44s} {size:>10,} B  {outcome:8s} {elapsed:7.2f} s  "
            f"+{memory_mb:7.1f} MB  {detail[:90]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
