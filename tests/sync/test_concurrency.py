"""Concurrent pushes and the in-flight push vs. delta pull (docs/sync.md#concurrency and
#watermark)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from app.extensions import db
from app.models import RecordingSession, SensorData, SensorType
from tests.conftest import DATABASE_URL
from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import pull, push


def test_concurrent_overlapping_pushes_store_exactly_the_union(app, auth_headers):
    """8 pushes, each 400 samples overlapping its neighbours by half, racing on a new session."""
    batches = [samples(400, start=BASE_TS + i * 2000) for i in range(8)]
    for batch in batches:  # the same key carries the same data in every batch
        for sample in batch:
            sample["data"] = {"x": float(sample["timestamp"] % 1000), "y": 0.0, "z": 9.8}
    union = {(s["sensor_type"], s["timestamp"]) for batch in batches for s in batch}

    def send(batch):
        response = app.test_client().post(
            "/api/sync/push", json=push_body("race", data=batch), headers=auth_headers
        )
        return response.status_code, response.json

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, batches))

    assert [status for status, _ in results] == [200] * 8, results
    assert sum(body["inserted"] for _, body in results) == len(union)
    assert all(b["inserted"] + b["duplicates"] == 400 and not b["updated"] for _, b in results)
    with app.app_context():
        stored = set(
            db.session.execute(
                db.select(SensorType.name, SensorData.timestamp).join(
                    SensorType, SensorType.id == SensorData.sensor_type_id
                )
            )
        )
        session = db.session.scalar(db.select(RecordingSession))
    assert stored == union
    assert session.data_count == len(union)


def test_concurrent_conflicting_updates_leave_one_of_the_written_values(app, auth_headers):
    client = app.test_client()
    push(client, auth_headers, push_body("lww", data=samples(50)))
    versions = [
        [{**s, "data": {"x": float(v), "y": 0.0, "z": 0.0}} for s in samples(50)] for v in range(6)
    ]

    def send(batch):
        return app.test_client().post(
            "/api/sync/push", json=push_body("lww", data=batch), headers=auth_headers
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(send, versions))
    assert all(r.status_code == 200 for r in responses)
    assert (
        sum(r.json["updated"] for r in responses) + sum(r.json["duplicates"] for r in responses)
        == 300
    )
    (session,) = pull(client, auth_headers)["sessions"]
    values = {s["data"]["x"] for s in session["sensor_data"]}
    assert len(values) == 1 and values <= {float(v) for v in range(6)}
    assert session["data_count"] == 50


def _wait_until_blocked(connection, timeout=10.0):
    """Until some other backend waits on a lock held by `connection`."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the push never reached the lock")


@pytest.mark.postgres
def test_in_flight_push_is_not_missed_by_delta_pull(app, auth_headers):
    """A push that has stamped its rows but not committed while a pull runs must show up in
    the next pull that starts from that pull's server_timestamp."""
    client = app.test_client()
    push(client, auth_headers, push_body("slow", data=samples(1)))
    first = pull(client, auth_headers)

    blocker = psycopg2.connect(DATABASE_URL.replace("+psycopg2", ""))
    with blocker.cursor() as cursor:  # hold the session row so the push waits before commit
        cursor.execute("SELECT id FROM recording_sessions WHERE session_id = 'slow' FOR UPDATE")
    outcome = {}

    def slow_push():
        late = samples(3, start=BASE_TS + 10_000)
        outcome["response"] = app.test_client().post(
            "/api/sync/push", json=push_body("slow", data=late), headers=auth_headers
        )

    writer = threading.Thread(target=slow_push)
    writer.start()
    try:
        _wait_until_blocked(blocker)
        during = pull(client, auth_headers, last_sync_time=first["server_timestamp"])
        assert during["sessions"] == []  # the push has not committed yet
    finally:
        blocker.rollback()
        blocker.close()
        writer.join(timeout=30)
    assert outcome["response"].status_code == 200
    after = pull(client, auth_headers, last_sync_time=during["server_timestamp"])
    (session,) = after["sessions"]
    assert {s["timestamp"] for s in session["sensor_data"]} == {
        BASE_TS + 10_000,
        BASE_TS + 10_010,
        BASE_TS + 10_020,
    }


def test_following_server_timestamps_receives_every_change(app, auth_headers):
    """A replica that upserts each pull and follows server_timestamp equals the server."""
    client = app.test_client()
    replica: dict[tuple[str, str, int], dict] = {}
    mark = None
    stop = threading.Event()
    statuses = []

    def writer(worker: int):
        other = app.test_client()
        for round_number in range(6):
            batch = samples(20, start=BASE_TS + round_number * 100)
            for sample in batch:
                sample["data"] = {"x": float(worker * 100 + round_number)}
            response = other.post(
                "/api/sync/push",
                json=push_body(f"w{worker % 2}", data=batch),
                headers=auth_headers,
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set():
            done = not any(t.is_alive() for t in threads)
            body = {"last_sync_time": mark} if mark else {}
            page = pull(client, auth_headers, **body)
            for session in page["sessions"]:
                for s in session["sensor_data"]:
                    key = (session["session_id"], s["sensor_type"], s["timestamp"])
                    replica[key] = s["data"]
            mark = page["server_timestamp"]
            if done:
                stop.set()
    finally:
        for thread in threads:
            thread.join()
    final = pull(client, auth_headers)
    server = {
        (session["session_id"], s["sensor_type"], s["timestamp"]): s["data"]
        for session in final["sessions"]
        for s in session["sensor_data"]
    }
    assert statuses == [200] * 18
    assert len(server) == 2 * 70  # two sessions, rounds overlapping by half
    assert replica == server
