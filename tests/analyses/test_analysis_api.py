"""/api/sessions/<id>/analysis, /api/tasks/<id> and /api/stats (task bodies run in-process)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SessionAnalysis
from app.tasks.data_processing import analyze_session
from tests.payloads import END, T0, gps_track, xyz
from tests.tasks.data import push, session_pk


@pytest.fixture
def owner(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    spike = xyz("accelerometer", 200)
    spike[100]["data"] = {"x": 0.0, "y": 0.0, "z": 60.0}
    push(client, headers, "ride", spike + gps_track(6), end_time=END, sample_rate=100)
    return {"user": user, "headers": headers, "pk": session_pk(app, user["id"], "ride")}


def _start(client, headers, session_id="ride", **body):
    return client.post(f"/api/sessions/{session_id}/analysis", json=body, headers=headers)


def test_requesting_an_analysis_returns_a_task_that_ends_with_three_results(client, owner):
    response = _start(client, owner["headers"], sensitivity=2.5)
    assert response.status_code == 202
    task_id = response.json["task_id"]

    pending = client.get(f"/api/tasks/{task_id}", headers=owner["headers"]).json
    assert pending["state"] == "PENDING" and pending["session_id"] == "ride"
    assert sorted(pending["results"]) == ["analysis", "anomalies", "metrics"]

    analyze_session.apply(args=[owner["pk"], 2.5], task_id=task_id).get()

    done = client.get(f"/api/tasks/{task_id}", headers=owner["headers"]).json
    assert done["state"] == "SUCCESS" and done["type"] == "session_analysis"
    anomalies = done["results"]["anomalies"]
    assert anomalies["parameters"] == {"sensitivity": 2.5}
    assert anomalies["result"]["sensors"]["accelerometer"]["anomaly_timestamps"] == [T0 + 1000]
    assert done["results"]["analysis"]["result"]["gps"]["fixes"] == 6


def test_the_session_analysis_shows_the_latest_result_of_each_kind(app, client, owner):
    first = _start(client, owner["headers"]).json["task_id"]
    analyze_session.apply(args=[owner["pk"]], task_id=first).get()
    second = _start(client, owner["headers"], sensitivity=50).json["task_id"]
    analyze_session.apply(args=[owner["pk"], 50], task_id=second).get()
    running = _start(client, owner["headers"], sensitivity=7).json["task_id"]

    body = client.get("/api/sessions/ride/analysis", headers=owner["headers"]).json

    assert body["session_id"] == "ride" and body["in_progress"] == [running]
    assert {kind: r["task_id"] for kind, r in body["analyses"].items()} == {
        "analysis": second,
        "anomalies": second,
        "metrics": second,
    }
    assert body["analyses"]["anomalies"]["result"]["total_anomalies"] == 0
    assert body["analyses"]["metrics"]["result"]["sample_count"] == 206


def test_a_session_never_analysed_has_no_results(client, owner):
    body = client.get("/api/sessions/ride/analysis", headers=owner["headers"]).json
    assert body == {"session_id": "ride", "analyses": {}, "in_progress": []}


def test_other_users_sessions_and_tasks_are_not_found(client, register, owner):
    stranger = register().headers
    task_id = _start(client, owner["headers"]).json["task_id"]
    push(client, stranger, "mine", xyz("gyroscope", 3))

    for response in (
        _start(client, stranger),
        client.get("/api/sessions/ride/analysis", headers=stranger),
        client.get(f"/api/tasks/{task_id}", headers=stranger),
        client.get("/api/tasks/no-such-task", headers=owner["headers"]),
        client.get("/api/sessions/mine/analysis", headers=owner["headers"]),
    ):
        assert response.status_code == 404
        assert "not found" in response.json["error"]


def test_invalid_analysis_requests_are_rejected(client, owner):
    assert _start(client, owner["headers"], sensitivity=0).status_code == 400
    assert _start(client, owner["headers"], sensitivity="high").status_code == 400
    # Found by schemathesis: a boolean passed as 1.0 and queued an analysis.
    assert _start(client, owner["headers"], sensitivity=True).status_code == 400
    assert _start(client, owner["headers"], sensitivity="3").status_code == 400
    assert _start(client, owner["headers"], sensitivity=2).status_code == 202
    text = client.post(
        "/api/sessions/ride/analysis",
        data="x",
        headers=owner["headers"] | {"Content-Type": "text/plain"},
    )
    assert text.status_code == 415
    assert client.post("/api/sessions/ride/analysis").status_code == 401
    assert client.get("/api/tasks/abc").status_code == 401


def test_an_empty_body_uses_the_default_sensitivity(app, client, owner):
    response = client.post("/api/sessions/ride/analysis", headers=owner["headers"])
    assert response.status_code == 202
    with app.app_context():
        rows = db.session.scalars(select(SessionAnalysis.parameters)).all()
    assert rows == [{"sensitivity": 3.0}] * 3


def test_stats_cover_the_callers_sessions_in_the_period(client, register, owner):
    stranger = register().headers
    push(client, stranger, "ride", xyz("gyroscope", 30), end_time=END)
    body = client.get(
        "/api/stats?start_date=2025-11-13&end_date=2025-11-13", headers=owner["headers"]
    ).json
    assert body["session_count"] == 1 and body["record_count"] == 206
    assert body["records_by_sensor"] == {"accelerometer": 200, "gps": 6}
    assert body["start"] == "2025-11-13T00:00:00Z" and body["end"] == "2025-11-14T00:00:00Z"
    assert body["total_duration_seconds"] == 600.0


def test_stats_default_to_the_last_30_days(client, owner):
    body = client.get("/api/stats", headers=owner["headers"]).json
    assert body["session_count"] == 0  # the recording is from 2025-11-13


@pytest.mark.parametrize(
    "query",
    ["start_date=yesterday", "end_date=2025-13-01", "start_date=2025-11-14&end_date=2025-11-13"],
)
def test_invalid_stats_periods_are_rejected(client, owner, query):
    response = client.get(f"/api/stats?{query}", headers=owner["headers"])
    assert response.status_code == 400 and response.json["error"]


@pytest.mark.parametrize(
    "query",
    ["end_date=0001-01-01", "start_date=9999-12-31", "end_date=0001-01-05T00:00:00+05:00"],
)
def test_stats_dates_at_the_edge_of_the_calendar_are_400_not_500(client, auth_headers, query):
    response = client.get(f"/api/stats?{query}", headers=auth_headers)
    assert response.status_code == 400
    assert response.is_json and "date" in response.json["error"]


@pytest.mark.parametrize(
    ("query", "start", "end"),
    [  # the boundary cases: one day, an empty period, the first and last years as written
        (
            "start_date=2025-11-13&end_date=2025-11-13",
            "2025-11-13T00:00:00Z",
            "2025-11-14T00:00:00Z",
        ),
        (
            "start_date=2025-11-13T00:00:00Z&end_date=2025-11-13T00:00:00Z",
            "2025-11-13T00:00:00Z",
            "2025-11-13T00:00:00Z",
        ),
        (
            "start_date=1970-01-01T00:00:00%2B01:00&end_date=1970-01-02",
            "1969-12-31T23:00:00Z",
            "1970-01-03T00:00:00Z",
        ),
        (
            "start_date=8999-12-31&end_date=8999-12-31",
            "8999-12-31T00:00:00Z",
            "9000-01-01T00:00:00Z",
        ),
    ],
)
def test_stats_accept_the_boundaries_the_document_allows(client, owner, query, start, end):
    response = client.get(f"/api/stats?{query}", headers=owner["headers"])
    assert response.status_code == 200, response.json
    assert (response.json["start"], response.json["end"]) == (start, end)
