"""PostgreSQL restarted while phones push: 503 JSON during the outage, recovery by itself,
and retried pushes end with no lost and no duplicated samples."""

from __future__ import annotations

import json
import threading
import time

from tests.system.phones import (
    LoadPlan,
    build_phones,
    run_load,
    stored_samples,
    verify_database,
)

PROBES = [
    ("GET", "/api/auth/me", None),
    ("GET", "/api/sync/status", None),
    ("GET", "/api/sessions", None),
    ("POST", "/api/sync/pull", {"include_data": False}),
    ("POST", "/api/auth/login", {"username": "pgdown0", "password": "correct-horse-1"}),
]


def test_postgres_restart_mid_load_gives_503_json_then_recovers_without_losing_samples(
    healthy_system,
):
    system = healthy_system
    phones = build_phones(system.api(), 4, "pgdown")
    signed_in = phones[0].api
    plan = LoadPlan(
        seconds=30, batch_min=500, batch_max=2000, think_seconds=(0.05, 0.3), retry=True
    )
    seen: dict[str, object] = {}

    def outage() -> None:
        time.sleep(6)
        system.postgres.stop("fast")  # terminates the open sessions, rolls back transactions
        stopped = time.monotonic()
        try:
            health = system.api().get("/health", timeout=15)
            seen["health"] = (health.status, health.json())
            seen["probes"] = [
                (path, *_probe(signed_in, method, path, body)) for method, path, body in PROBES
            ]
            time.sleep(max(0.0, 4 - (time.monotonic() - stopped)))
        finally:
            system.postgres.start()
        restarted = time.monotonic()
        system.wait_healthy(timeout=30)
        seen["recovered_after"] = time.monotonic() - restarted
        seen["outage"] = restarted - stopped

    stats, elapsed = run_load(phones, plan, during=outage)

    print("\nload during the restart:", json.dumps(stats.summary(elapsed)))
    print("outage:", json.dumps({k: seen.get(k) for k in ("outage", "recovered_after")}))
    status, body = seen["health"]
    assert status == 503 and body["database"] == "unavailable", seen["health"]
    for path, status, is_json, took in seen["probes"]:
        assert status == 503 and is_json, (path, status)
        assert took < 5, (path, took)  # an answer, not a hang
    assert seen["recovered_after"] < 10
    # Requests during the outage were answered 503 with a JSON body, never 500 or HTML.
    assert stats.outage_replies, "no request hit the outage"
    assert {(status, is_json) for status, _, is_json in stats.outage_replies} == {(503, True)}
    assert all(
        isinstance(s, int) and s in (200, 503) or s == "truncated pull" for s in stats.statuses
    ), stats.statuses
    assert not stats.problems, "\n".join(stats.problems[:20])
    assert stats.retries > 0
    # After the clients retried, the database holds every sample once, with its last data.
    connection = system.db(autocommit=False)
    try:
        verify_database(connection, phones)
    finally:
        connection.close()
    # The service works normally again.
    assert signed_in.get("/api/sync/status").status == 200


def _probe(api, method: str, path: str, body) -> tuple[int, bool, float]:
    reply = api.request(method, path, body, timeout=15)
    return reply.status, reply.is_json, reply.elapsed


def test_a_push_in_flight_when_postgres_stops_is_all_or_nothing(healthy_system):
    """Pushes of large batches racing a fast shutdown: whatever was answered 200 is stored
    completely, anything else left no trace (one push is one transaction)."""
    system = healthy_system
    (phone, *_others) = build_phones(system.api(), 1, "pgatomic")
    results: list[tuple[int, dict]] = []

    def pusher() -> None:
        for _ in range(6):
            body, _expectation, commit = phone.next_batch(20_000, 0.0)
            commit()  # the next batch carries new keys, whatever happens to this one
            try:
                reply = phone.api.post("/api/sync/push", body, timeout=60)
                results.append((reply.status, body))
            except OSError:
                results.append((-1, body))

    thread = threading.Thread(target=pusher)
    thread.start()
    time.sleep(1.0)
    system.postgres.stop("fast")
    time.sleep(1)
    system.postgres.start()
    thread.join(120)
    system.wait_healthy(timeout=30)

    connection = system.db(autocommit=False)
    try:
        stored = {
            (session, sensor, ts)
            for _, session, sensor, ts, _ in stored_samples(connection, ["pgatomic0"])
        }
    finally:
        connection.close()
    statuses = [status for status, _ in results]
    print("\npushes racing the shutdown:", statuses)
    assert set(statuses) <= {200, 503, -1} and 503 in statuses, statuses
    for status, body in results:
        keys = {
            (body["session"]["session_id"], s["sensor_type"], s["timestamp"])
            for s in body["sensor_data"]
            if s["sensor_type"] != "Not A Type"
        }
        if status == 200:
            assert keys <= stored
        elif status == 503:
            assert not keys & stored, "a push answered 503 left samples behind"
