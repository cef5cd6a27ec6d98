"""The app's push, pull and stats."""

from __future__ import annotations

from tests.app_protocol.app_client import sync_item

START = 1_764_480_000_000


def _session_item(sid: str, n: int, **fields) -> dict:
    data = {"sessionId": sid, "startTime": START + n, "endTime": None, "isActive": True} | fields
    return sync_item(f"q-{sid}", "session", sid, data, START)


def test_a_bad_item_fails_alone_with_a_reason(phone):
    items = [
        _session_item("p-1", 0),
        sync_item("q-x", "session", "p-2", {"startTime": "yesterday"}, START),
        {"type": "session"},
        sync_item("q-m", "metadata", "missing", {"notes": "n"}, START),
        sync_item("q-d", "sensor_data", "p-1", {"sessionId": "p-1"}, START),
        sync_item("q-u", "upload", "p-1", {}, START),
    ]
    data = phone.api.sync_push(items).get_json()["data"]
    assert data["synced"] == 1 and data["failed"] == 5
    results = data["results"]
    assert results[0]["status"] == "completed" and results[0]["serverId"] == "p-1"
    assert "startTime" in results[1]["error"] and results[2]["localId"] is None
    assert "no session" in results[3]["error"] and "data.records" in results[4]["error"]
    assert "type" in results[5]["error"]


def test_pull_pages_deliver_every_session_once_more_at_most(phone):
    for n in range(7):
        phone.manager.upload_session({"sessionId": f"page-{n}", "startTime": START + n})
    seen, since = [], 0
    for _ in range(10):
        data = phone.api.sync_pull(since, ["session"], limit=3).get_json()["data"]
        seen += [item["id"] for item in data["items"]]
        since = data["nextTimestamp"]
        if not data["hasMore"]:
            break
    assert set(seen) == {f"page-{n}" for n in range(7)}
    assert phone.api.sync_pull(since, ["session"]).get_json()["data"]["items"] == []


def test_metadata_items_when_only_metadata_is_asked(phone):
    phone.manager.upload_session({"sessionId": "meta-1", "startTime": START, "notes": "hello"})
    (item,) = phone.api.sync_pull(0, ["metadata"]).get_json()["data"]["items"]
    assert item["type"] == "metadata" and item["data"] == {
        "id": "meta-1",
        "notes": "hello",
        "metadata": None,
    }


def test_a_deletion_reaches_the_next_pull(phone, other_phone):
    phone.manager.upload_session({"sessionId": "del-1", "startTime": START})
    since = phone.api.sync_pull(0).get_json()["data"]["nextTimestamp"]
    phone.api.delete_session("del-1")
    items = phone.api.sync_pull(since).get_json()["data"]["items"]
    assert items == [
        {
            "id": "del-1",
            "type": "session",
            "data": {"id": "del-1", "deleted": True},
            "updatedAt": items[0]["updatedAt"],
        }
    ]
    assert other_phone.api.sync_pull(0).get_json()["data"]["items"] == []


def test_stats_count_what_the_sync_log_holds(phone):
    phone.manager.upload_session({"sessionId": "st-1", "startTime": START})
    records = [{"timestamp": START + i, "sensorType": "gyroscope", "x": 1.0} for i in range(5)]
    phone.manager.upload_sensor_data(
        "st-1", records + [{"timestamp": 1, "sensorType": "gyroscope"}]
    )
    phone.api.sync_pull(0)
    stats = phone.api.get_sync_stats().get_json()["data"]
    assert stats["totalPushed"] == 1 + 6 and stats["totalPulled"] == 1
    assert (
        stats["failedItems"] == 1
        and stats["pendingItems"] == 0
        and stats["lastSyncTimestamp"] > START
    )


def test_pull_refuses_unknown_types(phone):
    response = phone.api.sync_pull(0, ["audio"])
    assert response.status_code == 400 and response.get_json()["code"] == "VALIDATION_ERROR"
