"""Pull rules (docs/sync.md#pull): delta by watermark, filters, stable pages, streamed data."""

import base64
import json
import re

import pytest

from app.extensions import db
from app.models import SyncLog
from app.sync.schemas import SessionOut
from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import pull, push

SESSION_FIELDS = set(SessionOut.model_fields)  # the metadata and sensor_data


def test_pull_without_last_sync_time_returns_all_sessions_with_data(client, auth_headers):
    push(client, auth_headers, push_body("a", data=samples(3)))
    push(client, auth_headers, push_body("b", data=samples(2, "gyroscope")))
    page = pull(client, auth_headers)
    assert [s["session_id"] for s in page["sessions"]] == ["a", "b"]
    assert set(page["sessions"][0]) == SESSION_FIELDS
    assert page["sessions"][0]["data_count"] == 3
    assert page["sessions"][0]["sensor_data"][0] == {
        "sensor_type": "accelerometer",
        "timestamp": BASE_TS,
        "data": samples(1)[0]["data"],
    }
    assert (page["total"], page["page"], page["page_size"], page["has_more"]) == (2, 1, 50, False)
    assert page["server_timestamp"].endswith("Z")
    assert isinstance(page["sync_log_id"], int)


def test_samples_are_ordered_by_sensor_type_then_timestamp(client, auth_headers):
    batch = samples(5, "gyroscope")[::-1] + samples(5, "accelerometer")[::-1]
    push(client, auth_headers, push_body(data=batch))
    (session,) = pull(client, auth_headers)["sessions"]
    keys = [(s["sensor_type"], s["timestamp"]) for s in session["sensor_data"]]
    assert keys == sorted(keys) and len(keys) == 10


def test_include_data_false_omits_samples(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(3)))
    (session,) = pull(client, auth_headers, include_data=False)["sessions"]
    assert "sensor_data" not in session
    assert session["data_count"] == 3


def test_empty_body_means_defaults(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(1)))
    response = client.post("/api/sync/pull", headers=auth_headers)
    assert response.status_code == 200
    assert len(response.json["sessions"]) == 1


def test_delta_pull_returns_only_sessions_changed_since(client, auth_headers):
    push(client, auth_headers, push_body("old", data=samples(2)))
    mark = pull(client, auth_headers)["server_timestamp"]
    assert pull(client, auth_headers, last_sync_time=mark)["sessions"] == []
    push(client, auth_headers, push_body("new", data=samples(2)))
    delta = pull(client, auth_headers, last_sync_time=mark)
    assert [s["session_id"] for s in delta["sessions"]] == ["new"]


def test_delta_pull_carries_only_changed_samples(client, auth_headers):
    push(client, auth_headers, push_body("s", data=samples(5)))
    mark = pull(client, auth_headers)["server_timestamp"]
    more = samples(7)
    more[0]["data"] = {"x": -1.0}
    push(client, auth_headers, push_body("s", data=more))
    (session,) = pull(client, auth_headers, last_sync_time=mark)["sessions"]
    assert [s["timestamp"] for s in session["sensor_data"]] == [BASE_TS, BASE_TS + 50, BASE_TS + 60]
    assert session["sensor_data"][0]["data"] == {"x": -1.0}
    assert session["data_count"] == 7


def test_session_edit_without_samples_shows_in_delta(client, auth_headers):
    push(client, auth_headers, push_body("s", data=samples(2)))
    mark = pull(client, auth_headers)["server_timestamp"]
    push(client, auth_headers, {"session": {"session_id": "s", "notes": "edited"}})
    (session,) = pull(client, auth_headers, last_sync_time=mark)["sessions"]
    assert session["notes"] == "edited" and session["sensor_data"] == []


def test_replayed_push_does_not_show_as_a_change(client, auth_headers):
    body = push_body("s", data=samples(4))
    push(client, auth_headers, body)
    mark = pull(client, auth_headers)["server_timestamp"]
    push(client, auth_headers, body)
    assert pull(client, auth_headers, last_sync_time=mark)["sessions"] == []


def test_session_ids_narrow_the_pull(client, auth_headers):
    for name in ("a", "b", "c"):
        push(client, auth_headers, push_body(name))
    page = pull(client, auth_headers, session_ids=["c", "a", "missing"], include_data=False)
    assert sorted(s["session_id"] for s in page["sessions"]) == ["a", "c"]
    assert page["total"] == 2


def test_pages_have_no_gaps_or_repeats(client, auth_headers):
    for i in range(23):
        push(client, auth_headers, push_body(f"s{i:02d}"))
    seen, page_number = [], 1
    while True:
        page = pull(client, auth_headers, page=page_number, page_size=5, include_data=False)
        assert page["total"] == 23
        seen += [s["session_id"] for s in page["sessions"]]
        if not page["has_more"]:
            break
        page_number += 1
    assert page_number == 5
    assert sorted(seen) == [f"s{i:02d}" for i in range(23)] and len(seen) == len(set(seen))
    assert pull(client, auth_headers, page=6, page_size=5)["sessions"] == []


def test_pages_follow_updated_at_then_id(client, auth_headers):
    for name in ("a", "b", "c"):
        push(client, auth_headers, push_body(name))
    push(client, auth_headers, {"session": {"session_id": "a", "notes": "touched"}})
    page = pull(client, auth_headers, include_data=False)
    assert [s["session_id"] for s in page["sessions"]] == ["b", "c", "a"]
    stamps = [s["updated_at"] for s in page["sessions"]]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    "body",
    [
        {"page_size": 0},
        {"page_size": 101},
        {"page": 0},
        {"page": "1"},
        {"page_size": 1.5},
        {"last_sync_time": "not a time"},
        {"last_sync_time": 12345},
        {"session_ids": "abc"},
        {"session_ids": [1, 2]},
        {"include_data": "no"},
    ],
)
def test_invalid_pull_parameters_are_400(client, auth_headers, body):
    response = client.post("/api/sync/pull", json=body, headers=auth_headers)
    assert response.status_code == 400
    assert response.is_json and response.json["error"]


def test_other_users_sessions_are_invisible(client, register):
    alice = register("alice").headers
    bob = register("bob").headers
    push(client, alice, push_body("secret", data=samples(2)))
    assert pull(client, bob)["sessions"] == []
    assert pull(client, bob, session_ids=["secret"])["total"] == 0


def test_each_pull_writes_a_sync_log(client, auth_headers, app):
    push(client, auth_headers, push_body(data=samples(2)))
    page = pull(client, auth_headers)
    with app.app_context():
        log = db.session.get(SyncLog, page["sync_log_id"])
        assert (log.sync_type, log.status, log.records_count) == ("pull", "success", 1)
        assert log.details["include_data"] is True


def test_pull_streams_the_response(client, auth_headers):
    push(client, auth_headers, push_body(data=samples(12_000)))
    response = client.post("/api/sync/pull", json={}, headers=auth_headers, buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 3  # header, session, several sample chunks, tail
    import orjson

    body = orjson.loads(b"".join(chunks))
    assert len(body["sessions"][0]["sensor_data"]) == 12_000


def _walk_with_cursor(client, headers, page_size, on_page=None):
    seen, stamps, body = [], [], {"page_size": page_size, "include_data": False}
    while True:
        page = pull(client, headers, **body)
        seen += [s["session_id"] for s in page["sessions"]]
        stamps.append(page["server_timestamp"])
        if on_page:
            on_page(len(stamps))
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return seen, stamps
        body["cursor"] = page["next_cursor"]


def test_cursor_walk_has_no_gaps_or_repeats(client, auth_headers):
    for i in range(12):
        push(client, auth_headers, push_body(f"s{i:02d}"))
    seen, stamps = _walk_with_cursor(client, auth_headers, page_size=5)
    assert seen == [f"s{i:02d}" for i in range(12)]
    assert len(set(stamps)) == 1  # every page answers with the first page's watermark


def test_cursor_walk_skips_nothing_when_sessions_change_during_it(client, auth_headers):
    for i in range(10):
        push(client, auth_headers, push_body(f"s{i:02d}"))

    def touch_an_already_seen_session(page_number):
        if page_number == 1:
            push(client, auth_headers, {"session": {"session_id": "s00", "notes": "moved"}})

    seen, _ = _walk_with_cursor(client, auth_headers, 3, touch_an_already_seen_session)
    assert set(seen) == {f"s{i:02d}" for i in range(10)}
    assert seen.count("s00") == 2  # delivered again after its change, never skipped


def test_a_change_during_a_cursor_walk_is_in_the_next_delta(client, auth_headers):
    for i in range(4):
        push(client, auth_headers, push_body(f"s{i}"))

    def change_mid_walk(page_number):
        if page_number == 1:
            push(client, auth_headers, push_body("s0", data=samples(2)))

    _, stamps = _walk_with_cursor(client, auth_headers, 2, change_mid_walk)
    delta = pull(client, auth_headers, last_sync_time=stamps[-1], include_data=False)
    assert "s0" in [s["session_id"] for s in delta["sessions"]]


@pytest.mark.parametrize("cursor", ["garbage", "", "eyJhIjoxfQ", 42])
def test_malformed_cursor_is_400(client, auth_headers, cursor):
    response = client.post("/api/sync/pull", json={"cursor": cursor}, headers=auth_headers)
    assert response.status_code == 400 and response.is_json


def _former_cursor(*fields) -> str:
    """A cursor in the format of earlier versions: base64url of a JSON array."""
    return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).decode().rstrip("=")


NOW_US = 1_763_000_000_000_000  # 2025-11-13 in microseconds since 1970


@pytest.mark.parametrize(
    "cursor",
    [
        # out of BIGINT: was a 500
        _former_cursor("2025-11-13T00:00:00+00:00", 2**64, "2025-11-13T00:00:00+00:00"),
        _former_cursor("2025-11-13T00:00:00+00:00", 1, "2025-11-13T00:00:00+00:00"),
        f"{NOW_US}.{2**64}.{NOW_US}",
        f"{NOW_US}.{2**63}.{NOW_US}",
        f"{NOW_US}.1.{10**18 - 1}",  # past the year 9999
        f"{NOW_US}.1.{2 * 10**17}",  # past what a cursor carries (the year 8307)
        f"{NOW_US}.-1.{NOW_US}",
        f"{NOW_US}.1.5.{NOW_US}",
        f"{NOW_US}.1",
    ],
)
def test_pull_cursor_out_of_range_or_malformed_is_400(client, auth_headers, cursor):
    push(client, auth_headers, push_body("s"))
    response = client.post("/api/sync/pull", json={"cursor": cursor}, headers=auth_headers)
    assert response.status_code == 400 and response.json["error"], response.json


def test_pull_cursor_at_the_edge_of_its_range_is_a_page(client, auth_headers):
    push(client, auth_headers, push_body("s"))
    largest = f"{2 * 10**17 - 1}.{10**18 - 1}.{2 * 10**17 - 1}"
    page = pull(client, auth_headers, cursor=largest)
    assert page["sessions"] == [] and page["server_timestamp"].startswith("8307-")
    first = pull(client, auth_headers, cursor="0.0.0")
    assert [s["session_id"] for s in first["sessions"]] == ["s"]


def test_pull_cursors_match_the_documented_pattern(client, auth_headers):
    for name in ("a", "b"):
        push(client, auth_headers, push_body(name))
    spec = client.get("/api/openapi.json").json
    schema = spec["components"]["schemas"]["PullRequest"]["properties"]["cursor"]
    pattern = next(s["pattern"] for s in schema["anyOf"] if "pattern" in s)
    page = pull(client, auth_headers, page_size=1)
    assert re.fullmatch(pattern.strip("^$"), page["next_cursor"])
    assert pull(client, auth_headers, page_size=1, cursor=page["next_cursor"])["sessions"]
