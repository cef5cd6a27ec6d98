"""Audio upload benchmark: phones uploading recordings exactly as the KooDTX app's SyncManager
does (multipart, `POST /api/app/sessions/{sessionId}/audio`), against gunicorn on PostgreSQL.

    .venv/bin/python bench/audio_upload_bench.py [--phones 4] [--recordings 5] [--mib 20]
        [--workers N] [--database-url postgresql://postgres@127.0.0.1:5432/koodtx_audio_bench]

It (re)creates the scratch database, starts gunicorn with a scratch AUDIO_FOLDER, registers
one user per phone, and has every phone upload `--recordings` WAV files of `--mib` MiB one
after the other, all phones at once; then one replay per phone (the same file again: no new
recording). It checks every answer, the rows and the files, and prints MiB/s, recordings/s,
latency percentiles and the peak resident memory of the gunicorn workers — which stays flat
whatever the file size, since files are streamed to disk, never held whole.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.push_bench import (  # noqa: E402  (the project root must be importable first)
    autocommit_connection,
    default_workers,
    drop_database,
    migrate,
    recreate_database,
    register_user,
    start_server,
    stop_server,
    wait_healthy,
)

STOP_MS = 1_763_000_600_000
BOUNDARY = "----RNFormDataBoundaryBench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=4)
    parser.add_argument("--recordings", type=int, default=5, help="per phone")
    parser.add_argument("--mib", type=float, default=20.0, help="size of each recording")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/koodtx_audio_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    args.gunicorn_config, args.app = "gunicorn_config.py", "run:app"
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    return args


def recording(mib: float, phone: int, index: int) -> bytes:
    """A mono 16-bit WAV of about `mib` MiB, different for every (phone, index)."""
    frames = int(mib * 1024 * 1024 / 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(44100)
        pattern = bytes((phone * 31 + index * 7 + i) % 256 for i in range(4096))
        writer.writeframes((pattern * (frames * 2 // 4096 + 1))[: frames * 2])
    return out.getvalue()


def form(session_id: str, data: bytes, index: int) -> bytes:
    """SyncManager's parts, in its order."""
    fields = [
        ("sessionId", session_id),
        ("timestamp", str(STOP_MS + index * 60_000)),
        ("duration", "0"),
        ("sampleRate", "44100"),
        ("channels", "1"),
        ("format", "m4a"),
    ]
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
        for n, v in fields
    )
    file_head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="audio_{index}.m4a"\r\nContent-Type: audio/m4a\r\n\r\n'
    ).encode()
    return head + file_head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def upload(port: int, token: str, session_id: str, body: bytes) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    started = time.perf_counter()
    try:
        connection.request("POST", f"/api/app/sessions/{session_id}/audio", body, headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, time.perf_counter() - started


def phone_run(args, port: int, phone: int, token: str, results: list) -> None:
    session_id = f"bench-audio-{phone}"
    for index in range(args.recordings):
        body = form(session_id, recording(args.mib, phone, index), index)
        status, seconds = upload(port, token, session_id, body)
        results.append((phone, status, seconds, len(body)))
    replay = form(session_id, recording(args.mib, phone, 0), 0)
    status, seconds = upload(port, token, session_id, replay)
    results.append((phone, status, seconds, -len(replay)))  # negative: a replay


def worker_peak_rss_mib(master_pid: int) -> float:
    """The largest VmHWM among the gunicorn master's children (its workers)."""
    peaks = []
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            status = Path(f"/proc/{child}/status").read_text()
            line = next(x for x in status.splitlines() if x.startswith("VmHWM"))
            peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workers = args.workers or default_workers()
    recreate_database(args.database_url)
    with tempfile.TemporaryDirectory(prefix="audio-bench-") as scratch:
        folder = Path(scratch) / "audio"
        # The server's environment is this process's (bench/push_bench.py server_env).
        os.environ |= {"AUDIO_FOLDER": str(folder), "RATELIMIT_ENABLED": "false"}
        migrate(args)
        server = start_server(args, workers, Path(scratch))
        try:
            wait_healthy(server)
            tokens = [register_user(server.port) for _ in range(args.phones)]
            results: list = []
            threads = [
                threading.Thread(target=phone_run, args=(args, server.port, p, tokens[p], results))
                for p in range(args.phones)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            peak = worker_peak_rss_mib(server.process.pid)
        finally:
            stop_server(server)
        files = [p for p in folder.rglob("*") if p.is_file()]
        with autocommit_connection(args.database_url) as db, db.cursor() as cursor:
            cursor.execute("SELECT count(*), coalesce(sum(size_bytes), 0) FROM audio_recordings")
            rows, stored = (int(value) for value in cursor.fetchone())
    drop_database(args.database_url)
    report(args, workers, results, elapsed, peak, rows, stored, len(files))
    return 0


def report(args, workers, results, elapsed, peak, rows, stored, files) -> None:
    firsts = [r for r in results if r[3] > 0]
    replays = [r for r in results if r[3] < 0]
    assert all(r[1] == 201 for r in firsts), sorted({r[1] for r in firsts})
    assert all(r[1] == 200 for r in replays), sorted({r[1] for r in replays})
    expected = args.phones * args.recordings
    assert rows == expected == files, (rows, expected, files)
    sent = sum(abs(r[3]) for r in results) / 1024**2
    latencies = [r[2] for r in results]
    print(
        orjson.dumps(
            {
                "phones": args.phones,
                "recordings": expected,
                "mib_each": args.mib,
                "gunicorn_workers": workers,
                "seconds": round(elapsed, 2),
                "mib_per_s": round(sent / elapsed, 1),
                "recordings_per_s": round(len(results) / elapsed, 2),
                "latency_s": {
                    "p50": round(percentile(latencies, 0.5), 3),
                    "p95": round(percentile(latencies, 0.95), 3),
                },
                "stored_mib": round(stored / 1024**2, 1),
                "replays_stored_again": rows - expected,
                "worker_peak_rss_mib": round(peak, 1),
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    )


if __name__ == "__main__":
    sys.exit(main())
