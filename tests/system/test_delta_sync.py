"""Delta sync under concurrency: a device follows `server_timestamp` while other devices of the
same user push, edit, delete and re-create sessions; at the end its replica equals the
server's state exactly."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from app.recordings.schemas import SessionMetaOut
from tests.system.api_client import Api
from tests.system.phones import START_TIME, T0, stored_samples

WRITERS = 3
SECONDS = 15
META = tuple(name for name in SessionMetaOut.model_fields if name != "session_id")


class Replica:
    """What a phone keeps: sessions by id, their fields and samples, upserted from pulls."""

    def __init__(self, api: Api):
        self.api = api
        self.sessions: dict[str, dict] = {}
        self.samples: dict[str, dict[tuple[str, int], dict]] = {}
        self.last_sync: str | None = None
        self.pulls = 0

    def sync(self) -> None:
        """One walk over all changed pages (keyset cursor), then remember the watermark."""
        request: dict = {"page_size": 3, "include_data": True}
        if self.last_sync:
            request["last_sync_time"] = self.last_sync
        while True:
            reply = self.api.post("/api/sync/pull", request)
            assert reply.status == 200, reply.body[:300]
            page = reply.json()
            self.pulls += 1
            for session_id in page["deleted_session_ids"]:
                self.sessions.pop(session_id, None)
                self.samples.pop(session_id, None)
            for session in page["sessions"]:
                sid = session["session_id"]
                known = self.sessions.get(sid)
                if known is None or known["created_at"] != session["created_at"]:
                    self.samples[sid] = {}  # new, or deleted and pushed again: start over
                self.sessions[sid] = {k: session[k] for k in META}
                for sample in session["sensor_data"]:
                    self.samples[sid][(sample["sensor_type"], sample["timestamp"])] = sample["data"]
            if not page["has_more"]:
                self.last_sync = page["server_timestamp"]
                return
            request["cursor"] = page["next_cursor"]


def _writer(api: Api, number: int, stop: threading.Event, log: list[str]) -> None:
    rng = random.Random(number)
    generation = 0
    while not stop.is_set():
        generation += 1
        session_id = f"w{number}-s{rng.randrange(4)}"  # ids come back after deletes
        count = 0
        for batch in range(rng.randint(1, 5)):
            samples = []
            for sensor in ("accelerometer", "gyroscope"):
                new = [T0 + 10 * i for i in range(count, count + 200)]
                old = [T0 + 10 * rng.randrange(count) for _ in range(30)] if count else []
                samples += [
                    {
                        "sensor_type": sensor,
                        "timestamp": ts,
                        "data": {"x": rng.random(), "g": generation, "b": batch},
                    }
                    for ts in new + old
                ]
            count += 200
            session = {
                "session_id": session_id,
                "start_time": START_TIME,
                "notes": f"gen {generation} batch {batch}",
            }
            if rng.random() < 0.2:
                session["end_time"] = "2025-11-13T03:13:20Z"
            reply = api.post("/api/sync/push", {"session": session, "sensor_data": samples})
            if reply.status != 200:
                log.append(f"push {session_id}: {reply.status} {reply.body[:200]!r}")
            time.sleep(rng.uniform(0, 0.1))
        if rng.random() < 0.5:
            reply = api.request("DELETE", f"/api/sessions/{session_id}")
            if reply.status != 200:
                log.append(f"delete {session_id}: {reply.status}")
        elif rng.random() < 0.5:
            edit = {"notes": f"edited {generation}"}
            reply = api.request("PATCH", f"/api/sessions/{session_id}", edit)
            if reply.status != 200:
                log.append(f"patch {session_id}: {reply.status} {reply.body[:200]!r}")


def test_a_replica_following_server_timestamp_equals_the_server_after_concurrent_writes(
    healthy_system,
):
    system = healthy_system
    user = system.api().register("deltafollow")
    replica = Replica(user)
    stop = threading.Event()
    problems: list[str] = []
    writers = [
        threading.Thread(target=_writer, args=(user, n, stop, problems)) for n in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline:
            replica.sync()
    finally:
        stop.set()
        for thread in writers:
            thread.join(60)
    replica.sync()  # everything written is committed now: one more delta pull catches up
    assert not problems, problems[:10]

    server = Replica(user)
    server.sync()  # a full pull: the server's state as the API shows it
    print(
        f"\ndelta sync: {replica.pulls} pulls, {len(server.sessions)} sessions, "
        f"{sum(map(len, server.samples.values()))} samples"
    )
    assert replica.sessions == server.sessions
    assert replica.samples == server.samples
    # And the API's full view is the database's.
    connection = system.db(autocommit=False)
    try:
        stored = Counter(sid for _, sid, *_ in stored_samples(connection, ["deltafollow"]))
        sessions = system.query(
            "SELECT s.session_id FROM recording_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.username = 'deltafollow'"
        )
    finally:
        connection.close()
    assert {sid: stored[sid] for (sid,) in sessions} == {
        sid: len(v) for sid, v in server.samples.items()
    }
    assert len(server.sessions) >= 2
