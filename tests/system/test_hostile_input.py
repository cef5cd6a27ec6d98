"""Hostile input against the running server: every request gets a 4xx JSON answer (or, for a
bad *sample* inside a valid push, a 200 that skips and reports it, as
docs/sync.md#invalid-samples requires), no request gets a 5xx, nothing hostile is stored, and
the server stays responsive."""

from __future__ import annotations

import base64
import csv
import gzip
import socket
import time
import zlib

import orjson
import pytest

from tests.system.api_client import Api
from tests.system.phones import START_TIME, T0
from tests.system.stack import CLIENT_TIMEOUT_SECONDS

TEN_MB = 10 * 1024 * 1024
JSON = {"Content-Type": "application/json"}
WRONG_VALUES = [None, True, 0, -1, 1.5, "text", "", [], [1], {}, {"a": 1}, 2**63 - 1]


def _push_body(sample: dict | None = None, **session) -> dict:
    samples = [sample] if sample is not None else []
    return {
        "session": {"session_id": "hostile", "start_time": START_TIME} | session,
        "sensor_data": samples,
    }


def _sample(**fields) -> dict:
    return {"sensor_type": "accelerometer", "timestamp": T0, "data": {"x": 1.0}} | fields


def _rejected(reply, *statuses: int) -> dict:
    """A 4xx (one of `statuses` when given) with a JSON `{"error": …}` body."""
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    if statuses:
        assert reply.status in statuses, (reply.status, reply.body[:300])
    assert reply.is_json, reply.headers
    body = reply.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    return body


def _sample_skipped(reply) -> dict:
    """A valid push whose one sample was invalid: 200, counted and described as an error."""
    assert reply.status == 200, (reply.status, reply.body[:300])
    body = reply.json()
    assert (body["errors"], body["inserted"], body["total_records"]) == (1, 0, 1), body
    assert body["error_details"][0]["index"] == 0
    return body


@pytest.fixture(scope="module")
def user(system) -> Api:
    return system.api().register("hostile")


def _sample_json(sensor_type: str, timestamp: int, data_json: str) -> str:
    """One sample as raw JSON text (for what a JSON encoder refuses to write)."""
    head = '{"sensor_type": "' + sensor_type + '", "timestamp": ' + str(timestamp)
    return head + ', "data": ' + data_json + "}"


def _push_json(session_id: str, *samples_json: str) -> str:
    session = '{"session_id": "' + session_id + '", "start_time": "' + START_TIME + '"}'
    return '{"session": ' + session + ', "sensor_data": [' + ", ".join(samples_json) + "]}"


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def test_empty_bodies_are_a_400_except_for_pull(user):
    for path in ("/api/sync/push", "/api/auth/register", "/api/auth/login"):
        _rejected(user.request("POST", path, raw=b"", headers=JSON), 400)
    _rejected(user.request("PATCH", "/api/sessions/none", raw=b"", headers=JSON), 400, 404)
    # Every field of a pull is optional: an empty body is a full pull (documented).
    assert user.request("POST", "/api/sync/pull", raw=b"", headers=JSON).status == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"session": {"session_id": "\xff\xfe"}, "sensor_data": []}',
        b"\xef\xbb\xbf\xff" + b"{}",
        b'{"session": "\xc3\x28"}',
        b"\x00\x00\x00",
        b"{" * 100,
        b'{"session": {"session_id": "a"}',  # truncated
        b"[]",
        b"null",
        b'"just a string"',
    ],
)
def test_bodies_that_are_not_a_json_object(user, raw):
    _rejected(user.request("POST", "/api/sync/push", raw=raw, headers=JSON), 400)


@pytest.mark.parametrize("depth", [10_000, 2_000])
def test_deeply_nested_json_is_rejected(user, depth):
    _rejected(user.request("POST", "/api/sync/push", raw=_nested(depth).encode(), headers=JSON))
    inside = _push_json(
        "hostile", _sample_json("accelerometer", T0, '{"x": ' + _nested(depth) + "}")
    )
    _rejected(user.request("POST", "/api/sync/push", raw=inside.encode(), headers=JSON))
    _rejected(user.request("POST", "/api/sync/pull", raw=_nested(depth).encode(), headers=JSON))


@pytest.mark.parametrize("depth", [100, 300, 900])
def test_nesting_the_parser_accepts_is_stored_or_skipped_never_a_500(user, depth):
    sample_text = _sample_json("magnetometer", T0 + depth, '{"x": ' + _nested(depth) + "}")
    sample = orjson.loads(sample_text)
    raw = _push_json(f"nest{depth}", sample_text)
    reply = user.request("POST", "/api/sync/push", raw=raw.encode(), headers=JSON)
    assert reply.status == 200, (reply.status, reply.body[:300])
    body = reply.json()
    assert body["inserted"] + body["errors"] == 1
    pulled = user.post("/api/sync/pull", {"session_ids": [f"nest{depth}"]})
    assert pulled.status == 200
    samples = pulled.json()["sessions"][0]["sensor_data"]
    assert samples == ([sample] if body["inserted"] else [])


def test_ten_megabyte_strings_are_refused_without_a_5xx(user):
    huge = "a" * TEN_MB
    _rejected(user.post("/api/sync/push", _push_body(notes=huge)), 400)
    _rejected(user.post("/api/sync/push", _push_body(session_id=huge)), 400)
    _sample_skipped(user.post("/api/sync/push", _push_body(_sample(sensor_type=huge))))
    _rejected(user.post("/api/auth/login", {"username": huge, "password": huge}), 400, 401)
    _rejected(user.post("/api/auth/register", {"username": huge, "email": huge, "password": huge}))
    _rejected(user.post("/api/sync/pull", {"last_sync_time": huge}), 400)
    _rejected(user.post("/api/sync/pull", {"cursor": huge}), 400)
    _rejected(user.get("/api/sessions?q=" + "a" * 100_000), 400, 414)
    # More than MAX_CONTENT_LENGTH (32 MiB) in one body.
    _rejected(user.post("/api/sync/push", _push_body(notes="a" * 40 * 1024 * 1024)), 413)


def test_nan_infinity_and_huge_numbers(user):
    for literal in (b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"):
        sample = b'{"sensor_type": "gyroscope", "timestamp": %d, "data": {"x": %s}}' % (
            T0,
            literal,
        )
        raw = b'{"session": {"session_id": "nan", "start_time": "%s"}, "sensor_data": [%s]}' % (
            START_TIME.encode(),
            sample,
        )
        _sample_skipped(user.request("POST", "/api/sync/push", raw=raw, headers=JSON))
        raw = b'{"session": {"session_id": "nan", "start_time": "%s", "sample_rate": %s}}' % (
            START_TIME.encode(),
            literal,
        )
        _rejected(user.request("POST", "/api/sync/push", raw=raw, headers=JSON), 400)
        raw = b'{"page_size": %s}' % literal
        _rejected(user.request("POST", "/api/sync/pull", raw=raw, headers=JSON), 400)
        raw = b'{"sensitivity": %s}' % literal
        reply = user.request("POST", "/api/sessions/nan/analysis", raw=raw, headers=JSON)
        _rejected(reply, 400, 404)
    for timestamp in (10**30, -(10**30), 2**63, 2**64, -1, 0, 2**63 - 1):
        raw = b'{"session": {"session_id": "ts", "start_time": "%s"}, "sensor_data": [%s]}' % (
            START_TIME.encode(),
            b'{"sensor_type": "gyroscope", "timestamp": %d, "data": {"x": 1}}' % timestamp,
        )
        _sample_skipped(user.request("POST", "/api/sync/push", raw=raw, headers=JSON))
    # A huge integer inside data is a JSON number like any other: stored as a float.
    raw = b'{"session": {"session_id": "big", "start_time": "%s"}, "sensor_data": [%s]}' % (
        START_TIME.encode(),
        b'{"sensor_type": "gyroscope", "timestamp": %d, "data": {"x": %d}}' % (T0, 10**30),
    )
    reply = user.request("POST", "/api/sync/push", raw=raw, headers=JSON)
    assert reply.status == 200 and reply.json()["inserted"] == 1
    pulled = user.post("/api/sync/pull", {"session_ids": ["big"]}).json()
    assert pulled["sessions"][0]["sensor_data"][0]["data"] == {"x": 1e30}
    raw = b'{"page": %d}' % 10**30
    _rejected(user.request("POST", "/api/sync/pull", raw=raw, headers=JSON), 400)
    _rejected(user.get(f"/api/uploads/{10**30}"), 404)
    _rejected(user.get(f"/api/uploads/{2**63}"), 404)
    _rejected(user.get(f"/api/uploads/{2**31}"), 404)
    _rejected(user.get(f"/api/tasks/{10**30}"), 404)
    _rejected(user.get(f"/api/sessions?page={10**30}"), 400)
    _rejected(user.get(f"/api/stats?start_date={10**30}"), 400)


def _base64_json(raw: bytes) -> str:
    """A cursor in the format of earlier versions: base64url of a JSON array."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HUGE = 2**64 - 1
MOMENT = "2025-11-13T00:00:00+00:00"


def test_huge_cursors_are_400(user):
    """Positions beyond 64 bits reached SQL and overflowed there (500)."""
    stored = user.post("/api/sync/push", _push_body(_sample(), session_id="cursors"))
    assert stored.status == 200, stored.body[:300]
    for cursor in (
        _base64_json(b'["accelerometer", %d]' % HUGE),
        f"accelerometer.{HUGE}",
        f"accelerometer.{10**30}",
        f"accelerometer.-{HUGE}",
    ):
        _rejected(user.get(f"/api/sessions/cursors/data?cursor={cursor}"), 400)
    for cursor in (
        _base64_json(b'["%s", %d, "%s"]' % (MOMENT.encode(), HUGE + 1, MOMENT.encode())),
        _base64_json(b'["%s", %d, "%s"]' % (MOMENT.encode(), 10**30, MOMENT.encode())),
        f"1763000000000000.{HUGE}.1763000000000000",
        f"1763000000000000.1.{10**30}",
        f"{HUGE}.1.1763000000000000",
    ):
        raw = b'{"cursor": "%s"}' % cursor.encode()
        _rejected(user.request("POST", "/api/sync/pull", raw=raw, headers=JSON), 400)


def test_wrong_types_in_every_field(user):
    session = {
        "session_id": "types",
        "start_time": START_TIME,
        "end_time": START_TIME,
        "is_active": False,
        "is_uploaded": False,
        "enabled_sensors": ["gps"],
        "sample_rate": 100,
        "notes": "n",
    }
    for field in session:
        for value in WRONG_VALUES:
            reply = user.post("/api/sync/push", {"session": session | {field: value}})
            assert reply.status in (200, 400), (field, value, reply.status, reply.body[:200])
            assert reply.is_json
    for field in ("sensor_type", "timestamp", "data"):
        for value in WRONG_VALUES:
            if field == "data" and isinstance(value, dict) or value == "text":
                continue  # a valid data object, a valid sensor type
            _sample_skipped(user.post("/api/sync/push", _push_body(_sample(**{field: value}))))
    for value in WRONG_VALUES:
        if not isinstance(value, list):
            _rejected(user.post("/api/sync/push", {"session": session, "sensor_data": value}))
        _rejected(user.post("/api/sync/push", {"session": value, "sensor_data": []}))
        body = {"session": session, "sensor_data": [value]}
        _sample_skipped(user.post("/api/sync/push", body))
    pull = {
        "last_sync_time": START_TIME,
        "session_ids": ["a"],
        "page": 1,
        "page_size": 10,
        "include_data": True,
        "cursor": None,
    }
    for field in pull:
        for value in WRONG_VALUES:
            reply = user.post("/api/sync/pull", pull | {field: value})
            assert reply.status in (200, 400), (field, value, reply.status, reply.body[:200])
            assert reply.is_json
    for path, body in (
        ("/api/auth/register", {"username": "u", "email": "e@example.com", "password": "p"}),
        ("/api/auth/login", {"username": "u", "password": "p"}),
        ("/api/sessions/types/analysis", {"sensitivity": 3.0}),
    ):
        for field in body:
            for value in WRONG_VALUES:
                reply = user.post(path, body | {field: value})
                assert 400 <= reply.status < 500 or reply.status == 202, (path, field, value)
                assert reply.is_json
    edits = {"notes": "x", "end_time": START_TIME, "is_active": False}
    for field in edits:
        for value in WRONG_VALUES:
            reply = user.request("PATCH", "/api/sessions/types", {field: value})
            assert reply.status in (200, 400), (field, value, reply.status, reply.body[:200])
            assert reply.is_json


def test_sql_looking_strings_are_data_not_sql(user, system):
    sql = "x'); DROP TABLE users; --"
    _rejected(user.post("/api/sync/push", _push_body(session_id=sql)), 400)
    _sample_skipped(user.post("/api/sync/push", _push_body(_sample(sensor_type=sql))))
    _rejected(user.post("/api/auth/login", {"username": sql, "password": sql}), 401)
    _rejected(user.post("/api/auth/register", {"username": sql, "email": sql, "password": sql}))
    _rejected(user.post("/api/sync/pull", {"session_ids": [sql]}), 400)
    _rejected(user.get("/api/stats?start_date=%27%20OR%201%3D1%20--"), 400)
    _rejected(user.get("/api/sessions/x%27%20OR%20%271%27%3D%271"), 404)
    _rejected(user.get("/api/tasks/x%27%20OR%20%271%27%3D%271"), 404)
    reply = user.get("/api/sessions?q=%27%20OR%201%3D1%20--")
    assert reply.status == 200 and reply.json()["sessions"] == []
    # Stored verbatim where text is allowed, and read back unchanged.
    sample = _sample(data={"note": sql, "x": 1.0})
    stored = user.post("/api/sync/push", _push_body(sample, session_id="sqltext", notes=sql))
    assert stored.status == 200 and stored.json()["inserted"] == 1
    page = user.post("/api/sync/pull", {"session_ids": ["sqltext"]}).json()
    assert page["sessions"][0]["notes"] == sql
    assert page["sessions"][0]["sensor_data"] == [sample]
    assert system.query("SELECT count(*) FROM users")[0][0] > 0


@pytest.mark.parametrize(
    "sensor_type",
    [
        "가속도계",
        "ａｃｃｅｌ",
        "accél",
        "ACCEL",
        "accel\n",
        "accel\u0000",
        "accel\u202e",
        "\U0001f4f1",
        "a" * 51,
        "",
        " accel",
        "accel-x",
    ],
)
def test_unicode_and_odd_sensor_types_are_skipped(user, sensor_type):
    _sample_skipped(user.post("/api/sync/push", _push_body(_sample(sensor_type=sensor_type))))


def test_nul_and_unicode_in_stored_text(user):
    """PostgreSQL text and jsonb cannot hold U+0000: such input must be refused, not a 500."""
    reply = user.post("/api/sync/push", _push_body(session_id="nul", notes="a\u0000b"))
    _rejected(reply, 400)
    reply = user.post(
        "/api/sync/push", _push_body(_sample(data={"x": 1.0, "s": "a\u0000b"}), session_id="nul")
    )
    _sample_skipped(reply)
    reply = user.post(
        "/api/sync/push", _push_body(_sample(data={"a\u0000": 1.0}), session_id="nul")
    )
    _sample_skipped(reply)
    text = "센서 📱 \u202e ñ"
    sample = _sample(data={"label": text, "x": 1.0})
    reply = user.post("/api/sync/push", _push_body(sample, session_id="uni", notes=text))
    assert reply.status == 200 and reply.json()["inserted"] == 1
    page = user.post("/api/sync/pull", {"session_ids": ["uni"]}).json()
    assert page["sessions"][0]["notes"] == text
    assert page["sessions"][0]["sensor_data"] == [sample]
    _rejected(user.request("PATCH", "/api/sessions/uni", {"notes": "a\u0000"}), 400)


def test_gzip_and_deflate_bombs_are_refused_without_inflating_them(user):
    zeros = b"\0" * (16 * 1024 * 1024)
    bomb = gzip.compress(zeros * 64, compresslevel=9)  # 1 GiB inflated, about 1 MB sent
    started = time.monotonic()
    reply = user.request(
        "POST", "/api/sync/push", raw=bomb, headers=JSON | {"Content-Encoding": "gzip"}
    )
    _rejected(reply, 413)
    assert time.monotonic() - started < 10
    deflated = zlib.compress(zeros * 64, 9)
    reply = user.request(
        "POST", "/api/sync/push", raw=deflated, headers=JSON | {"Content-Encoding": "deflate"}
    )
    _rejected(reply, 413)
    double = gzip.compress(gzip.compress(b'{"a": "' + b"a" * 50_000_000 + b'"}'))
    reply = user.request(
        "POST", "/api/sync/push", raw=double, headers=JSON | {"Content-Encoding": "gzip"}
    )
    _rejected(reply, 400)  # one layer inflated: not JSON
    for raw, encoding in ((b"not gzip", "gzip"), (bomb[:1000], "gzip"), (b"x", "br")):
        reply = user.request(
            "POST", "/api/sync/push", raw=raw, headers=JSON | {"Content-Encoding": encoding}
        )
        _rejected(reply, 400, 415)


def test_protocol_level_oddities_get_json_errors(user):
    plain = {"Content-Type": "text/plain"}
    _rejected(user.request("POST", "/api/sync/push", raw=b"{}", headers=plain), 415)
    _rejected(user.request("PUT", "/api/sync/push", {}), 405)
    _rejected(user.get("/api/nothing-here"), 404)
    _rejected(user.get("/api/sync/status", headers={"Authorization": "Bearer x.y.z"}), 401)
    _rejected(user.get("/api/sync/status", headers={"Authorization": "Bearer " + "a" * 6000}), 401)
    _rejected(user.get("/api/sessions/" + "%00" * 10), 404)


WIDE_PUSH = 12_000  # samples, each with a data key of its own
KEY_CAP = 256  # MAX_SESSION_SENSOR_KEYS, by default


def _wide_columns(reply) -> list[str]:
    """The data columns of a CSV export."""
    assert reply.status == 200, (reply.status, reply.body[:300])
    header = reply.body.split(b"\n", 1)[0].decode()
    return next(csv.reader([header]))[2:]


def test_a_push_with_a_new_key_in_every_sample_is_refused_sample_by_sample(user):
    """Every data key becomes an export column: one push of 12,000 samples with a key each
    once made a Parquet export take 84 s and a worker grow to 2.65 GB. Now the session keeps
    the first 256 keys; the other samples are skipped and reported, and its exports stay
    small."""
    data = [
        {"sensor_type": "accelerometer", "timestamp": T0 + 10 * i, "data": {f"k{i:05d}": 1.0}}
        for i in range(WIDE_PUSH)
    ]
    body = {"session": {"session_id": "widekeys", "start_time": START_TIME}, "sensor_data": data}
    reply = user.post("/api/sync/push", body, timeout=120)
    assert reply.status == 200, (reply.status, reply.body[:300])
    counts = reply.json()
    assert (counts["inserted"], counts["errors"]) == (KEY_CAP, WIDE_PUSH - KEY_CAP), counts
    assert counts["duplicates"] == counts["updated"] == 0
    assert [e["index"] for e in counts["error_details"]] == list(range(KEY_CAP, KEY_CAP + 100))
    print(f"wide push of {WIDE_PUSH} samples answered in {reply.elapsed:.2f} s")

    csv_reply = user.get("/api/sessions/widekeys/export?format=csv", timeout=120)
    assert len(_wide_columns(csv_reply)) == KEY_CAP
    assert "x-omitted-fields" not in csv_reply.headers
    parquet = user.get("/api/sessions/widekeys/export?format=parquet", timeout=120)
    assert parquet.status == 200 and parquet.body.startswith(b"PAR1")
    print(f"exports: csv {csv_reply.elapsed:.2f} s, parquet {parquet.elapsed:.2f} s")


def _store_wide_before_the_caps(system, session_id: str, keys: int) -> None:
    """`keys` samples each with a key of its own, written as the server stored them before
    the caps, and registered the way the upgrade's backfill registers them."""
    ((pk, type_id, user_id),) = system.query(
        "SELECT s.id, t.id, s.user_id FROM recording_sessions AS s, sensor_types AS t"
        " WHERE s.session_id = %s AND t.name = 'accelerometer'",
        (session_id,),
    )
    params = {"pk": pk, "type": type_id, "user": user_id, "t0": T0 + 1_000_000, "last": keys - 1}
    system.query(
        "INSERT INTO sensor_data"
        " (timestamp, created_at, updated_at, recording_session_id, sensor_type_id, data,"
        " user_id)"
        " SELECT %(t0)s + 10 * i, now(), now(), %(pk)s, %(type)s,"
        "        jsonb_build_object('w' || lpad(i::text, 5, '0'), i), %(user)s"
        " FROM generate_series(0, %(last)s) AS i",
        params,
    )
    system.query(
        "INSERT INTO sample_fields (recording_session_id, sensor_type_id, name)"
        " SELECT %(pk)s, %(type)s, 'w' || lpad(i::text, 5, '0')"
        " FROM generate_series(0, %(last)s) AS i",
        params,
    )


def test_the_export_of_a_session_stored_wide_before_the_caps_is_bounded(system, user):
    data = [
        {"sensor_type": "accelerometer", "timestamp": T0 + 10 * i, "data": {"x": 1.0, "y": 2.0}}
        for i in range(100)
    ]
    body = {"session": {"session_id": "widebefore", "start_time": START_TIME}, "sensor_data": data}
    assert user.post("/api/sync/push", body).status == 200
    _store_wide_before_the_caps(system, "widebefore", WIDE_PUSH)

    csv_reply = user.get("/api/sessions/widebefore/export?format=csv", timeout=120)
    columns = _wide_columns(csv_reply)
    assert len(columns) == KEY_CAP and {"x", "y"} <= set(columns)
    assert csv_reply.headers["x-omitted-fields"] == str(WIDE_PUSH + 2 - KEY_CAP)
    parquet = user.get("/api/sessions/widebefore/export?format=parquet", timeout=120)
    assert parquet.status == 200 and parquet.body.startswith(b"PAR1")
    assert parquet.headers["x-omitted-fields"] == str(WIDE_PUSH + 2 - KEY_CAP)
    series = user.get("/api/sessions/widebefore/series?sensor_type=accelerometer", timeout=60)
    assert series.status == 200 and series.json()["fields"][:2] == ["x", "y"]
    print(f"exports: csv {csv_reply.elapsed:.2f} s, parquet {parquet.elapsed:.2f} s")


def _stall(base: str, count: int, token: str) -> list[socket.socket]:
    """Connections that send part of a request and then nothing: half stop inside the
    headers, half inside a declared 1,000-byte body (slowloris)."""
    host, port = base.removeprefix("http://").split(":")
    request = (
        b"POST /api/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Authorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n{"session":' % token.encode()
    )
    stalled = []
    for i in range(count):
        connection = socket.create_connection((host, int(port)), timeout=60)
        connection.sendall(request if i % 2 else request[:30])
        stalled.append(connection)
    return stalled


def _answer(connection: socket.socket) -> bytes:
    """What the server sends a stalled client before closing (b"" if it just closes)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_few_slow_clients_do_not_slow_anyone_else(system, user):
    stalled = _stall(system.base_url, 2, user.token)  # fewer than the gunicorn workers
    try:
        for _ in range(10):
            reply = system.api().get("/health", timeout=30)
            assert reply.status == 200 and reply.elapsed < 1, reply.elapsed
        assert user.get("/api/auth/me").status == 200
    finally:
        for connection in stalled:
            connection.close()


def test_many_slow_clients_are_dropped_after_the_client_timeout(system, user):
    """More stalled connections than workers: each holds a sync worker for at most
    CLIENT_TIMEOUT_SECONDS (it used to be until gunicorn killed the worker, 120 s later), so
    the server answers again within a bounded time. Many slow clients are a job for the
    buffering proxy in front of gunicorn (docs/RELIABILITY.md)."""
    workers = 5  # gunicorn_config.py on 2 cores: 2 × cores + 1
    stalled = _stall(system.base_url, 2 * workers, user.token)
    started = time.monotonic()
    try:
        reply = system.api().get("/health", timeout=60)
        assert reply.status == 200
        assert time.monotonic() - started < 3 * CLIENT_TIMEOUT_SECONDS + 2
        answers = [_answer(connection) for connection in stalled]
    finally:
        for connection in stalled:
            connection.close()
    for answer in answers:  # dropped (headers never ended) or a JSON 400 (body never came)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert answer == b"" or b"application/json" in answer
    assert any(answers), "no stalled body got its answer"
    assert time.monotonic() - started < 3 * CLIENT_TIMEOUT_SECONDS + 5
    log = (system.base / "gunicorn.log").read_text(errors="replace")
    assert "WORKER TIMEOUT" not in log
    reply = system.api().get("/health", timeout=10)
    assert reply.status == 200 and reply.elapsed < 1


def test_the_server_is_responsive_after_all_that(system, user):
    reply = system.api().get("/health", timeout=10)
    assert reply.status == 200 and reply.json()["status"] == "healthy"
    assert reply.elapsed < 2
    log = (system.base / "gunicorn.log").read_text(errors="replace")
    for sign in ('"unhandled error"', '"database error"', "Error handling request"):
        assert sign not in log, log[log.index(sign) - 200 :][:3000]
