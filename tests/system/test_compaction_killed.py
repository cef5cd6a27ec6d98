"""A compaction SIGKILLed midway (`flask compact-samples`, one committed step per transaction):
the session stays readable and complete through the API, and the next run finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import orjson

from tests.system.phones import START_TIME, T0
from tests.system.stack import FLASK, ROOT

SAMPLES = 240_000  # three sensors: more than two compaction steps of 100,000 rows
BATCH = 5_000


def _pushed(user) -> dict[tuple[str, int], dict]:
    """Batches newest first: each ends before what is stored, so all but the first are rows
    (a batch in time order would be written as a chunk straight away)."""
    sent: dict[tuple[str, int], dict] = {}
    for offset in reversed(range(0, SAMPLES, BATCH)):
        batch = []
        for i in range(offset, offset + BATCH):
            sensor = ("accelerometer", "gyroscope", "magnetometer")[i % 3]
            data = {"x": i / 7, "y": -i, "z": 9.81 if i % 2 else 5, "tag": f"s{i % 5}"}
            batch.append({"sensor_type": sensor, "timestamp": T0 + 10 * (i // 3), "data": data})
            sent[(sensor, T0 + 10 * (i // 3))] = data
        # Left open: only the command below compacts it (the close task would after a minute).
        body = {"session": {"session_id": "kept-whole", "start_time": START_TIME}}
        reply = user.post("/api/sync/push", body | {"sensor_data": batch})
        assert reply.status == 200 and reply.json()["inserted"] == BATCH, reply.body[:300]
    return sent


def _rows_and_chunks(system) -> tuple[int, int]:
    (counts,) = system.query(
        "SELECT (SELECT count(*) FROM sensor_data d JOIN recording_sessions s"
        " ON s.id = d.recording_session_id WHERE s.session_id = 'kept-whole'),"
        " (SELECT count(*) FROM sample_chunks c JOIN recording_sessions s"
        " ON s.id = c.recording_session_id WHERE s.session_id = 'kept-whole')"
    )
    return counts


def _compact(system) -> subprocess.Popen:
    return subprocess.Popen(
        [FLASK, "--app", "run", "compact-samples", "--idle-minutes", "0"],
        cwd=ROOT,
        env=os.environ | system.environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _assert_complete(user, sent: dict[tuple[str, int], dict]) -> None:
    detail = user.get("/api/sessions/kept-whole").json()
    assert sum(sensor["count"] for sensor in detail["sensors"]) == len(sent)
    export = user.get("/api/sessions/kept-whole/export?format=ndjson", timeout=300)
    assert export.status == 200
    read = {}
    for line in export.body.splitlines():
        sample = orjson.loads(line)
        read[(sample["sensor_type"], sample["timestamp"])] = sample["data"]
    assert read == sent  # every sample once, every value as sent (5 stays an integer)


def test_a_compaction_killed_midway_leaves_the_session_whole(healthy_system):
    user = healthy_system.api().register("compaction-victim")
    sent = _pushed(user)

    _, pushed_chunks = _rows_and_chunks(healthy_system)
    command = _compact(healthy_system)
    deadline = time.monotonic() + 120
    rows, chunks = _rows_and_chunks(healthy_system)
    while (
        not (chunks > pushed_chunks and rows)
        and command.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
        rows, chunks = _rows_and_chunks(healthy_system)
    command.send_signal(signal.SIGKILL)
    command.wait(30)
    caught = chunks > pushed_chunks and rows
    assert caught, f"the compaction was not caught midway: {rows} rows, {chunks} chunks"

    _assert_complete(user, sent)  # half rows, half chunks: nothing lost, nothing twice

    finished = _compact(healthy_system)
    _, errors = finished.communicate(timeout=300)
    assert finished.returncode == 0, errors.decode()[-2000:]
    assert _rows_and_chunks(healthy_system)[0] == 0
    _assert_complete(user, sent)
