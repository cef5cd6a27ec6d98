"""Exports over HTTP and the CLI, and the demo seeding."""

from __future__ import annotations

import csv
import io
import json

import orjson
import pyarrow.parquet as pq
import pytest

from tests.payloads import push_body, samples
from tests.sync.helpers import push

PUSHED = (
    samples(30)
    + samples(4, "gps", step=1000)
    + [{"sensor_type": "light", "timestamp": 1_699_876_543_210, "data": {"lux": 3, "tag": "a,b"}}]
)


@pytest.fixture
def stored(client, auth_headers):
    push(client, auth_headers, push_body("export-me", PUSHED))
    return sorted(PUSHED, key=lambda s: (s["sensor_type"], s["timestamp"]))


def _export(client, headers, query: str):
    response = client.get(f"/api/sessions/export-me/export?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_csv_is_streamed_wide_and_round_trips(client, auth_headers, stored):
    response = _export(client, auth_headers, "format=csv")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="export-me.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["sensor_type", "timestamp", "lux", "tag", "x", "y", "z"]
    for row, sample in zip(rows, stored, strict=True):
        assert (row["sensor_type"], int(row["timestamp"])) == (
            sample["sensor_type"],
            sample["timestamp"],
        )
        for key, value in sample["data"].items():
            assert (row[key] if isinstance(value, str) else float(row[key])) == value


def test_ndjson_is_streamed_and_round_trips(client, auth_headers, stored):
    response = _export(client, auth_headers, "format=ndjson")
    assert response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data().splitlines()
    assert [orjson.loads(line) for line in lines] == stored


def test_parquet_export_round_trips_every_sample(client, auth_headers, stored):
    response = _export(client, auth_headers, "format=parquet")
    assert response.mimetype == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.get_data())).to_pylist()
    assert [(r["sensor_type"], r["timestamp"]) for r in table] == [
        (s["sensor_type"], s["timestamp"]) for s in stored
    ]
    for row, sample in zip(table, stored, strict=True):
        assert {k: row[k] for k in sample["data"]} == sample["data"]


def test_export_of_one_sensor_type(client, auth_headers, stored):
    response = _export(client, auth_headers, "format=csv&sensor_type=gps")
    assert response.headers["Content-Disposition"].endswith('filename="export-me-gps.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["sensor_type", "timestamp", "x", "y", "z"]
    assert len(rows) == 4
    bad = client.get("/api/sessions/export-me/export?format=xlsx", headers=auth_headers)
    assert bad.status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_cli_export_writes_the_same_bytes(client, auth_headers, stored, runner, tmp_path, fmt):
    http = _export(client, auth_headers, f"format={fmt}").get_data()
    username = client.get("/api/auth/me", headers=auth_headers).json["user"]["username"]
    output = tmp_path / f"out.{fmt}"
    result = runner.invoke(
        args=["export-session", username, "export-me", "--format", fmt, "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    if fmt == "parquet":  # same table; the file bytes carry no timestamps but compare by content
        assert pq.read_table(output).equals(pq.read_table(io.BytesIO(http)))
    else:
        assert output.read_bytes() == http


def test_cli_export_of_unknown_user_or_session_fails_cleanly(runner, tmp_path, register):
    user = register().user
    out = str(tmp_path / "x.csv")
    assert runner.invoke(args=["export-session", "nobody", "s", "--output", out]).exit_code == 1
    result = runner.invoke(args=["export-session", user["username"], "s", "--output", out])
    assert result.exit_code != 0


def test_seed_demo_twice_reports_duplicates(runner, client):
    first = runner.invoke(args=["seed-demo", "--minutes", "0.2"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo", "--minutes", "0.2"])
    assert second.exit_code == 0, second.output
    assert "0 inserted, 0 updated, 3012 duplicates" in second.output
    login = client.post("/api/auth/login", json={"username": "demo", "password": "demo-password"})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    listed = client.get("/api/sessions?order=asc", headers=headers).json["sessions"]
    assert [s["session_id"] for s in listed] == ["demo-walk", "demo-table"]
    walk = client.get("/api/sessions/demo-walk", headers=headers).json
    counts = {s["sensor_type"]: s["count"] for s in walk["sensors"]}
    assert counts == {"accelerometer": 1200, "gps": 12, "gyroscope": 1200}
    coverage = client.get("/api/sessions/demo-walk/coverage", headers=headers).json
    assert coverage["total_gaps"] == 0


# Text a spreadsheet would run as a formula, as a user could push it (OWASP "CSV Injection").
LINK_KEY = '=HYPERLINK("http://evil.example")'
HOSTILE = {
    "dde": "=cmd|' /C calc'!A0",
    "plus": "+1+2",
    "minus": "-1+2",
    "at": "@SUM(A1:A2)",
    "tab": "\t=1+2",
    "cr": "\r=1+2",
    "semicolon": "a;=1+2",  # a cell of its own where `;` separates cells, unless quoted
    "quote": '=1+2";=1+2',
    "negative": -1.5,
    "plain": "walking",
    LINK_KEY: 1,
}


def _hostile_export(client, headers) -> str:
    sample = {"sensor_type": "tag", "timestamp": 1_699_876_543_210, "data": HOSTILE}
    push(client, headers, push_body("hostile", [sample]))
    response = client.get("/api/sessions/hostile/export?format=csv", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_csv_export_neutralises_formulas_and_keeps_numbers(client, auth_headers):
    text = _hostile_export(client, auth_headers)
    header, row = csv.reader(io.StringIO(text), quoting=csv.QUOTE_NONNUMERIC)
    cells = dict(zip(header, row, strict=True))
    assert "'" + LINK_KEY in header  # header cells made from data keys too
    for key in ("dde", "plus", "minus", "at", "tab", "cr", "quote"):
        assert cells[key] == "'" + HOSTILE[key], key
    assert cells["semicolon"] == "a;=1+2" and '"a;=1+2"' in text  # quoted, so one cell
    assert cells["plain"] == "walking"
    assert cells["negative"] == -1.5 and ",-1.5," in text  # a number, unquoted, no prefix
    assert cells["'" + LINK_KEY] == 1.0
    assert cells["timestamp"] == 1_699_876_543_210 and ",1699876543210," in text
    assert cells["sensor_type"] == "tag"


def test_cli_export_neutralises_formulas_too(client, auth_headers, runner, tmp_path):
    http = _hostile_export(client, auth_headers)
    username = client.get("/api/auth/me", headers=auth_headers).json["user"]["username"]
    output = tmp_path / "hostile.csv"
    result = runner.invoke(args=["export-session", username, "hostile", "--output", str(output)])
    assert result.exit_code == 0, result.output
    written = output.read_bytes().decode()  # as written: no newline translation
    assert written == http
    assert "\"'=cmd|' /C calc'!A0\"" in written and ',"=cmd' not in written


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_integers_beyond_float_precision_export_in_every_format(client, auth_headers, fmt):
    """64-bit integers a float64 cannot hold exactly (push keeps them as integers; beyond 64
    bits they arrive as floats, as orjson reads them) must not fail any export format."""
    big = [2**53 + 1, 2**64 - 1, -(2**63)]
    data = [
        {"sensor_type": "counter", "timestamp": 1_699_876_543_210 + i, "data": {"n": value}}
        for i, value in enumerate(big)
    ]
    raw = json.dumps(push_body("export-me", data))  # the standard library writes any integer
    response = client.post(
        "/api/sync/push", data=raw, content_type="application/json", headers=auth_headers
    )
    assert response.status_code == 200 and response.json["inserted"] == 3, response.json
    body = _export(client, auth_headers, f"format={fmt}").get_data()
    if fmt == "parquet":
        column = pq.read_table(io.BytesIO(body)).column("n").to_pylist()
        assert column == [float(value) for value in big]  # a float64 column: nearest doubles
    elif fmt == "ndjson":
        assert [json.loads(line)["data"]["n"] for line in body.splitlines()] == big
    else:
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert [int(row["n"]) for row in rows] == big  # CSV writes them exactly
