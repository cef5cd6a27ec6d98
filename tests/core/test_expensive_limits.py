"""Per-user rate limits of the expensive endpoints: analysis, uploads, exports, series and
track, data pages. Each is a config key; 429 JSON with Retry-After; one user's use never
limits another; the defaults leave room for the dashboard and a phone."""

from __future__ import annotations

import pytest

from tests.dashboard.test_dashboard_pages import PASSWORD, csrf, sign_in
from tests.payloads import END, gps_track, xyz
from tests.tasks.data import push
from tests.uploads.files import meta, ndjson, post_upload

SENSORS = ("accelerometer", "gyroscope", "magnetometer", "gravity", "light", "pressure")


def _recorded(client, headers, session_id="ride"):
    data = [sample for sensor in SENSORS for sample in xyz(sensor, 30)] + gps_track(5)
    push(client, headers, session_id, data, end_time=END, sample_rate=100)


def _analysis(client, headers, n: int):
    # A new sensitivity each time: no request can be answered with an earlier run.
    return client.post("/api/sessions/ride/analysis", json={"sensitivity": n + 1}, headers=headers)


def _upload(client, headers, n: int):
    return post_upload(client, headers, ndjson(xyz("gyroscope", 3)), session=meta(f"u{n}"))


def _export(client, headers, n: int):
    return client.get("/api/sessions/ride/export?format=ndjson", headers=headers)


def _series(client, headers, n: int):
    return client.get(f"/api/sessions/ride/series?sensor_type={SENSORS[n % 6]}", headers=headers)


def _track(client, headers, n: int):
    return client.get("/api/sessions/ride/track", headers=headers)


def _data(client, headers, n: int):
    return client.get("/api/sessions/ride/data?limit=10", headers=headers)


@pytest.mark.parametrize(
    ("key", "call", "ok"),
    [
        ("ANALYSIS_RATE_LIMIT", _analysis, 202),
        ("UPLOAD_RATE_LIMIT", _upload, 202),
        ("EXPORT_RATE_LIMIT", _export, 200),
        ("SERIES_RATE_LIMIT", _series, 200),
        ("SERIES_RATE_LIMIT", _track, 200),
        ("DATA_RATE_LIMIT", _data, 200),
    ],
)
def test_each_expensive_endpoint_is_limited_per_user(
    app, limited_client, register, monkeypatch, key, call, ok
):
    monkeypatch.setitem(app.config, key, "3 per minute")
    alice = register().headers
    bob = register().headers
    _recorded(limited_client, alice)
    _recorded(limited_client, bob)

    statuses = [call(limited_client, alice, n).status_code for n in range(4)]
    refused = call(limited_client, alice, 4)

    assert statuses == [ok] * 3 + [429]
    assert refused.status_code == 429 and refused.is_json and refused.json["error"]
    assert int(refused.headers["Retry-After"]) > 0
    assert call(limited_client, bob, 0).status_code == ok


def test_series_and_track_share_one_budget(app, limited_client, register, monkeypatch):
    monkeypatch.setitem(app.config, "SERIES_RATE_LIMIT", "4 per minute")
    headers = register().headers
    _recorded(limited_client, headers)
    statuses = [_series(limited_client, headers, n).status_code for n in range(3)]
    statuses += [_track(limited_client, headers, n).status_code for n in range(2)]
    assert statuses == [200, 200, 200, 200, 429]


def test_the_dashboard_analysis_button_counts_towards_the_same_limit(
    app, limited_client, register, monkeypatch
):
    monkeypatch.setitem(app.config, "ANALYSIS_RATE_LIMIT", "2 per minute")
    account = register(password=PASSWORD)
    user, headers = account.user, account.headers
    _recorded(limited_client, headers)
    assert _analysis(limited_client, headers, 0).status_code == 202
    assert sign_in(limited_client, user["username"]).status_code == 302
    form = {"csrf_token": csrf(limited_client)}

    first = limited_client.post("/dashboard/sessions/ride/analysis", data=form)
    second = limited_client.post("/dashboard/sessions/ride/analysis", data=form)

    assert first.status_code == 302
    assert second.status_code == 429


def test_a_dashboard_session_page_and_a_phone_stay_within_the_defaults(
    app, limited_client, register
):
    """Three views of a session page with six sensors and a track (what the page fetches),
    paging through its samples and exporting it: nothing near a default limit."""
    headers = register().headers
    _recorded(limited_client, headers)
    replies = []
    for _ in range(3):
        replies += [_series(limited_client, headers, n) for n in range(len(SENSORS))]
        replies.append(_track(limited_client, headers, 0))
    replies += [_data(limited_client, headers, n) for n in range(50)]
    replies += [_export(limited_client, headers, n) for n in range(5)]
    replies += [_analysis(limited_client, headers, n) for n in range(3)]
    assert {r.status_code for r in replies} <= {200, 202}
