"""Building upload files and posting them, for the upload tests."""

from __future__ import annotations

import gzip
import io
import json

import orjson

from tests.payloads import END, START


def ndjson(samples: list) -> bytes:
    """One line per sample; a `bytes` item is written as the raw line (a malformed one)."""
    lines = [s if isinstance(s, bytes) else orjson.dumps(s) for s in samples]
    return b"\n".join(lines) + b"\n"


def csv_file(rows: list[str], header: str = "sensor_type,timestamp,x,y,z") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def gz(content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=1)


def meta(session_id: str = "upl", **fields) -> dict:
    return {"session_id": session_id, "start_time": START, "end_time": END} | fields


def post_upload(client, headers, content: bytes, filename="rec.ndjson", session=None, **form):
    data = {"file": (io.BytesIO(content), filename)} | form
    if session is not False:
        data["session"] = json.dumps(session or meta())
    return client.post(
        "/api/uploads", data=data, headers=headers, content_type="multipart/form-data"
    )
