"""Auth endpoints: register, login, refresh, logout and revocation (docs/security.md#tokens)."""

import pytest

from app.extensions import db
from app.models import User


def test_register_returns_user_and_tokens_without_password(client):
    response = client.post(
        "/api/auth/register",
        json={
            "username": "alice",
            "email": "Alice@Example.com",
            "password": "password123",
            "device_id": "phone-1",
        },
    )
    assert response.status_code == 201
    body = response.json
    assert body["user"]["username"] == "alice"
    assert body["user"]["email"] == "alice@example.com"
    assert body["user"]["device_id"] == "phone-1"
    assert body["access_token"] and body["refresh_token"]
    assert "password" not in str(body).lower().replace("password123", "")
    assert set(body["user"]) == {"id", "username", "email", "device_id", "is_active", "created_at"}
    assert body["user"]["created_at"].endswith("Z")


def test_password_is_stored_as_argon2_hash(client, app):
    client.post(
        "/api/auth/register",
        json={"username": "bob", "email": "bob@example.com", "password": "password123"},
    )
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="bob"))
        assert user.password_hash.startswith("$argon2id$")
        assert "password123" not in user.password_hash


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"username": "ab", "email": "a@example.com", "password": "password123"}, "username"),
        ({"username": "a b c", "email": "a@example.com", "password": "password123"}, "username"),
        ({"username": "abc", "email": "not-an-email", "password": "password123"}, "email"),
        ({"username": "abc", "email": "a@example.com", "password": "short"}, "password"),
        ({"username": "abc", "email": "a@example.com"}, "password"),
        ({"username": 123, "email": "a@example.com", "password": "password123"}, "username"),
    ],
)
def test_register_rejects_invalid_input_naming_the_field(client, payload, field):
    response = client.post("/api/auth/register", json=payload)
    assert response.status_code == 400
    assert field in response.json["error"]
    assert any(d["field"] == field for d in response.json["details"])


def test_register_conflicts_on_taken_username_or_email(client, register):
    register("carol")
    same_name = client.post(
        "/api/auth/register",
        json={"username": "carol", "email": "other@example.com", "password": "password123"},
    )
    same_email = client.post(
        "/api/auth/register",
        json={"username": "carol2", "email": "CAROL@example.com", "password": "password123"},
    )
    assert same_name.status_code == 409 and "username" in same_name.json["error"]
    assert same_email.status_code == 409 and "email" in same_email.json["error"]


def test_login_with_username_or_email(client, register):
    register("dave", password="password123")
    for login in ("dave", "dave@example.com", "DAVE@example.com"):
        response = client.post(
            "/api/auth/login", json={"username": login, "password": "password123"}
        )
        assert response.status_code == 200, login
        assert response.json["user"]["username"] == "dave"
        assert response.json["access_token"]


def test_login_failure_is_one_message_for_unknown_user_and_wrong_password(client, register):
    register("erin", password="password123")
    wrong = client.post("/api/auth/login", json={"username": "erin", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_login_to_disabled_account_is_forbidden(client, register, app):
    register("frank", password="password123")
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(username="frank")).is_active = False
        db.session.commit()
    response = client.post("/api/auth/login", json={"username": "frank", "password": "password123"})
    assert response.status_code == 403
    assert response.json["error"]


def test_disabled_account_tokens_stop_working(client, register, app):
    headers = register("grace").headers
    with app.app_context():
        db.session.scalar(db.select(User).filter_by(username="grace")).is_active = False
        db.session.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_me_returns_the_caller(client, register):
    account = register("heidi")
    user, headers = account.user, account.headers
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 200
    assert response.json["user"] == user


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.invalidsig"},
    ],
)
def test_missing_or_malformed_tokens_get_401_json(client, headers):
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.is_json and response.json["error"]


def test_expired_token_gets_401(client, app, register):
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    user = register().user
    with app.app_context():
        token = create_access_token(str(user["id"]), expires_delta=timedelta(seconds=-1))
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json["error"].lower()


def test_refresh_token_is_not_an_access_token(client, register):
    tokens = register().tokens
    response = client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert response.status_code == 401


def test_refresh_rotates_and_revokes_the_old_refresh_token(client, register):
    tokens = register().tokens
    old = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    first = client.post("/api/auth/refresh", headers=old)
    assert first.status_code == 200
    assert first.json["access_token"] and first.json["refresh_token"]
    assert first.json["refresh_token"] != tokens["refresh_token"]
    new_access = {"Authorization": f"Bearer {first.json['access_token']}"}
    assert client.get("/api/auth/me", headers=new_access).status_code == 200
    again = client.post("/api/auth/refresh", headers=old)  # reuse: see test_token_families.py
    assert again.status_code == 401
    assert "revoked" in again.json["error"].lower()


def test_access_token_cannot_refresh(client, register):
    headers = register().headers
    assert client.post("/api/auth/refresh", headers=headers).status_code == 401


def test_logout_revokes_access_and_refresh_token(client, register):
    account = register()
    headers, tokens = account.headers, account.tokens
    response = client.post("/api/auth/logout", headers=headers)
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.post("/api/auth/refresh", headers=refresh).status_code == 401
    assert client.post("/api/sync/pull", headers=headers, json={}).status_code == 401


def test_logout_with_the_refresh_token_revokes_the_pair(client, register):
    account = register()
    headers, tokens = account.headers, account.tokens
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.post("/api/auth/logout", headers=refresh).status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_other_sessions_of_the_same_user_survive_logout(client, register):
    headers = register("ivan", password="password123").headers
    other = client.post("/api/auth/login", json={"username": "ivan", "password": "password123"})
    client.post("/api/auth/logout", headers=headers)
    other_headers = {"Authorization": f"Bearer {other.json['access_token']}"}
    assert client.get("/api/auth/me", headers=other_headers).status_code == 200
