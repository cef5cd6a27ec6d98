"""The analysis task bodies against rows pushed through the API (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.analyses import loading, store
from app.analyses.compute import signals
from app.analyses.compute.frame import frame_from_records
from app.analyses.compute.geo import haversine_m
from app.extensions import db
from app.models import SessionAnalysis
from app.tasks.data_processing import (
    analyze_sensor_data,
    analyze_session,
    calculate_session_metrics,
    detect_anomalies,
    generate_statistics,
)
from tests.payloads import END, T0, gps_track, xyz
from tests.tasks.data import age_session, push, session_pk


def _close(a, b):
    """Recursive equality allowing float round-off (summation order differs by backend)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9)
    else:
        assert a == b


@pytest.fixture
def recording(app, client, register):
    """A closed 10-minute session: accelerometer (1 spike), gyroscope and 11 GPS fixes."""
    account = register()
    user, headers = account.user, account.headers
    accel = xyz("accelerometer", 600)
    accel[300]["data"] = {"x": 0.0, "y": 0.0, "z": 40.0}
    data = accel + xyz("gyroscope", 300, step=20, seed=2) + gps_track(11)
    push(client, headers, "ride-1", data, end_time=END, sample_rate=100)
    pk = session_pk(app, user["id"], "ride-1")
    return {"pk": pk, "data": data, "user": user, "headers": headers}


def _expected_frame(data):
    return frame_from_records((s["sensor_type"], s["timestamp"], s["data"]) for s in data)


def test_loader_reads_numeric_fields_of_every_sensor_in_one_frame(app, recording):
    with app.app_context():
        frame = loading.load_samples(recording["pk"])
    assert len(frame) == len(recording["data"])
    fields = {"x", "y", "z", "latitude", "longitude", "accuracy"}
    assert set(frame.columns) == {"sensor_type", "timestamp"} | fields  # no text, no bools
    assert frame["timestamp"].dtype == "int64"
    assert frame.groupby("sensor_type", observed=True).size().to_dict() == {
        "accelerometer": 600,
        "gps": 11,
        "gyroscope": 300,
    }


def test_analyze_sensor_data_matches_the_pure_function_on_pushed_rows(app, recording):
    result = analyze_sensor_data(recording["pk"])

    expected = signals.analyze_sensor_data(_expected_frame(recording["data"]), T0, T0 + 600_000)
    _close(expected, result)
    assert result["record_count"] == 911
    assert result["duration_seconds"] == 600.0
    assert result["sensors"]["accelerometer"]["count"] == 600
    assert result["gps"]["fixes"] == 11
    assert result["gps"]["distance_m"] == pytest.approx(10 * haversine_m(0, 0, 0, 0.001))


def test_detect_anomalies_flags_the_spike_and_keeps_its_sensitivity(app, recording):
    result = detect_anomalies(recording["pk"], 4.0)

    assert result["sensitivity"] == 4.0
    accel = result["sensors"]["accelerometer"]
    assert accel["anomaly_timestamps"] == [T0 + 300 * 10]
    assert accel["anomaly_ratio"] == pytest.approx(1 / 600)
    assert result["sensors"]["gyroscope"]["anomaly_count"] == 0
    with app.app_context():
        row = db.session.scalar(select(SessionAnalysis).where(SessionAnalysis.kind == "anomalies"))
        assert row.parameters == {"sensitivity": 4.0}
        assert row.status == "success" and row.result == result


def test_session_metrics_use_the_declared_rate_except_for_gps(app, recording):
    result = calculate_session_metrics(recording["pk"])

    accel = result["sensors"]["accelerometer"]
    assert accel["quality"]["declared_rate_hz"] == 100
    assert accel["quality"]["effective_rate_hz"] == pytest.approx(100.0)
    assert accel["quality"]["gaps"]["count"] == 0
    gyro = result["sensors"]["gyroscope"]["quality"]
    assert gyro["rate_ratio"] == pytest.approx(0.5)  # 50 Hz against a declared 100 Hz
    assert result["sensors"]["gps"]["quality"]["declared_rate_hz"] is None
    assert set(accel["axes"]["x"]) == {"mean", "std", "min", "max", "peak_to_peak"}
    assert result["sample_count"] == 911


def test_metrics_report_gaps_in_the_recording(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    data = xyz("accelerometer", 100) + xyz("accelerometer", 100, start=T0 + 5000)
    push(client, headers, "gappy", data, sample_rate=100)
    result = calculate_session_metrics(session_pk(app, user["id"], "gappy"))

    gaps = result["sensors"]["accelerometer"]["quality"]["gaps"]
    assert gaps["count"] == 1
    assert gaps["items"][0] == {"start": T0 + 990, "end": T0 + 5000, "missing_ms": 4000.0}


def test_a_task_id_stores_its_results_once_however_often_it_runs(app, recording):
    for _ in range(2):
        outcome = analyze_session.apply(args=[recording["pk"]], task_id="task-once").get()
        assert outcome["status"] == "success"

    with app.app_context():
        rows = db.session.scalars(select(SessionAnalysis).order_by(SessionAnalysis.kind)).all()
        assert [(r.kind, r.task_id, r.status, r.attempts) for r in rows] == [
            ("analysis", "task-once", "success", 1),
            ("anomalies", "task-once", "success", 1),
            ("metrics", "task-once", "success", 1),
        ]


def test_an_interrupted_task_is_redone_in_the_same_rows(app, recording):
    with app.app_context():  # as if a worker died after recording its start
        store.mark_started(
            recording["pk"],
            ["analysis"],
            "t-crash",
            {},
            loading.session_info(recording["pk"]).updated_at,
        )
    analyze_sensor_data.apply(args=[recording["pk"]], task_id="t-crash").get()

    with app.app_context():
        row = db.session.scalar(select(SessionAnalysis).where(SessionAnalysis.task_id == "t-crash"))
        assert (row.status, row.attempts) == ("success", 2)
        assert db.session.scalar(select(func.count()).select_from(SessionAnalysis)) == 1


def test_a_task_that_keeps_dying_is_given_up(app, recording):
    with app.app_context():
        stamp = loading.session_info(recording["pk"]).updated_at
        store.mark_started(recording["pk"], ["analysis"], "t-poison", {}, stamp)
        db.session.execute(
            update(SessionAnalysis).values(attempts=app.config["MAX_TASK_DELIVERIES"])
        )
        db.session.commit()
    outcome = analyze_sensor_data.apply(args=[recording["pk"]], task_id="t-poison").get()

    assert outcome["status"] == "failure"
    with app.app_context():
        row = db.session.scalar(select(SessionAnalysis))
        assert row.status == "failure" and "given up" in row.error and row.result is None


def test_automatic_analysis_skips_sessions_already_analysed(app, recording):
    age_session(app, recording["pk"], minutes=10)  # the pushes are over
    first = analyze_session.apply(args=[recording["pk"]], kwargs={"only_if_stale": True}).get()
    second = analyze_session.apply(args=[recording["pk"]], kwargs={"only_if_stale": True}).get()

    assert first["status"] == "success" and first["kinds"] == ["analysis", "anomalies", "metrics"]
    assert second == second | {"status": "skipped", "reason": "results are up to date"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionAnalysis)) == 3


def test_a_retry_skipped_after_a_started_delivery_leaves_no_open_rows(app, recording):
    """Regression: a delivery marked its rows started, then hit "database is locked"; its retry
    found the results up to date and was skipped, leaving "started" rows that showed the
    session's analysis as running forever."""
    age_session(app, recording["pk"], minutes=10)
    analyze_session.apply(args=[recording["pk"]], kwargs={"only_if_stale": True}).get()
    with app.app_context():
        stamp = loading.session_info(recording["pk"]).updated_at
        store.mark_started(recording["pk"], ["analysis"], "interrupted", {}, stamp)
    retry = analyze_session.apply(
        args=[recording["pk"]], kwargs={"only_if_stale": True}, task_id="interrupted"
    ).get()
    assert retry["status"] == "skipped"
    with app.app_context():
        statuses = db.session.scalars(select(SessionAnalysis.status)).all()
    assert sorted(statuses) == ["success"] * 3


def test_automatic_analysis_waits_while_a_session_still_receives_batches(app, recording):
    app.config["ANALYSIS_DELAY_SECONDS"] = 3600
    try:
        outcome = analyze_session.apply(args=[recording["pk"]], kwargs={"only_if_stale": True})
    finally:
        app.config["ANALYSIS_DELAY_SECONDS"] = 30
    assert outcome.get()["reason"] == "session is still receiving data"


def test_a_session_without_samples_is_analysed_as_empty(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    push(client, headers, "empty", [], end_time=END)
    result = analyze_sensor_data(session_pk(app, user["id"], "empty"))
    assert result["record_count"] == 0 and result["sensors"] == {} and result["gps"] is None


def test_an_unknown_session_is_skipped(app):
    assert analyze_sensor_data(987654)["reason"] == "session not found"


def test_a_field_that_is_sometimes_text_counts_only_its_numbers(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    data = [
        {"sensor_type": "light", "timestamp": T0 + i, "data": {"lux": v}}
        for i, v in enumerate([10, 20.5, "bright", 30, None])
    ]
    push(client, headers, "light", data)
    result = analyze_sensor_data(session_pk(app, user["id"], "light"))
    assert result["sensors"]["light"]["fields"]["lux"]["mean"] == pytest.approx(60.5 / 3)


def test_generate_statistics_counts_only_the_users_sessions_in_the_period(app, client, register):
    account = register()
    user, headers = account.user, account.headers
    other_headers = register().headers
    push(
        client,
        headers,
        "a",
        xyz("accelerometer", 20),
        end_time=END,
        enabled_sensors=["accelerometer"],
    )
    push(
        client,
        headers,
        "b",
        gps_track(5),
        start_time="2025-11-14T08:00:00Z",
        end_time="2025-11-14T08:30:00Z",
        enabled_sensors=["gps", "accelerometer"],
    )
    push(client, headers, "old", xyz("gyroscope", 5), start_time="2025-10-01T00:00:00Z")
    push(client, other_headers, "a", xyz("gyroscope", 50), end_time=END)

    result = generate_statistics(user["id"], "2025-11-13", "2025-11-14")

    assert result["session_count"] == 2
    assert result["record_count"] == 25
    assert result["total_duration_seconds"] == 600 + 1800
    assert result["average_duration_seconds"] == 1200
    assert result["sensor_usage"] == {"accelerometer": 2, "gps": 1}
    assert result["records_by_sensor"] == {"accelerometer": 20, "gps": 5}
    assert result["sessions_per_day"] == {"2025-11-13": 1, "2025-11-14": 1}
    assert result["user_id"] == user["id"]
