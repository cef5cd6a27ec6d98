"""Readers of a session stored wide before the key caps: exports, chart series and the analysis
loader take at most MAX_SESSION_SENSOR_KEYS data keys as columns, the session's real fields
among them, and say how many they left out."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from app.analyses import loading
from app.analyses.compute import signals
from tests.legacy import stored_before_the_caps
from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import push

WIDE_SAMPLES = 50  # the first 50 accelerometer samples: inside the analysis loader's probe
KEYS_EACH = 40  # 2,000 one-off keys in all, far above the default cap of 256
ONE_OFF = WIDE_SAMPLES * KEYS_EACH
CAP = 256  # MAX_SESSION_SENSOR_KEYS, by default


def _one_off_samples() -> list[dict]:
    return [
        {
            "sensor_type": "accelerometer",
            "timestamp": BASE_TS - 10_000 + 10 * i,
            "data": {f"w{i * KEYS_EACH + j:05d}": float(j) for j in range(KEYS_EACH)},
        }
        for i in range(WIDE_SAMPLES)
    ]


def _gps() -> list[dict]:
    return [
        {
            "sensor_type": "gps",
            "timestamp": BASE_TS + 1000 * i,
            "data": {"latitude": 37.5 + i / 1000, "longitude": 127.0, "provider": "fused"},
        }
        for i in range(5)
    ]


@pytest.fixture
def wide(app, client, auth_headers):
    push(client, auth_headers, push_body("wide", samples(60) + _gps()))
    return stored_before_the_caps(app, "wide", _one_off_samples())


def _export(client, headers, query: str):
    response = client.get(f"/api/sessions/wide/export?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_a_wide_csv_export_takes_at_most_the_cap_and_keeps_the_real_fields(
    app, client, auth_headers, wide
):
    response = _export(client, auth_headers, "format=csv")
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    data_columns = header[2:]
    assert len(data_columns) == CAP
    assert {"x", "y", "z", "latitude", "longitude", "provider"} <= set(data_columns)
    assert data_columns == sorted(data_columns)
    total = 6 + ONE_OFF
    assert response.headers["X-Omitted-Fields"] == str(total - CAP)
    assert len(rows) == 60 + 5 + WIDE_SAMPLES


def test_a_wide_parquet_export_takes_at_most_the_cap(app, client, auth_headers, wide):
    response = _export(client, auth_headers, "format=parquet")
    table = pq.read_table(io.BytesIO(response.get_data()))
    assert len(table.column_names) == 2 + CAP
    assert table.num_rows == 60 + 5 + WIDE_SAMPLES
    assert table.schema.field("x").type == "double"
    assert table.schema.field("provider").type == "string"
    assert int(response.headers["X-Omitted-Fields"]) == 6 + ONE_OFF - CAP


def test_an_export_of_a_narrow_sensor_of_a_wide_session_omits_nothing(client, auth_headers, wide):
    response = _export(client, auth_headers, "format=csv&sensor_type=gps")
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == ["sensor_type", "timestamp", "latitude", "longitude", "provider"]
    assert "X-Omitted-Fields" not in response.headers


def test_the_cli_export_says_how_many_fields_it_left_out(
    app, client, auth_headers, runner, wide, tmp_path
):
    username = client.get("/api/auth/me", headers=auth_headers).json["user"]["username"]
    output = tmp_path / "wide.csv"
    result = runner.invoke(args=["export-session", username, "wide", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"{6 + ONE_OFF - CAP} data fields left out" in result.output
    assert len(output.read_text().splitlines()[0].split(",")) == 2 + CAP


def test_the_analysis_loader_takes_at_most_the_cap(app, wide):
    with app.app_context():
        frame = loading.load_samples(wide)
    fields = set(frame.columns) - {"sensor_type", "timestamp"}
    assert len(fields) <= CAP
    assert {"x", "y", "z", "latitude", "longitude"} <= fields
    assert len(frame) == 60 + 5 + WIDE_SAMPLES
    result = signals.analyze_sensor_data(frame)
    assert result["sensors"]["accelerometer"]["count"] == 60 + WIDE_SAMPLES
    assert {"x", "y", "z"} <= set(result["sensors"]["accelerometer"]["fields"])


def test_chart_series_of_a_wide_sensor_stay_small(client, auth_headers, wide):
    response = client.get(
        "/api/sessions/wide/series?sensor_type=accelerometer", headers=auth_headers
    )
    assert response.status_code == 200
    body = response.json
    assert body["fields"][:3] == ["x", "y", "z"] and len(body["fields"]) <= 8
    assert body["total"] == 60 + WIDE_SAMPLES
