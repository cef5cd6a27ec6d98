"""Hostile multipart against the app's audio and file uploads on the running server: malformed
forms, files that are not what they claim (magic bytes), oversized bodies, wrong types in every
part, missing parts of a resumable upload — a 4xx in the app's error shape, never a 5xx, and
nothing stored."""

from __future__ import annotations

import pytest

from tests.app_protocol.app_uploads import FilePart, encode_form
from tests.audio import files
from tests.system.api_client import Api
from tests.system.test_hostile_app_input import _app_rejected

AUDIO_PATH = "/api/app/sessions/hostile-audio/audio"
NOT_AUDIO = {
    "empty": b"",
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "html": b"<!doctype html><script>alert(1)</script>",
    "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
    "zip": b"PK\x03\x04" + b"\x00" * 64,
    "truncated m4a": files.mp4()[:40],
    "riff not wave": b"RIFF\x10\x00\x00\x00AVI LIST" + b"\x00" * 40,
    "id3 then junk": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xde\xad" * 50,
    "ogg of nothing": b"OggS" + b"\x00" * 60,
}


def _post_form(user: Api, path: str, parts: list) -> object:
    body, content_type = encode_form(parts)
    return user.request("POST", path, raw=body, headers={"Content-Type": content_type})


def _audio_parts(data: bytes, **fields: str) -> list:
    form = {"sessionId": "hostile-audio", "timestamp": "1763000060000", "duration": "1"}
    return [*(form | fields).items(), ("file", FilePart(data, "a.m4a", "audio/m4a"))]


@pytest.fixture(scope="module")
def phone(system) -> Api:
    return system.api().register("hostileuploads")


@pytest.mark.parametrize("name", list(NOT_AUDIO))
def test_files_that_are_not_audio_are_refused_by_their_bytes(phone, name):
    _app_rejected(_post_form(phone, AUDIO_PATH, _audio_parts(NOT_AUDIO[name])), 400)
    assert phone.get("/api/sessions/hostile-audio").status == 404  # nothing was created


def test_wrong_values_in_every_audio_part(phone):
    wrong = {
        "timestamp": ["", "abc", "1e3", "-5", "1.5", "9" * 400, "946684799999", "null"],
        "duration": ["", "NaN", "Infinity", "-1", "one"],
        "sampleRate": ["0", "-44100", "1.5", "9" * 30],
        "channels": ["0", "65", "two"],
        "format": ["m4a\x00", "x" * 21],
        "sessionId": ["another-session", "../etc", ""],
    }
    for field, values in wrong.items():
        for value in values:
            reply = _post_form(phone, AUDIO_PATH, _audio_parts(files.wav(), **{field: value}))
            _app_rejected(reply, 400)
    assert phone.get("/api/sessions/hostile-audio").status == 404


def test_malformed_multipart_bodies(phone):
    good, content_type = encode_form(_audio_parts(files.wav()))
    boundary = content_type.split("boundary=")[1]
    bodies = {
        "no closing boundary": good.rsplit(b"--" + boundary.encode() + b"--", 1)[0],
        "other boundary": good.replace(boundary.encode(), b"something-else"),
        "garbage": b"\x00\xff" * 500,
        "header only": f"--{boundary}\r\nContent-Disposition: form-data\r\n".encode(),
    }
    for name, body in bodies.items():
        reply = phone.request("POST", AUDIO_PATH, raw=body, headers={"Content-Type": content_type})
        assert 400 <= reply.status < 500, (name, reply.status, reply.body[:200])
    no_boundary = {"Content-Type": "multipart/form-data"}
    _app_rejected(phone.request("POST", AUDIO_PATH, raw=good, headers=no_boundary))
    _app_rejected(phone.post(AUDIO_PATH, {"file": "not a file"}), 415)
    _app_rejected(_post_form(phone, AUDIO_PATH, [("sessionId", "hostile-audio")]), 400)


def test_oversized_bodies_are_refused_before_they_are_read(phone):
    for path in (AUDIO_PATH, "/api/app/upload", "/api/app/upload/chunk"):
        body, content_type = encode_form(_audio_parts(files.wav()))
        headers = {"Content-Type": content_type, "Content-Length": str(10 * 1024**3)}
        _app_rejected(phone.request("POST", path, raw=body, headers=headers), 413)


def test_bad_metadata_and_sensor_files(phone):
    sensor = FilePart(b'{"sensor_type": "accelerometer", "timestamp": 1763000000000}\n', "f", "x")
    for metadata in [
        "",
        "{",
        "[]",
        "null",
        '{"sessionId": "s"}',
        '{"sessionId": "s\\u0000"}',
        '{"sessionId": "s", "dataType": "video"}',
        "x" * 70_000,
    ]:
        _app_rejected(
            _post_form(phone, "/api/app/upload", [("file", sensor), ("metadata", metadata)]), 400
        )
    meta = '{"sessionId": "hostile-sensor", "dataType": "sensor"}'
    for content in [
        b"\x00\x01\x02 binary",
        b"[1, 2, 3]",
        b"[" * 5000,
        b"{}",
        b'"text"',
        b"sensor_type,timestamp\n",
    ]:
        parts = [("file", FilePart(content, "f.json", "application/json")), ("metadata", meta)]
        _app_rejected(_post_form(phone, "/api/app/upload", parts), 400)
    assert phone.get("/api/sessions/hostile-sensor").status == 404


def test_resumable_uploads_with_bad_parts(phone):
    chunk = ("chunk", FilePart(b"data", "blob", "application/octet-stream"))
    good = {"uploadId": "hostile-1", "chunkNumber": "0", "totalChunks": "3"}
    for field, value in [
        ("uploadId", "../../x"),
        ("uploadId", "u" * 101),
        ("chunkNumber", "3"),
        ("chunkNumber", "-1"),
        ("chunkNumber", "x"),
        ("totalChunks", "0"),
        ("totalChunks", "99999999999"),
        ("metadata", "{"),
    ]:
        reply = _post_form(
            phone, "/api/app/upload/chunk", [chunk, *(good | {field: value}).items()]
        )
        _app_rejected(reply, 400)
    _app_rejected(_post_form(phone, "/api/app/upload/chunk", list(good.items())), 400)
    assert _post_form(phone, "/api/app/upload/chunk", [chunk, *good.items()]).status == 200
    other_total = good | {"chunkNumber": "1", "totalChunks": "4"}
    _app_rejected(_post_form(phone, "/api/app/upload/chunk", [chunk, *other_total.items()]), 409)
    missing = phone.post("/api/app/upload/complete", {"uploadId": "hostile-1"})
    assert _app_rejected(missing, 409)["details"]["missing_chunks"] == [1, 2]
    for body in [{}, {"uploadId": 5}, {"uploadId": "x", "extra": 1}, []]:
        _app_rejected(phone.post("/api/app/upload/complete", body), 400)
    _app_rejected(phone.post("/api/app/upload/complete", {"uploadId": "never"}), 404)
