"""Schemathesis hooks for the app's audio and file uploads (imported by tests/fuzz/hooks.py).

- Audio parts (`audio/mp4`, `audio/m4a`) are real recordings: the server judges a file by its
  bytes, which no schema can describe.
- Positive cases keep the rules between parts that JSON Schema cannot state: the form's
  sessionId is the path's; a part number is below the number of parts (and a given uploadId
  always comes with the same number of parts); /upload's file is what its metadata says.
- Completing an upload handles the file its parts make up, which earlier generated requests
  chose: a 400 that names what is wrong with that file is a documented outcome.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from tests.audio import files
from tests.fuzz.hooks import DOCUMENTED_RULES, TYPE_BLIND_FORMS, _positive

MAX_CHUNKS = 2048  # CHUNKED_UPLOAD_MAX_CHUNKS, as documented on the operation
SENSOR_FILE = b'{"sensor_type": "accelerometer", "timestamp": 1699876543000, "data": {"x": 1}}\n'
TYPE_BLIND_FORMS.update(
    {
        ("POST", "/api/app/upload"),
        ("POST", "/api/app/upload/chunk"),
        ("POST", "/api/app/sessions/{session_id}/audio"),
    }
)


class PrefixRules(tuple):
    """Rules given by the start of their message (the rest names the file's own problem)."""

    def __contains__(self, message: object) -> bool:
        return isinstance(message, str) and any(message.startswith(p) for p in self)


_CONTENT_RULES = PrefixRules(
    (
        "The file is not audio we accept",
        "The file starts like",
        "The file is empty",
        "The file is not valid JSON",
        "A JSON file must hold an array",
        "The file holds no sample with a valid timestamp",
        "The CSV header must name",
        "The file cannot be read",
    )
)
DOCUMENTED_RULES[("POST", "/api/app/upload")] = _CONTENT_RULES
DOCUMENTED_RULES[("POST", "/api/app/upload/complete")] = _CONTENT_RULES

_audio = st.sampled_from([files.mp4(1.0), files.mp4(3.5, rate=8000), files.three_gp(2.0)])
schemathesis.openapi.media_type("audio/mp4", _audio)
schemathesis.openapi.media_type("audio/m4a", _audio)


def _form(case) -> dict | None:
    return case.body if _positive(case) and isinstance(case.body, dict) else None


@schemathesis.hook("map_case").apply_to(method="POST", path="/api/app/sessions/{session_id}/audio")
def form_names_the_paths_session(context, case):
    body = _form(case)
    if body is not None and "sessionId" in body:
        body["sessionId"] = case.path_parameters["session_id"]
    return case


@schemathesis.hook("map_case").apply_to(method="POST", path="/api/app/upload/chunk")
def part_number_within_the_upload(context, case):
    body = _form(case)
    if body is not None and isinstance(body.get("totalChunks"), int):
        total = min(body["totalChunks"], MAX_CHUNKS)
        body["totalChunks"] = total
        if isinstance(body.get("chunkNumber"), int):
            body["chunkNumber"] = min(body["chunkNumber"], total - 1)
        if isinstance(body.get("uploadId"), str):
            body["uploadId"] = f"{body['uploadId'][:90]}-{total}"
    return case


@schemathesis.hook("filter_case").apply_to(method="POST", path="/api/app/upload")
def metadata_part_is_an_object(context, case):
    """As for /api/uploads: a coverage case with "" for the JSON part is not positive."""
    return not _positive(case) or isinstance(case.body, dict) and case.body.get("metadata") != ""


@schemathesis.hook("map_case").apply_to(method="POST", path="/api/app/upload")
def file_is_what_the_metadata_says(context, case):
    body = _form(case)
    meta = body.get("metadata") if body is not None else None
    if isinstance(meta, dict) and meta.get("dataType") in ("audio", "sensor"):
        is_audio = isinstance(body.get("file"), bytes) and body["file"][4:8] == b"ftyp"
        if meta["dataType"] == "audio" and not is_audio:
            body["file"] = files.mp4(1.0)
        elif meta["dataType"] == "sensor" and (is_audio or not isinstance(body["file"], bytes)):
            body["file"] = SENSOR_FILE
    return case


# The bytes of a file decide what it is; what is wrong with them is a documented 400.
_FILE_RULES = (
    "The file is not audio we accept",
    "The file starts like",
    "The file is empty",
)
DOCUMENTED_RULES[("POST", "/api/app/sessions/{session_id}/audio")] = PrefixRules(_FILE_RULES)
