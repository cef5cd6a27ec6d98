"""Schemathesis hooks (loaded with SCHEMATHESIS_HOOKS=tests.fuzz.hooks).

- Authenticate every generated request as the fuzz user, with the refresh token where the
  operation wants one. A token revoked by a generated logout or refresh makes the next request
  401; schemathesis then asks `get` again (its default `retry_on=[401]`), which signs in anew.
- Teach the generator what JSON Schema cannot say: what an uploaded NDJSON, CSV or gzip file
  looks like (the document names these media types for the `file` part).
- Accept exactly the 400s of the rules the operations describe but JSON Schema cannot express:
  a rule between two fields (a start not after an end) or on stored state (a new session needs
  its start_time). Every other rejection of schema-valid data is a failure.
"""

import gzip
import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st

# Client metadata is stored as sent, so it must fit (JSON Schema cannot bound a document's size
# or forbid a character in every nested key and string).
METADATA_RULES = (
    "Invalid request: metadata: must be at most 16384 bytes as JSON.",
    "Invalid request: metadata: must not contain U+0000.",
    "Invalid request: metadata: must be JSON nested at most 254 levels.",
    "Invalid request: metadata: numbers must be finite and below 2^63 in magnitude.",
)

# Per operation, the error messages of its documented rules that no schema can state.
DOCUMENTED_RULES = {
    ("GET", "/api/stats"): ("start_date must not be after end_date",),
    ("POST", "/api/sync/push"): (
        "session.start_time is required when a session is pushed for the first time",
        "Invalid request: session: end_time must not be before start_time",
        "session.end_time must not be before start_time",
    ),
    ("POST", "/api/uploads"): (
        "session.start_time is required when a session is uploaded for the first time",
        "Invalid request: body: end_time must not be before start_time",
    ),
    ("PATCH", "/api/sessions/{session_id}"): ("session.end_time must not be before start_time",),
    # The app protocol answers `message` (with a full stop) instead of `error`.
    ("POST", "/api/app/sessions"): (
        "Invalid request: body: endTime must not be before startTime.",
        "endTime must not be before startTime.",
        *METADATA_RULES,
    ),
    ("PATCH", "/api/app/sessions/{session_id}"): (
        "endTime must not be before startTime.",
        *METADATA_RULES,
    ),
}


def _login() -> dict:
    body = json.dumps(
        {"username": os.environ["FUZZ_USERNAME"], "password": os.environ["FUZZ_PASSWORD"]}
    ).encode()
    request = urllib.request.Request(
        os.environ["FUZZ_BASE_URL"] + "/api/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@schemathesis.auth()
class FuzzUser:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        kind = "refresh_token" if case.operation.path == "/api/auth/refresh" else "access_token"
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data[kind]}"


# Uploaded files: samples as a phone records them (some invalid ones too: the import skips
# and reports those, the upload itself is accepted).
_samples = st.lists(
    st.fixed_dictionaries(
        {
            "sensor_type": st.sampled_from(["accelerometer", "gps", "Bad Type"]),
            "timestamp": st.integers(1_699_876_543_000, 1_699_876_600_000),
            "x": st.floats(-1e6, 1e6, allow_nan=False) | st.text(max_size=8),
        }
    ),
    min_size=1,
    max_size=5,
)
_ndjson = _samples.map(
    lambda rows: "".join(
        json.dumps(
            {"sensor_type": r["sensor_type"], "timestamp": r["timestamp"], "data": {"x": r["x"]}}
        )
        + "\n"
        for r in rows
    ).encode()
)
_csv = _samples.map(
    lambda rows: (
        "sensor_type,timestamp,x\n"
        + "".join(
            f'{r["sensor_type"]},{r["timestamp"]},"{str(r["x"]).replace(chr(34), "")}"\n'
            for r in rows
        )
    ).encode()
)
schemathesis.openapi.media_type("application/x-ndjson", _ndjson)
schemathesis.openapi.media_type("text/csv", _csv)
schemathesis.openapi.media_type("application/gzip", (_ndjson | _csv).map(gzip.compress))


def _is_ndjson(content: bytes) -> bool:
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    return content.lstrip().startswith(b"{")


def _positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook("filter_case").apply_to(method="POST", path="/api/uploads")
def session_part_is_an_object(context, case):
    """The coverage phase fills a required part that has no media-type strategy with "" and
    still calls the case positive; the document says `session` is an object: not positive."""
    return not _positive(case) or isinstance(case.body, dict) and case.body.get("session") != ""


@schemathesis.hook("map_case").apply_to(method="POST", path="/api/uploads")
def format_names_the_file(context, case):
    """`format`, when given, names the file's format (a documented rule between two parts)."""
    body = case.body
    if _positive(case) and isinstance(body, dict) and body.get("format") in ("csv", "ndjson"):
        content = body.get("file")
        if isinstance(content, bytes):
            body["format"] = "ndjson" if _is_ndjson(content) else "csv"
    return case


# Multipart operations whose numeric parts are text on the wire: a "wrong type" mutation
# (the integer 5 sent as the string "5") is the same bytes, so the server cannot refuse it.
TYPE_BLIND_FORMS: set[tuple[str, str]] = set()


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Drop a "schema-valid request rejected" failure only when the 400 names a documented
    rule of that operation that JSON Schema cannot express; and a "schema-violating request
    accepted" one of a type-blind form."""
    operation = (case.operation.method.upper(), case.operation.path)
    if failure.code == "ST201" and operation in TYPE_BLIND_FORMS:
        return False
    if failure.code != "ST202" or response.status_code != 400:
        return True
    rules = DOCUMENTED_RULES.get((case.operation.method.upper(), case.operation.path), ())
    try:
        body = json.loads(response.content)
        message = body["message"] if "/api/app/" in case.operation.path else body["error"]
    except (ValueError, KeyError, TypeError):
        return True
    return message not in rules


# The app's audio and file uploads have hooks of their own.
import tests.fuzz.upload_hooks  # noqa: E402, F401
