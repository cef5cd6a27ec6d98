"""The OpenAPI document says exactly what the server accepts: what it allows is accepted, what
it forbids is refused (tests/fuzz runs schemathesis over all of it; these pin each rule that a
run once found out of step)."""

from __future__ import annotations

import re

import pytest

from tests.payloads import push_body
from tests.sync.helpers import pull, push


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/openapi.json").json


def _schema(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"][name]


def test_start_time_may_be_left_out_but_is_never_null(client, auth_headers, spec):
    session = _schema(spec, "SessionIn")
    assert session["properties"]["start_time"] == {
        "type": "string",
        "format": "date-time",
        "title": "Start Time",
    }
    assert session["required"] == ["session_id"]
    push(client, auth_headers, push_body("s"))
    push(client, auth_headers, {"session": {"session_id": "s", "notes": "kept start"}})
    body = {"session": {"session_id": "s", "start_time": None}}
    push(client, auth_headers, body, expected=400)


def _register(client, email: str) -> int:
    name = re.sub(r"[^a-z0-9]", "", email.split("@")[0])[:20] + str(len(email))
    body = {"username": name, "email": email, "password": "correct-horse-1"}
    return client.post("/api/auth/register", json=body).status_code


@pytest.mark.parametrize(
    ("email", "documented"),
    [
        ("a@b.example", True),
        ("a@b.test", False),  # special-use domains: refused by email-validator
        ("a@x.Local", False),
        ("a@onion.arpa", False),
        ("a@b.testing", True),
        ("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com", True),  # 254
        ("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com", False),  # 255
    ],
)
def test_register_email_is_documented_as_the_validator_takes_it(client, spec, email, documented):
    schema = _schema(spec, "RegisterIn")["properties"]["email"]
    in_document = len(email) <= schema["maxLength"] and not re.search(
        schema["not"]["pattern"], email
    )
    assert in_document == documented
    assert _register(client, email) == (201 if documented else 400)


def test_pull_page_numbers_are_json_integers(client, auth_headers, spec):
    assert _schema(spec, "PullRequest")["properties"]["page"]["type"] == "integer"
    push(client, auth_headers, push_body("s"))
    page = pull(client, auth_headers, page=1.0, page_size=2.0)  # integers in JSON Schema too
    assert (page["page"], page["page_size"], len(page["sessions"])) == (1, 2, 1)
    for wrong in (True, "1", 1.5):
        pull(client, auth_headers, expected=400, page=wrong)


def test_the_upload_form_documents_its_parts(spec):
    media = spec["paths"]["/api/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert media["encoding"] == {
        "session": {"contentType": "application/json"},
        "file": {"contentType": "application/x-ndjson, text/csv, application/gzip"},
    }
    form = _schema(spec, "UploadForm")
    assert form["required"] == ["file", "session"]
    assert form["properties"]["session"]["$ref"] == "#/components/schemas/SessionIn"
    assert form["properties"]["format"]["enum"] == ["ndjson", "csv"]


def test_rules_json_schema_cannot_state_are_described(spec):
    paths = spec["paths"]
    assert "must not be after end_date" in paths["/api/stats"]["get"]["description"]
    assert "must carry start_time" in paths["/api/sync/push"]["post"]["description"]
    assert "start_time is required" in paths["/api/uploads"]["post"]["description"]
    patch = paths["/api/sessions/{session_id}"]["patch"]["description"]
    assert "end_time must not be before" in patch


@pytest.mark.parametrize("year", [1, 1969, 1970, 2025, 8999, 9000, 9999])
def test_stats_years_are_the_documented_ones(client, auth_headers, spec, year):
    (start,) = [
        p for p in spec["paths"]["/api/stats"]["get"]["parameters"] if p["name"] == "start_date"
    ]
    for value in (f"{year:04d}-06-01", f"{year:04d}-06-01T00:00:00+14:00"):
        documented = re.search(start["schema"]["pattern"], value) is not None
        response = client.get(
            f"/api/stats?start_date={value.replace('+', '%2B')}&end_date=8999-12-31",
            headers=auth_headers,
        )
        assert response.status_code == (200 if documented else 400), (value, response.json)
