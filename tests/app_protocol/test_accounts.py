"""Accounts through the app protocol: the same users and token rules as /api."""

from __future__ import annotations

from tests.app_protocol.app_client import AppApi

PASSWORD = "password-123"


def test_usernames_are_derived_from_the_email_and_unique(client):
    names = []
    for email in ("kim@example.com", "kim@example.org", "Kim+Lab@example.net", "k@example.com"):
        response = AppApi(client).register("Kim", email, PASSWORD)
        assert response.status_code == 201, response.get_json()
        names.append(response.get_json()["data"]["user"]["username"])
    assert names == ["kim", "kim-2", "KimLab", "kuser"]


def test_an_app_account_signs_in_to_api_and_the_other_way_round(client, register):
    user = AppApi(client).register("Lee", "lee@example.com", PASSWORD).get_json()["data"]["user"]
    api_login = client.post(
        "/api/auth/login", json={"username": user["username"], "password": PASSWORD}
    )
    assert api_login.status_code == 200 and api_login.get_json()["user"]["id"] == int(user["id"])

    api_user = register("parkjh", password=PASSWORD).user
    app = AppApi(client)
    response = app.login("parkjh@example.com", PASSWORD)
    assert response.status_code == 200
    assert response.get_json()["data"]["user"] == {
        "id": str(api_user["id"]),
        "email": "parkjh@example.com",
        "name": "parkjh",  # no display name: the username stands in
        "username": "parkjh",
    }


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_sign_in(client):
    app = AppApi(client)
    app.register("Cho", "cho@example.com", PASSWORD)
    first_refresh = app.tokens.refresh_token
    assert app.refresh_token().status_code == 200
    newest_access = app.tokens.access_token

    stolen = client.post("/api/app/auth/refresh", json={"refreshToken": first_refresh})
    assert stolen.status_code == 401 and stolen.get_json()["code"] == "UNAUTHORIZED"
    me = client.get("/api/app/auth/me", headers={"Authorization": f"Bearer {newest_access}"})
    assert me.status_code == 401  # the whole family is revoked


def test_refresh_refuses_access_tokens_and_garbage(client):
    app = AppApi(client)
    app.register("Han", "han@example.com", PASSWORD)
    with_access = client.post(
        "/api/app/auth/refresh", json={"refreshToken": app.tokens.access_token}
    )
    assert with_access.status_code == 401 and "refresh token" in with_access.get_json()["message"]
    garbage = client.post("/api/app/auth/refresh", json={"refreshToken": "x.y.z"})
    assert garbage.status_code == 401 and garbage.get_json()["success"] is False
    missing = client.post("/api/app/auth/refresh", json={})
    assert missing.status_code == 400 and missing.get_json()["code"] == "VALIDATION_ERROR"


def test_logout_with_the_refresh_token_in_the_body_revokes_the_pair(client):
    app = AppApi(client)
    app.register("Yoon", "yoon@example.com", PASSWORD)
    access, refresh = app.tokens.access_token, app.tokens.refresh_token
    response = client.post("/api/app/auth/logout", json={"refreshToken": refresh})
    assert response.status_code == 200 and response.get_json()["success"] is True
    assert (
        client.get("/api/app/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code
        == 401
    )
    assert client.post("/api/app/auth/refresh", json={"refreshToken": refresh}).status_code == 401


def test_logout_without_a_token_is_fine_and_with_a_forged_one_is_not(client):
    assert AppApi(client).logout().status_code == 200
    forged = client.post("/api/app/auth/logout", headers={"Authorization": "Bearer a.b.c"})
    assert forged.status_code == 401 and forged.get_json()["code"] == "UNAUTHORIZED"


def test_registration_validates_like_api(client):
    app = AppApi(client)
    short = app.register("Short", "short@example.com", "1234")
    assert short.status_code == 400 and "password" in short.get_json()["message"]
    nameless = app.register("", "nameless@example.com", PASSWORD)
    assert nameless.status_code == 400 and "name" in nameless.get_json()["message"]
