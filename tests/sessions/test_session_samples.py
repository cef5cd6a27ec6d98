"""Coverage gaps and the paginated data endpoint."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.payloads import BASE_TS, push_body, samples
from tests.sync.helpers import push


def test_coverage_finds_known_holes(client, auth_headers):
    # 100 Hz accelerometer with two holes; 1 Hz GPS in the same session has none.
    stream = samples(100) + samples(50, start=BASE_TS + 1500) + samples(10, start=BASE_TS + 3000)
    gps = samples(5, "gps", step=1000)
    push(client, auth_headers, push_body("s", stream + gps, sample_rate=100))
    body = client.get("/api/sessions/s/coverage", headers=auth_headers).json
    accel, gps_cov = body["sensors"]
    assert accel["sensor_type"] == "accelerometer"
    assert (accel["count"], accel["interval_ms"], accel["interval_source"]) == (
        160,
        10.0,
        "declared",
    )
    assert accel["gaps"] == [
        {"start": BASE_TS + 990, "end": BASE_TS + 1500, "missing_ms": 500},
        {"start": BASE_TS + 1990, "end": BASE_TS + 3000, "missing_ms": 1000},
    ]
    assert (accel["gap_count"], accel["missing_ms"]) == (2, 1500)
    assert (gps_cov["interval_ms"], gps_cov["interval_source"], gps_cov["gaps"]) == (
        1000.0,
        "observed",
        [],
    )
    assert (body["total_gaps"], body["total_missing_ms"]) == (2, 1500)


def test_coverage_caps_the_gap_list_but_counts_all(client, auth_headers):
    holes = [s for i, s in enumerate(samples(600)) if i % 5 < 3]  # 2 of every 5 missing
    push(client, auth_headers, push_body("s", holes, sample_rate=100))
    (accel,) = client.get("/api/sessions/s/coverage", headers=auth_headers).json["sensors"]
    assert (len(accel["gaps"]), accel["gap_count"], accel["missing_ms"]) == (100, 119, 119 * 20)


def _walk(client, headers, query: str) -> list[tuple[str, int]]:
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/sessions/s/data?{query}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).json
        seen += [(s["sensor_type"], s["timestamp"]) for s in body["samples"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_data_pages_have_no_gaps_or_repeats(client, auth_headers):
    pushed = samples(25) + samples(17, "gyroscope") + samples(3, "gps", step=1000)
    push(client, auth_headers, push_body("s", pushed))
    expected = sorted((s["sensor_type"], s["timestamp"]) for s in pushed)
    assert _walk(client, auth_headers, "limit=7") == expected
    assert _walk(client, auth_headers, "limit=45") == expected
    gyro = [key for key in expected if key[0] == "gyroscope"]
    assert _walk(client, auth_headers, "limit=4&sensor_type=gyroscope") == gyro
    window = [k for k in expected if BASE_TS + 50 <= k[1] < BASE_TS + 100]
    assert (
        _walk(client, auth_headers, f"limit=3&start={BASE_TS + 50}&end={BASE_TS + 100}") == window
    )


def test_data_returns_what_was_pushed_and_rejects_bad_cursors(client, auth_headers):
    pushed = samples(3)
    push(client, auth_headers, push_body("s", pushed))
    body = client.get("/api/sessions/s/data", headers=auth_headers).json
    assert body["samples"] == pushed
    for bad in ["cursor=nonsense", "limit=0", "limit=10001", "start=-1"]:
        assert client.get(f"/api/sessions/s/data?{bad}", headers=auth_headers).status_code == 400


def _former_cursor(*fields) -> str:
    """A cursor in the format of earlier versions: base64url of a JSON array."""
    return base64.urlsafe_b64encode(json.dumps(list(fields)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _former_cursor("accelerometer", 2**64 - 1),  # out of BIGINT: was a 500
        _former_cursor("accelerometer", BASE_TS),  # the former format is no longer read
        f"accelerometer.{2**64 - 1}",
        f"accelerometer.{2**63}",
        "accelerometer.1000000000000000000",  # 19 digits: beyond what a cursor carries
        "accelerometer.-1",
        "accelerometer.01",
        "accelerometer.1e3",
        "Accelerometer.1",
        "accelerometer.1\n",
        "accelerometer",
        "",
    ],
)
def test_data_cursor_out_of_range_or_malformed_is_400(client, auth_headers, cursor):
    push(client, auth_headers, push_body("s", samples(3)))
    response = client.get(
        "/api/sessions/s/data", query_string={"cursor": cursor}, headers=auth_headers
    )
    assert response.status_code == 400 and response.json["error"], response.json


def test_data_cursor_at_the_edge_of_its_range_reads_on(client, auth_headers):
    push(client, auth_headers, push_body("s", samples(3) + samples(2, "gps")))
    largest = "accelerometer." + "9" * 18  # after every accelerometer sample: GPS is next
    body = client.get(f"/api/sessions/s/data?cursor={largest}", headers=auth_headers).json
    assert [s["sensor_type"] for s in body["samples"]] == ["gps", "gps"]


def test_data_cursors_match_the_documented_pattern(client, auth_headers):
    push(client, auth_headers, push_body("s", samples(3)))
    spec = client.get("/api/openapi.json").json
    parameters = spec["paths"]["/api/sessions/{session_id}/data"]["get"]["parameters"]
    (cursor,) = [p for p in parameters if p["name"] == "cursor"]
    pattern = next(s["pattern"] for s in cursor["schema"]["anyOf"] if "pattern" in s)
    body = client.get("/api/sessions/s/data?limit=1", headers=auth_headers).json
    assert re.fullmatch(pattern.strip("^$"), body["next_cursor"])
    assert body["next_cursor"] == f"accelerometer.{BASE_TS}"
