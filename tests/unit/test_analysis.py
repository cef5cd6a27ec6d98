"""Known-answer tests for app.analyses.compute (pure pandas/numpy, no database)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from app.analyses.compute.frame import frame_from_records
from app.analyses.compute.geo import EARTH_RADIUS_M, haversine_m, path_distance_m
from app.analyses.compute.quality import session_metrics
from app.analyses.compute.signals import analyze_sensor_data, detect_anomalies
from app.analyses.compute.user_stats import user_statistics

T0 = 1_700_000_000_000  # ms since epoch


def _json_safe(result: object) -> dict:
    """Round-trip through strict JSON: fails on NaN/inf and on numpy scalars."""
    return json.loads(json.dumps(result, allow_nan=False))


def _assert_close(a: object, b: object, rel: float = 1e-9) -> None:
    """Recursive equality allowing float round-off (summation order may differ)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for key in a:
            _assert_close(a[key], b[key], rel)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_close(x, y, rel)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=rel, abs=1e-9)
    else:
        assert a == b


def _xyz_frame(sensor: str, ts: np.ndarray, x, y, z) -> pd.DataFrame:
    return pd.DataFrame({"sensor_type": sensor, "timestamp": ts, "x": x, "y": y, "z": z})


def _straight_track(n: int = 11) -> pd.DataFrame:
    """gps fixes along the equator, 0.01 deg of longitude apart, one per second."""
    return pd.DataFrame(
        {
            "sensor_type": "gps",
            "timestamp": T0 + 1000 * np.arange(n, dtype=np.int64),
            "latitude": 0.0,
            "longitude": 0.01 * np.arange(n),
        }
    )


def _session_frame() -> pd.DataFrame:
    """Accelerometer sine+offset (100 Hz, 10 whole periods), light sine, straight gps track."""
    k = np.arange(1000)
    phase = 2 * np.pi * k / 100  # 100 samples per period
    acc = _xyz_frame(
        "accelerometer", T0 + 10 * k, 1.0 + 2.0 * np.sin(phase), -3.0 + np.cos(phase), 9.81
    )
    light = pd.DataFrame(
        {"sensor_type": "light", "timestamp": T0 + 10 * k, "lux": 100.0 + 10.0 * np.sin(phase)}
    )
    return pd.concat([acc, light, _straight_track()], ignore_index=True)


# --------------------------------------------------------------------------- geo


def test_haversine_known_city_pairs() -> None:
    # Published great-circle distances: Seoul-Busan ~325 km, London-Paris ~343.5 km.
    assert haversine_m(37.5665, 126.9780, 35.1796, 129.0756) == pytest.approx(325_000, rel=5e-3)
    assert haversine_m(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343_500, rel=5e-3)


def test_haversine_analytic_arcs_and_vectorisation() -> None:
    assert haversine_m(0, 0, 0, 90) == pytest.approx(EARTH_RADIUS_M * math.pi / 2, rel=1e-12)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    assert haversine_m(90, 0, -90, 0) == pytest.approx(EARTH_RADIUS_M * math.pi, rel=1e-12)
    assert haversine_m(12.3, 45.6, 12.3, 45.6) == 0.0
    assert isinstance(haversine_m(0, 0, 1, 1), float)
    out = haversine_m(np.zeros(3), np.zeros(3), np.array([0.0, 1.0, 0.0]), np.array([1.0, 0, 0]))
    np.testing.assert_allclose(out, [EARTH_RADIUS_M * math.pi / 180] * 2 + [0.0], rtol=1e-12)


def test_path_distance_straight_track_ignores_nan() -> None:
    track = _straight_track()
    expected = EARTH_RADIUS_M * math.radians(0.1)
    assert path_distance_m(track["latitude"], track["longitude"]) == pytest.approx(expected)
    lat = np.r_[track["latitude"].to_numpy()[:5], np.nan, track["latitude"].to_numpy()[5:]]
    lon = np.r_[track["longitude"].to_numpy()[:5], 3.0, track["longitude"].to_numpy()[5:]]
    assert path_distance_m(lat, lon) == pytest.approx(expected)
    assert path_distance_m([], []) == 0.0
    assert path_distance_m([1.0], [2.0]) == 0.0


# --------------------------------------------------------------------------- loader


def test_frame_from_records_keeps_numeric_fields_only() -> None:
    frame = frame_from_records(
        [
            ("accelerometer", T0 + 10, {"x": 1, "y": 2.5, "z": 3, "moving": True, "unit": "g"}),
            ("gps", T0, {"latitude": 37.5, "longitude": 127.0, "meta": {"sats": 7}}),
            ("light", T0 + 5, {"lux": 12}),
        ]
    )
    assert list(frame["sensor_type"]) == ["accelerometer", "gps", "light"]
    assert frame["timestamp"].dtype == np.int64
    assert {"moving", "unit"}.isdisjoint(frame.columns)
    assert {"x", "y", "z", "latitude", "longitude", "lux", "meta.sats"} <= set(frame.columns)
    assert frame.loc[2, "lux"] == 12.0 and math.isnan(frame.loc[0, "lux"])
    empty = frame_from_records([])
    assert len(empty) == 0 and list(empty.columns) == ["sensor_type", "timestamp"]


# --------------------------------------------------------------------------- analyze


def test_analyze_sensor_data_known_statistics() -> None:
    result = _json_safe(analyze_sensor_data(_session_frame(), T0, T0 + 12_000))
    assert result["record_count"] == 2011
    assert result["duration_seconds"] == 12.0
    acc = result["sensors"]["accelerometer"]
    assert (acc["count"], acc["first_timestamp"], acc["last_timestamp"]) == (1000, T0, T0 + 9990)
    assert set(acc["fields"]) == {"x", "y", "z"}
    sample_scale = math.sqrt(1000 / 999)  # ddof=1 on 1000 samples of whole periods
    x = acc["fields"]["x"]
    np.testing.assert_allclose(
        [x["mean"], x["std"], x["min"], x["max"]],
        [1.0, 2.0 / math.sqrt(2) * sample_scale, -1.0, 3.0],
        atol=1e-9,
    )
    y = acc["fields"]["y"]
    np.testing.assert_allclose([y["mean"], y["min"], y["max"]], [-3.0, -4.0, -2.0], atol=1e-9)
    assert acc["fields"]["z"]["mean"] == pytest.approx(9.81)
    assert acc["fields"]["z"]["std"] == pytest.approx(0.0, abs=1e-12)
    lux = result["sensors"]["light"]["fields"]["lux"]
    assert lux["mean"] == pytest.approx(100.0)
    assert lux["std"] == pytest.approx(10.0 / math.sqrt(2) * sample_scale)
    assert result["gps"]["fixes"] == 11
    assert result["gps"]["distance_m"] == pytest.approx(EARTH_RADIUS_M * math.radians(0.1))


def test_analyze_duration_falls_back_to_timestamps_and_no_gps() -> None:
    frame = _session_frame()
    assert analyze_sensor_data(frame, None, None)["duration_seconds"] == 10.0
    assert analyze_sensor_data(frame, T0, None)["duration_seconds"] == 10.0
    no_gps = frame[frame["sensor_type"] != "gps"]
    assert analyze_sensor_data(no_gps, None, None)["gps"] is None


# --------------------------------------------------------------------------- anomalies


def _gravity_stream(rng: np.random.Generator, n: int = 6000) -> pd.DataFrame:
    """100 Hz accelerometer at rest: gravity on z plus bounded (uniform) noise on each axis."""
    noise = rng.uniform(-0.05, 0.05, size=(3, n))
    return _xyz_frame("accelerometer", T0 + 10 * np.arange(n), noise[0], noise[1], 9.81 + noise[2])


def test_detect_anomalies_finds_exactly_injected_spikes() -> None:
    rng = np.random.default_rng(42)
    acc = _gravity_stream(rng)
    spikes = [1234, 3000, 4567]
    acc.loc[spikes, "z"] = [30.0, -25.0, 28.0]
    wobble = rng.uniform(-0.01, 0.01, size=(3, 6000))  # around a constant 0.5 rad/s spin
    gyro = _xyz_frame("gyroscope", acc["timestamp"], 0.5 + wobble[0], wobble[1], wobble[2])
    light = pd.DataFrame({"sensor_type": "light", "timestamp": T0, "lux": [5.0]})
    frame = pd.concat([acc, gyro, light], ignore_index=True)

    result = _json_safe(detect_anomalies(frame, sensitivity=3))
    assert result["sensitivity"] == 3.0
    assert set(result["sensors"]) == {"accelerometer", "gyroscope"}
    found = result["sensors"]["accelerometer"]
    assert found["anomaly_timestamps"] == [T0 + 10 * i for i in spikes]
    assert found["anomaly_count"] == 3 and found["count"] == 6000
    assert found["anomaly_ratio"] == pytest.approx(3 / 6000)
    assert found["max_abs_z"] > 3
    magnitude = np.sqrt(acc["x"] ** 2 + acc["y"] ** 2 + acc["z"] ** 2)
    assert found["mean_magnitude"] == pytest.approx(magnitude.mean())
    assert found["std_magnitude"] == pytest.approx(magnitude.std(ddof=0))
    assert result["sensors"]["gyroscope"]["anomaly_count"] == 0
    assert result["total_anomalies"] == 3


def test_detect_anomalies_constant_signal_and_bad_sensitivity() -> None:
    flat = _xyz_frame("accelerometer", T0 + 10 * np.arange(50), 0.0, 0.0, 9.81)
    out = detect_anomalies(flat)["sensors"]["accelerometer"]
    assert out["anomaly_count"] == 0 and out["std_magnitude"] == pytest.approx(0.0)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            detect_anomalies(flat, sensitivity=bad)


# --------------------------------------------------------------------------- session metrics


def _stream_with_holes() -> pd.DataFrame:
    """Declared 100 Hz for 10 s (k = 0..1000) minus k 200-204 and 700-719, plus 3 duplicates."""
    k = np.arange(1001)
    k = k[~(((k >= 200) & (k <= 204)) | ((k >= 700) & (k <= 719)))]
    k = np.r_[k, [10, 500, 999]]
    return _xyz_frame("accelerometer", T0 + 10 * k, np.sin(k / 7.0), 0.5, k % 3)


def test_session_metrics_gaps_duplicates_and_rates() -> None:
    result = _json_safe(session_metrics(_stream_with_holes(), declared_rate_hz=100))
    assert result["sample_count"] == 979
    acc = result["sensors"]["accelerometer"]
    assert acc["count"] == 979
    q = acc["quality"]
    assert q["declared_rate_hz"] == 100.0
    assert q["duplicate_timestamps"] == 3
    assert q["effective_rate_hz"] == pytest.approx(978 / 10.0)
    assert q["rate_ratio"] == pytest.approx(0.978)
    assert q["expected_samples"] == 1001
    assert q["completeness"] == pytest.approx(979 / 1001)
    assert q["gaps"] == {
        "count": 2,
        "total_missing_ms": 250.0,
        "largest_ms": 200.0,
        "items": [
            {"start": T0 + 1990, "end": T0 + 2050, "missing_ms": 50.0},
            {"start": T0 + 6990, "end": T0 + 7200, "missing_ms": 200.0},
        ],
    }
    axes = acc["axes"]
    assert axes["y"] == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5, "peak_to_peak": 0.0}
    assert (axes["z"]["min"], axes["z"]["max"], axes["z"]["peak_to_peak"]) == (0.0, 2.0, 2.0)


def test_session_metrics_without_declared_rate_use_the_most_common_step() -> None:
    frame = pd.concat([_stream_with_holes(), _straight_track()], ignore_index=True)
    result = _json_safe(session_metrics(frame, None))
    q = result["sensors"]["accelerometer"]["quality"]
    assert q["declared_rate_hz"] is None
    assert q["expected_samples"] is None and q["completeness"] is None and q["rate_ratio"] is None
    assert [(g["start"], g["end"], g["missing_ms"]) for g in q["gaps"]["items"]] == [
        (T0 + 1990, T0 + 2050, 50.0),
        (T0 + 6990, T0 + 7200, 200.0),
    ]
    gps = result["sensors"]["gps"]["quality"]
    assert gps["gaps"]["count"] == 0 and gps["effective_rate_hz"] == pytest.approx(1.0)
    per_sensor = session_metrics(frame, {"accelerometer": 100.0, "gps": 1.0})["sensors"]
    assert per_sensor["gps"]["quality"]["completeness"] == 1.0
    assert per_sensor["accelerometer"]["quality"]["gaps"]["count"] == 2


# --------------------------------------------------------------------------- edge cases


def _all_results(frame: pd.DataFrame) -> list[dict]:
    return [
        _json_safe(analyze_sensor_data(frame, None, None)),
        _json_safe(detect_anomalies(frame)),
        _json_safe(session_metrics(frame, 50.0)),
        _json_safe(session_metrics(frame, None)),
    ]


def test_empty_frames() -> None:
    for frame in (frame_from_records([]), pd.DataFrame()):
        analysis, anomalies, metrics, _ = _all_results(frame)
        assert analysis == {"record_count": 0, "duration_seconds": None, "sensors": {}, "gps": None}
        assert anomalies == {"sensitivity": 3.0, "sensors": {}, "total_anomalies": 0}
        assert metrics == {"sample_count": 0, "sensors": {}}


def test_single_row_frames() -> None:
    frame = frame_from_records([("accelerometer", T0, {"x": 1.0, "y": 2.0, "z": 2.0})])
    analysis, anomalies, metrics, _ = _all_results(frame)
    assert analysis["duration_seconds"] == 0.0
    assert analysis["sensors"]["accelerometer"]["fields"]["x"]["std"] is None
    one = anomalies["sensors"]["accelerometer"]
    assert (one["count"], one["mean_magnitude"], one["anomaly_count"]) == (1, 3.0, 0)
    q = metrics["sensors"]["accelerometer"]["quality"]
    assert q["effective_rate_hz"] is None and q["gaps"]["count"] == 0
    assert q["expected_samples"] == 1 and q["completeness"] == 1.0
    gps = frame_from_records([("gps", T0, {"latitude": 1.0, "longitude": 2.0})])
    assert _all_results(gps)[0]["gps"] == {"fixes": 1, "distance_m": 0.0}


def test_non_finite_values_never_leak() -> None:
    frame = _xyz_frame("accelerometer", T0 + 10 * np.arange(4), [1.0, np.inf, np.nan, 2.0], 0, 0)
    frame["lux"] = np.nan
    analysis, anomalies, *_ = _all_results(frame)
    assert analysis["sensors"]["accelerometer"]["fields"]["x"]["max"] == 2.0
    assert "lux" not in analysis["sensors"]["accelerometer"]["fields"]
    assert anomalies["sensors"]["accelerometer"]["count"] == 2


def test_unsorted_input_matches_sorted() -> None:
    rng = np.random.default_rng(7)
    acc = _gravity_stream(rng, 2000)
    acc.loc[[100, 1500], "z"] = 40.0
    frame = pd.concat(
        [acc, _stream_with_holes().assign(sensor_type="gyroscope"), _straight_track()]
    )
    frame = frame.sort_values(["timestamp", "sensor_type"], kind="stable", ignore_index=True)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    for expected, got in zip(_all_results(frame), _all_results(shuffled), strict=True):
        _assert_close(expected, got)


# --------------------------------------------------------------------------- user statistics


def test_user_statistics_small_frame() -> None:
    ts = pd.to_datetime
    sessions = pd.DataFrame(
        {
            "session_id": ["a", "b", "c", "d"],
            "start_time": [
                ts("2024-03-01T10:00:00Z"),
                ts("2024-03-01T23:30:00Z"),
                ts("2024-03-02T00:15:00Z"),
                None,
            ],
            "end_time": [
                ts("2024-03-01T10:30:00Z"),
                ts("2024-03-02T00:00:00Z"),
                None,
                None,
            ],
            "data_count": [100, 50, 7, 0],
            "enabled_sensors": [["accelerometer", "gps"], ["accelerometer"], [], None],
        }
    )
    counts = pd.DataFrame({"sensor_type": ["gps", "accelerometer"], "count": [30, 127]})
    result = _json_safe(user_statistics(sessions, counts))
    assert result == {
        "session_count": 4,
        "record_count": 157,
        "total_duration_seconds": 3600.0,
        "average_duration_seconds": 1800.0,
        "sensor_usage": {"accelerometer": 2, "gps": 1},
        "records_by_sensor": {"accelerometer": 127, "gps": 30},
        "sessions_per_day": {"2024-03-01": 2, "2024-03-02": 1},
        "records_per_day": {"2024-03-01": 150, "2024-03-02": 7},
    }


def test_user_statistics_empty() -> None:
    sessions = pd.DataFrame(
        columns=["session_id", "start_time", "end_time", "data_count", "enabled_sensors"]
    )
    result = _json_safe(user_statistics(sessions, pd.DataFrame(columns=["sensor_type", "count"])))
    assert result == {
        "session_count": 0,
        "record_count": 0,
        "total_duration_seconds": 0.0,
        "average_duration_seconds": None,
        "sensor_usage": {},
        "records_by_sensor": {},
        "sessions_per_day": {},
        "records_per_day": {},
    }
