"""Every error is JSON {"error", "details"}: 404, 405, 413, 415, 500, 503
(docs/sync.md#whole-request-failures)."""

import pytest
from sqlalchemy.exc import OperationalError

from app import create_app
from tests.conftest import settings_for_tests


def test_unknown_route_is_404_json(client):
    response = client.get("/api/nope")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]


def test_wrong_method_is_405_json_with_allow(client):
    response = client.get("/api/sync/push")
    assert response.status_code == 405
    assert response.is_json and "POST" in response.headers["Allow"]


@pytest.fixture
def failing_app(app):
    """A fresh app with two extra routes that fail the way real code can."""
    fresh = create_app("testing", settings_for_tests())
    fresh.add_url_rule("/test/boom", "boom", lambda: 1 / 0)

    def db_down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    fresh.add_url_rule("/test/db-down", "db_down", db_down)
    return fresh


def test_unexpected_exception_is_500_json_without_a_trace(failing_app):
    response = failing_app.test_client().get("/test/boom")
    assert response.status_code == 500
    assert response.json == {"error": "Internal server error"}
    assert b"Traceback" not in response.data and b"ZeroDivision" not in response.data


def test_database_outage_is_503_json(failing_app):
    response = failing_app.test_client().get("/test/db-down")
    assert response.status_code == 503
    assert response.is_json and "retry" in response.json["error"].lower()


def test_validation_errors_carry_details(client, auth_headers):
    response = client.post("/api/sync/pull", json={"page_size": 500}, headers=auth_headers)
    assert response.status_code == 400
    assert response.json["details"][0]["field"] == "page_size"
