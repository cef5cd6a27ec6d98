"""Every error under /api/app has the app's shape; /api keeps its own."""

from __future__ import annotations

import pytest

from tests.app_protocol.app_client import AppApi


def _assert_app_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["code"] == code
    assert body["message"].endswith((".", "!", "?")) and len(body["message"]) > 10
    assert "details" in body and "error" not in body
    return body


def test_unknown_path_and_wrong_method(client):
    _assert_app_error(client.get("/api/app/no-such-thing"), 404, "NOT_FOUND")
    response = client.get("/api/app/auth/login")
    _assert_app_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response.headers["Allow"]


def test_missing_and_bad_tokens_are_401_before_the_body_is_read(client):
    _assert_app_error(client.get("/api/app/auth/me"), 401, "UNAUTHORIZED")
    bad = {"Authorization": "Bearer not.a.token"}
    _assert_app_error(client.get("/api/app/auth/me", headers=bad), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "VALIDATION_ERROR"),
        (b"[]", "application/json", 400, "VALIDATION_ERROR"),
        (b'{"email": 5, "password": "x"}', "application/json", 400, "VALIDATION_ERROR"),
        (
            b'{"email": "a@example.com", "password": "x"}',
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ],
)
def test_bad_bodies(client, body, content_type, status, code):
    response = client.post("/api/app/auth/login", data=body, headers={"Content-Type": content_type})
    _assert_app_error(response, status, code)


def test_too_large_body(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(
        "/api/app/auth/login", data=b" " * size, headers={"Content-Type": "application/json"}
    )
    _assert_app_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_taken_email_is_a_conflict_with_a_sentence(client):
    app = AppApi(client)
    assert app.register("A", "same@example.com", "password-123").status_code == 201
    body = _assert_app_error(app.register("B", "same@example.com", "password-123"), 409, "CONFLICT")
    assert "sign in" in body["message"]


def test_wrong_password_is_401(client):
    app = AppApi(client)
    app.register("A", "alice@example.com", "password-123")
    _assert_app_error(app.login("alice@example.com", "wrong-password"), 401, "UNAUTHORIZED")


def test_api_errors_keep_their_shape(client):
    body = client.get("/api/auth/me").get_json()
    assert set(body) >= {"error"} and "success" not in body


def test_failed_app_logins_count_per_email_and_answer_429_in_the_apps_shape(limited_client):
    app = AppApi(limited_client)
    app.register("Target", "target@example.com", "password-123")
    AppApi(limited_client).register("Other", "other@example.com", "password-123")
    statuses = [app.login("target@example.com", f"wrong-{i}").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    response = app.login("target@example.com", "password-123")
    body = _assert_app_error(response, 429, "RATE_LIMITED")
    assert "try again" in body["message"] and int(response.headers["Retry-After"]) > 0
    # Another e-mail from the same address is not locked out by these failures.
    assert AppApi(limited_client).login("other@example.com", "password-123").status_code == 200
