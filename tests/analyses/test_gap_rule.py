"""One definition of a gap: the session metrics (numpy) and the coverage endpoint (SQL) find
the same gaps in the same sensor (docs/tasks.md#gaps)."""

from __future__ import annotations

import numpy as np

from app.analyses import jobs, loading
from app.analyses.compute import gaps, quality
from tests.payloads import gps_track, xyz
from tests.tasks.data import push, session_pk


def _without(samples: list[dict], *holes: tuple[int, int]) -> list[dict]:
    """The samples minus those whose position falls in one of the [first, last] holes."""
    return [s for i, s in enumerate(samples) if not any(a <= i <= b for a, b in holes)]


def _recording() -> list[dict]:
    """100 Hz accelerometer with two holes, a 5 Hz light sensor with one (a sensor slower
    than declared), 1 Hz GPS with one, and a 25 Hz gyroscope without holes (three steps of
    the odd size 41 ms so the most common step is not the only one)."""
    accel = _without(xyz("accelerometer", 3000), (200, 204), (700, 719))
    light = _without(xyz("light", 150, step=200, seed=3), (50, 59))
    gps = _without(gps_track(60), (30, 34))
    gyro = xyz("gyroscope", 400, step=40, seed=4)
    for position in (100, 200, 300):
        gyro[position]["timestamp"] += 1
    return accel + light + gps + gyro


def _metrics_gaps(app, pk: int) -> dict[str, dict]:
    with app.app_context():
        frame = loading.load_samples(pk)
        info = loading.session_info(pk)
        metrics = quality.session_metrics(frame, jobs.declared_rates(info, frame))
    return {name: sensor["quality"]["gaps"] for name, sensor in metrics["sensors"].items()}


def test_metrics_and_coverage_find_the_same_gaps_in_every_sensor(app, client, register):
    account = register()
    push(client, account.headers, "holes", _recording(), sample_rate=100)
    pk = session_pk(app, account.user["id"], "holes")

    coverage = client.get("/api/sessions/holes/coverage", headers=account.headers).json
    by_metrics = _metrics_gaps(app, pk)

    assert {s["sensor_type"] for s in coverage["sensors"]} == set(by_metrics)
    for sensor in coverage["sensors"]:
        metric = by_metrics[sensor["sensor_type"]]
        assert metric["count"] == sensor["gap_count"], sensor["sensor_type"]
        assert metric["total_missing_ms"] == sensor["missing_ms"], sensor["sensor_type"]
        assert metric["items"] == sensor["gaps"], sensor["sensor_type"]
    counts = {s["sensor_type"]: s["gap_count"] for s in coverage["sensors"]}
    assert counts == {"accelerometer": 2, "gps": 1, "gyroscope": 0, "light": 1}
    sources = {s["sensor_type"]: s["interval_source"] for s in coverage["sensors"]}
    assert sources == {
        "accelerometer": "declared",
        "gps": "observed",
        "gyroscope": "observed",
        "light": "observed",
    }


def test_a_sensor_slower_than_declared_is_judged_by_its_own_step():
    five_hz = np.arange(0, 10_000, 200, dtype=np.int64)
    found = gaps.find_gaps(five_hz, declared_ms=10.0, max_items=100)
    assert (found.interval_ms, found.interval_source, found.count) == (200.0, "observed", 0)


def test_a_gap_is_a_step_over_twice_the_nominal_interval():
    ts = np.array([0, 10, 20, 40, 61, 71], dtype=np.int64)  # steps 10, 10, 20, 21, 10
    found = gaps.find_gaps(ts, declared_ms=10.0, max_items=100)
    assert found.count == 1
    assert found.items == [{"start": 40, "end": 61, "missing_ms": 11}]
    assert (found.total_missing_ms, found.largest_ms) == (11, 11)


def test_the_most_common_step_prefers_the_shorter_on_a_tie_and_sees_only_the_probe():
    assert gaps.most_common_step(np.array([0, 10, 30, 40, 60], dtype=np.int64)) == 10.0
    late_change = np.r_[
        np.arange(0, 10 * gaps.RATE_PROBE_SAMPLES, 10), 10**9 + np.arange(0, 10**6, 50)
    ]
    assert gaps.most_common_step(late_change) == 10.0
    assert gaps.most_common_step(np.array([5], dtype=np.int64)) is None


def test_own_cadence_sensors_and_missing_rates_have_no_declared_interval():
    assert gaps.declared_interval_ms("gps", 100.0) is None
    assert gaps.declared_interval_ms("accelerometer", None) is None
    assert gaps.declared_interval_ms("accelerometer", 0) is None
    assert gaps.declared_interval_ms("accelerometer", 50.0) == 20.0
    assert gaps.nominal_interval(None, None) == (None, None)
    assert gaps.find_gaps(np.array([7], dtype=np.int64), None, 10).count == 0
