"""Chart series (min/max per time bucket) and the GPS track, checked against numpy."""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy import select

from app.analyses.charts import DEFAULT_POINTS, warm_session_charts
from app.analyses.compute.geo import path_distance_m
from app.extensions import db
from app.models import ChartSeries, RecordingSession
from tests.payloads import BASE_TS, push_body
from tests.sync.helpers import push


def _wave(count: int, start: int = BASE_TS, step: int = 10) -> list[dict]:
    rng = np.random.default_rng(7)
    values = rng.normal(0, 1, (count, 3)).round(4)
    return [
        {
            "sensor_type": "accelerometer",
            "timestamp": start + i * step,
            "data": {"x": x, "y": y, "z": z, "label": "walk"},
        }
        for i, (x, y, z) in enumerate(values.tolist())
    ]


def _series(client, headers, session_id="s", expected=200, **query):
    response = client.get(f"/api/sessions/{session_id}/series", query_string=query, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    return response.json


def test_short_series_come_back_whole_with_magnitude(client, auth_headers):
    data = _wave(50)
    push(client, auth_headers, push_body("s", data))
    body = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    assert (body["downsampled"], body["total"], body["points"]) == (False, 50, 50)
    assert body["fields"] == ["x", "y", "z"]  # the text field is not charted
    assert body["t"] == [s["timestamp"] for s in data]
    assert body["values"]["y"] == [s["data"]["y"] for s in data]
    expected = [math.dist((0, 0, 0), (d["x"], d["y"], d["z"])) for d in (s["data"] for s in data)]
    assert np.allclose(body["magnitude"], expected)


def test_long_series_keep_each_buckets_extremes(client, auth_headers):
    data = _wave(10_000)
    push(client, auth_headers, push_body("s", data))
    body = _series(client, auth_headers, sensor_type="accelerometer", points=200)
    assert body["downsampled"] and body["total"] == 10_000
    assert body["points"] <= 200 and len(body["t"]) == body["points"]

    t = np.array([s["timestamp"] for s in data])
    x = np.array([s["data"]["x"] for s in data])
    bucket = (t - t[0]) * 100 // (t[-1] - t[0] + 1)  # 100 buckets = 200 points
    expected_t, expected_x = [], []
    for b in np.unique(bucket):
        inside = bucket == b
        expected_t += [t[inside].min(), t[inside].max()]
        expected_x += [x[inside].min(), x[inside].max()]
    assert body["t"] == expected_t
    assert body["values"]["x"] == expected_x
    # The global extremes survive any reduction: spikes stay visible.
    assert max(body["values"]["x"]) == x.max() and min(body["values"]["x"]) == x.min()


def test_window_and_non_numeric_values(client, auth_headers):
    data = _wave(100)
    data[10]["data"]["x"] = "n/a"  # a phone bug: text where a number belongs
    data[11]["data"]["x"] = None
    push(client, auth_headers, push_body("s", data))
    start, end = BASE_TS + 50, BASE_TS + 150  # samples 5 .. 14
    body = _series(client, auth_headers, sensor_type="accelerometer", start=start, end=end)
    assert body["t"] == [BASE_TS + i * 10 for i in range(5, 15)]
    assert body["values"]["x"][5:7] == [None, None]
    assert body["magnitude"][5] is None and body["magnitude"][7] is not None


def test_series_refuses_bad_queries_and_other_users_sessions(client, auth_headers, register):
    push(client, auth_headers, push_body("s", _wave(10)))
    assert _series(client, auth_headers, expected=400)["error"]  # sensor_type is required
    _series(client, auth_headers, expected=400, sensor_type="accelerometer", points=5)
    _series(client, auth_headers, expected=400, sensor_type="accelerometer", points="many")
    _series(client, auth_headers, expected=404, sensor_type="gyroscope")
    _series(client, auth_headers, "nope", expected=404, sensor_type="accelerometer")
    other = register().headers
    assert _series(client, other, expected=404, sensor_type="accelerometer")["error"]
    assert client.get("/api/sessions/s/track", headers=other).status_code == 404


def _fixes(coordinates: list[tuple[float, float]]) -> list[dict]:
    return [
        {
            "sensor_type": "gps",
            "timestamp": BASE_TS + i * 1000,
            "data": {"latitude": a, "longitude": o},
        }
        for i, (a, o) in enumerate(coordinates)
    ]


def test_track_distance_uses_every_fix_and_thins_for_drawing(client, auth_headers):
    angles = np.linspace(0, 2 * np.pi, 500)
    lat, lon = 37.5665 + 0.005 * np.sin(angles), 126.978 + 0.005 * np.cos(angles)
    fixes = _fixes(list(zip(lat.tolist(), lon.tolist(), strict=True)))
    fixes[3]["data"] = {"latitude": 95.0, "longitude": 10.0}  # impossible: skipped
    fixes[4]["data"] = {"latitude": "x", "longitude": 10.0}  # not a number: skipped
    push(client, auth_headers, push_body("s", fixes))
    body = client.get("/api/sessions/s/track?points=50", headers=auth_headers).json
    keep = np.ones(500, bool)
    keep[[3, 4]] = False
    assert body["fixes"] == 498
    assert body["distance_m"] == round(path_distance_m(lat[keep], lon[keep]), 1)
    assert body["downsampled"] and len(body["latitude"]) == 50
    assert (body["t"][0], body["t"][-1]) == (BASE_TS, BASE_TS + 499_000)  # ends kept


def test_track_of_a_session_without_gps_is_empty(client, auth_headers):
    push(client, auth_headers, push_body("s", _wave(10)))
    body = client.get("/api/sessions/s/track", headers=auth_headers).json
    assert (body["fixes"], body["distance_m"], body["latitude"]) == (0, 0.0, [])


def _kept(app) -> list[ChartSeries]:
    with app.app_context():
        return list(db.session.scalars(select(ChartSeries).order_by(ChartSeries.sensor_type)))


def test_whole_series_are_kept_until_their_samples_change(app, client, auth_headers):
    push(client, auth_headers, push_body("s", _wave(300)))
    first = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    del first["session_id"], first["sensor_type"]  # added by the route
    (kept,) = _kept(app)
    assert (kept.sensor_type, kept.points, kept.body) == ("accelerometer", 100, first)

    with app.app_context():  # mark the kept copy: the next view must come from it
        db.session.get(ChartSeries, (kept.recording_session_id, "accelerometer", 100)).body = (
            first | {"total": -1}
        )
        db.session.commit()
    assert _series(client, auth_headers, sensor_type="accelerometer", points=100)["total"] == -1

    push(client, auth_headers, push_body("s", _wave(100, start=BASE_TS + 3000)))  # new samples
    fresh = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    assert fresh["total"] == 400 and _kept(app)[0].body["t"] == fresh["t"]

    _series(client, auth_headers, sensor_type="accelerometer", points=100, start=BASE_TS)
    assert len(_kept(app)) == 1  # windows are not kept
    client.delete("/api/sessions/s", headers=auth_headers)
    assert _kept(app) == []  # nor outlive their session


def test_warming_prepares_every_sensor_of_a_session(app, client, auth_headers):
    push(client, auth_headers, push_body("s", _wave(50) + _fixes([(37.5, 127.0)] * 3)))
    with app.app_context():
        session_pk = db.session.scalar(select(RecordingSession.id))
        assert warm_session_charts(session_pk) == 2
    assert [(k.sensor_type, k.points) for k in _kept(app)] == [
        ("accelerometer", DEFAULT_POINTS),
        ("gps", DEFAULT_POINTS),
    ]


def test_magnitudes_of_extreme_values_chart_without_failing(client, auth_headers):
    """Squares that underflow (1e-300) or overflow (1e200) a double: PostgreSQL raises on both
    in SQL arithmetic; the chart gives 0 and an unbounded magnitude instead, whole or bucketed."""
    data = _wave(2_000)
    data[10]["data"] |= {"x": 1e-300, "y": 0.0, "z": 0.0}
    data[20]["data"] |= {"x": 1e200, "y": 1.0, "z": 1.0}
    push(client, auth_headers, push_body("s", data))
    whole = _series(client, auth_headers, sensor_type="accelerometer", points=5_000)
    assert whole["magnitude"][10] == 0.0
    assert whole["magnitude"][20] in (None, math.inf)  # JSON has no infinity: null
    bucketed = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    assert bucketed["downsampled"]


def test_a_kept_series_of_huge_values_reads_back(client, auth_headers):
    """The whole-session series is kept in JSONB, which gives 1e20 back as the integer 10**20:
    beyond what a JSON encoder writes (64 bits). The second read comes from the kept copy."""
    data = _wave(50)
    for sample in data:
        sample["data"]["x"] = 1e20
    push(client, auth_headers, push_body("s", data))
    first = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    again = _series(client, auth_headers, sensor_type="accelerometer", points=100)
    assert first == again
    assert again["values"]["x"] == [1e20] * 50
