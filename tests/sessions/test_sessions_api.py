"""Listing, showing, editing and deleting sessions through /api/sessions."""

from __future__ import annotations

import pytest

from tests.payloads import push_body, samples
from tests.sync.helpers import pull, push


def _seed(client, headers):
    push(
        client,
        headers,
        push_body("walk-1", samples(5), notes="Morning WALK", end_time="2025-11-13T01:00:00Z"),
    )
    push(
        client,
        headers,
        push_body("gps-2", samples(3, "gps", step=1000), start_time="2025-11-14T00:00:00Z"),
    )
    push(client, headers, push_body("idle-3", start_time="2025-11-15T00:00:00Z", notes="100%_x"))


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [s["session_id"] for s in response.json["sessions"]]


def test_list_filters_and_sorts(client, auth_headers):
    _seed(client, auth_headers)
    get = lambda query: client.get(f"/api/sessions?{query}", headers=auth_headers)  # noqa: E731
    assert _ids(get("")) == ["idle-3", "gps-2", "walk-1"]
    assert _ids(get("order=asc")) == ["walk-1", "gps-2", "idle-3"]
    assert _ids(get("start=2025-11-14T00:00:00Z")) == ["idle-3", "gps-2"]
    assert _ids(get("end=2025-11-14T00:00:00Z")) == ["walk-1"]
    assert _ids(get("sensor_type=gps")) == ["gps-2"]
    assert _ids(get("active=false")) == ["walk-1"]
    assert _ids(get("q=walk")) == ["walk-1"]
    assert _ids(get("q=0%25_")) == ["idle-3"]  # LIKE wildcards are literal


def test_list_paginates_with_total(client, auth_headers):
    _seed(client, auth_headers)
    first = client.get("/api/sessions?page_size=2", headers=auth_headers).json
    second = client.get("/api/sessions?page_size=2&page=2", headers=auth_headers).json
    assert (first["total"], first["has_more"], second["has_more"]) == (3, True, False)
    assert len(first["sessions"]) + len(second["sessions"]) == 3


@pytest.mark.parametrize(
    "query",
    [
        "page_size=0",
        "page_size=101",
        "page=x",
        "order=up",
        "start=yesterday",
        "start=1700000000",
        "active=maybe",
        "sensor_type=Bad-Type",
    ],
)
def test_list_rejects_bad_query_values(client, auth_headers, query):
    response = client.get(f"/api/sessions?{query}", headers=auth_headers)
    assert response.status_code == 400
    assert "error" in response.json


def test_detail_summarises_each_sensor(client, auth_headers):
    push(client, auth_headers, push_body("s", samples(4) + samples(2, "gyroscope", step=5)))
    body = client.get("/api/sessions/s", headers=auth_headers).json
    assert body["session_id"] == "s"
    assert body["sensors"] == [
        {
            "sensor_type": "accelerometer",
            "count": 4,
            "first_timestamp": samples(1)[0]["timestamp"],
            "last_timestamp": samples(4)[-1]["timestamp"],
        },
        {
            "sensor_type": "gyroscope",
            "count": 2,
            "first_timestamp": samples(1)[0]["timestamp"],
            "last_timestamp": samples(2, step=5)[-1]["timestamp"],
        },
    ]


def test_every_endpoint_hides_other_users_sessions(client, register):
    owner = register().headers
    other = register().headers
    push(client, owner, push_body("mine", samples(2)))
    for method, path in [
        ("get", "/api/sessions/mine"),
        ("patch", "/api/sessions/mine"),
        ("delete", "/api/sessions/mine"),
        ("get", "/api/sessions/mine/coverage"),
        ("get", "/api/sessions/mine/data"),
        ("get", "/api/sessions/mine/export?format=csv"),
        ("get", "/api/sessions/missing"),
    ]:
        response = getattr(client, method)(path, headers=other, json={"notes": "x"})
        assert response.status_code == 404, (method, path)
        assert response.json["error"]
    assert client.get("/api/sessions", headers=other).json["total"] == 0
    assert client.get("/api/sessions/mine", headers=owner).status_code == 200


def test_patch_edits_under_lww_and_reaches_the_next_delta_pull(client, auth_headers):
    push(client, auth_headers, push_body("s", notes="old"))
    mark = pull(client, auth_headers, include_data=False)["server_timestamp"]
    response = client.patch(
        "/api/sessions/s",
        headers=auth_headers,
        json={"notes": "new", "end_time": "2025-11-13T02:00:00Z"},
    )
    assert response.status_code == 200, response.json
    assert response.json["notes"] == "new"
    assert response.json["is_active"] is False  # end_time given, is_active not: derived
    delta = pull(client, auth_headers, last_sync_time=mark, include_data=False)
    assert [(s["session_id"], s["notes"]) for s in delta["sessions"]] == [("s", "new")]
    # A later push still wins over the edit (last write wins), and absent fields are kept.
    push(client, auth_headers, push_body("s", notes="from phone"))
    body = client.get("/api/sessions/s", headers=auth_headers).json
    assert (body["notes"], body["end_time"]) == ("from phone", "2025-11-13T02:00:00Z")


def test_patch_without_change_does_not_reach_delta_pull(client, auth_headers):
    push(client, auth_headers, push_body("s", notes="same"))
    mark = pull(client, auth_headers, include_data=False)["server_timestamp"]
    assert (
        client.patch("/api/sessions/s", headers=auth_headers, json={"notes": "same"}).status_code
        == 200
    )
    assert pull(client, auth_headers, last_sync_time=mark)["sessions"] == []


@pytest.mark.parametrize(
    "body",
    [{"end_time": "2025-11-12T00:00:00Z"}, {"is_active": "yes"}, {"notes": 5}, {"end_time": 17}],
)
def test_patch_rejects_invalid_edits(client, auth_headers, body):
    push(client, auth_headers, push_body("s", notes="kept"))
    response = client.patch("/api/sessions/s", headers=auth_headers, json=body)
    assert response.status_code == 400, response.json
    assert client.get("/api/sessions/s", headers=auth_headers).json["notes"] == "kept"
