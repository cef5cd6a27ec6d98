"""GET /health: database is essential (503), broker is not (degraded)."""

from tests.conftest import IS_POSTGRES


def test_health_is_healthy_with_database_and_broker(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["database"], body["broker"]) == ("healthy", "ok", "ok")
    assert body["database_backend"] == ("postgresql" if IS_POSTGRES else "sqlite")


def test_broker_down_is_degraded_but_200(client, app):
    saved = app.config["CELERY_BROKER_URL"]
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health")
    finally:
        app.config["CELERY_BROKER_URL"] = saved
    assert response.status_code == 200
    assert response.json["status"] == "degraded" and response.json["broker"] == "unavailable"


def test_database_down_is_503_and_recovers(tmp_path):
    from app import create_app
    from tests.conftest import settings_for_tests

    broken_url = (
        "postgresql+psycopg2://postgres@127.0.0.1:1/nothing"
        if IS_POSTGRES
        else f"sqlite:///{tmp_path}/missing-dir/nothing.db"
    )
    app = create_app("testing", settings_for_tests() | {"SQLALCHEMY_DATABASE_URI": broken_url})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy" and response.json["database"] == "unavailable"
