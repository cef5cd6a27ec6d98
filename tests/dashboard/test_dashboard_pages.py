"""Dashboard pages through the test client: sign-in, CSRF, ownership, actions."""

from __future__ import annotations

import re

import pytest

from tests.payloads import push_body, samples
from tests.sync.helpers import push

PASSWORD = "correct-horse-1"


def _login_form(client, query: str = "") -> str:
    page = client.get(f"/dashboard/login{query}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    return re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    token = _login_form(client)
    form = {"login_csrf": token, "username": username, "password": password} | extra
    return client.post("/dashboard/login", data=form)


def csrf(client) -> str:
    return client.get_cookie("koodtx_csrf").value


@pytest.fixture
def alice(client, register):
    headers = register("alice").headers
    push(client, headers, push_body("walk", samples(300) + samples(5, "gps", step=1000)))
    push(client, headers, push_body("desk", samples(20), notes="on the desk", is_active=False))
    response = sign_in(client, "alice")
    assert response.status_code == 302
    return headers


def test_pages_need_a_signed_in_user(client):
    for path in ("/dashboard/sessions", "/dashboard/statistics", "/dashboard/sync-log"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/dashboard/login?next=")
    client.set_cookie("koodtx_access", "not-a-token")
    assert client.get("/dashboard/sessions").status_code == 302


def test_sign_in_sets_an_httponly_cookie_and_follows_next(client, register):
    register("bob")
    response = sign_in(client, "bob", next="/dashboard/sync-log")
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/sync-log")
    cookies = response.headers.getlist("Set-Cookie")
    access = next(c for c in cookies if c.startswith("koodtx_access="))
    assert "HttpOnly" in access and "SameSite=Lax" in access
    assert any(c.startswith("koodtx_csrf=") and "HttpOnly" not in c for c in cookies)
    assert client.get("/dashboard/sync-log").status_code == 200


def test_sign_in_refuses_bad_passwords_forged_forms_and_open_redirects(client, register):
    register("bob")
    wrong = sign_in(client, "bob", "wrong-password")
    assert wrong.status_code == 401 and "Invalid" in wrong.text
    assert client.get_cookie("koodtx_access") is None

    client.get("/dashboard/login")  # a login cookie exists, but the form's copy is forged
    forged = client.post(
        "/dashboard/login", data={"login_csrf": "forged", "username": "bob", "password": PASSWORD}
    )
    assert forged.status_code == 400 and client.get_cookie("koodtx_access") is None

    away = sign_in(client, "bob", next="https://evil.example/dashboard")
    assert away.headers["Location"] == "/dashboard/sessions"


def test_session_list_filters(client, alice):
    page = client.get("/dashboard/sessions")
    assert page.status_code == 200 and "walk" in page.text and "desk" in page.text
    page = client.get("/dashboard/sessions?q=desk&active=no")
    assert "on the desk" in page.text and ">walk<" not in page.text
    page = client.get("/dashboard/sessions?sensor_type=gps")
    assert ">walk<" in page.text and ">desk<" not in page.text
    bad = client.get("/dashboard/sessions?start_date=yesterday")
    assert bad.status_code == 400 and "Start must be a date" in bad.text


def _page_links(html: str) -> list[str]:
    return re.findall(r'<nav class="pages">.*?</nav>', html, re.S)[0].split('href="')[1:]


@pytest.mark.parametrize(
    "extra",
    [
        "endpoint=x",  # collided with url_for's own argument: 500
        "_external=1&_scheme=javascript",  # made the links absolute, with any scheme
        "_anchor=x&_method=POST&values=1&session_id=a",
    ],
)
def test_pagination_links_keep_only_the_filters(client, alice, extra):
    page = client.get(f"/dashboard/sessions?page=2&q=desk&{extra}")
    assert page.status_code == 200, page.text[:300]
    (previous,) = _page_links(page.text)
    assert previous.startswith("/dashboard/sessions?") and "#" not in previous.split('"')[0]
    link = previous.split('"')[0].replace("&amp;", "&")
    assert sorted(link.split("?")[1].split("&")) == ["page=1", "q=desk"]


def test_session_page_links_its_charts_track_coverage_and_exports(client, alice):
    page = client.get("/dashboard/sessions/walk")
    assert page.status_code == 200
    for fragment in (
        "/api/sessions/walk/series?sensor_type=accelerometer&amp;points=2000",
        "/api/sessions/walk/series?sensor_type=gps",
        "/api/sessions/walk/track?points=2000",
        "/api/sessions/walk/coverage",
        "/api/sessions/walk/export?format=csv",
        "/dashboard/vendor/plotly.min.js",
    ):
        assert fragment in page.text
    assert "<script>" not in page.text  # the CSP forbids inline scripts
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # The charts' own requests are authenticated by the same cookie.
    series = client.get("/api/sessions/walk/series?sensor_type=accelerometer&points=100")
    assert series.status_code == 200 and series.json["downsampled"]


def test_plotly_is_served_locally(client):
    response = client.get("/dashboard/vendor/plotly.min.js")
    assert response.status_code == 200 and b"plotly.js" in response.data[:200]
    assert response.mimetype in ("text/javascript", "application/javascript")


def test_another_users_session_is_not_found(client, alice, register):
    bob_headers = register("bob").headers
    push(client, bob_headers, push_body("bobs", samples(5)))
    for path in ("/dashboard/sessions/bobs", "/dashboard/sessions/bobs/delete"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
    token = csrf(client)
    assert (
        client.post("/dashboard/sessions/bobs/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert client.get("/api/sessions/bobs", headers=bob_headers).status_code == 200


def test_state_changes_need_the_csrf_value(client, alice):
    assert client.post("/dashboard/sessions/walk/delete").status_code == 400
    assert client.post("/dashboard/sessions/walk/analysis").status_code == 400
    # The API refuses cookie-authenticated writes without the X-CSRF-TOKEN header, too.
    assert client.delete("/api/sessions/walk").status_code == 401
    assert client.get("/api/sessions/walk").status_code == 200  # nothing was deleted
    response = client.delete("/api/sessions/desk", headers={"X-CSRF-TOKEN": csrf(client)})
    assert response.status_code == 200


def test_rerun_analysis_queues_a_task(client, alice):
    response = client.post("/dashboard/sessions/walk/analysis", data={"csrf_token": csrf(client)})
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/sessions/walk")
    page = client.get("/dashboard/sessions/walk")
    assert "Analysis queued" in page.text and "Analysis running" in page.text


def test_delete_asks_first_then_deletes(client, alice):
    confirm = client.get("/dashboard/sessions/desk/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    assert client.get("/api/sessions/desk").status_code == 200  # GET deleted nothing
    done = client.post("/dashboard/sessions/desk/delete", data={"csrf_token": csrf(client)})
    assert done.status_code == 302
    assert client.get("/api/sessions/desk").status_code == 404
    assert "desk deleted" in client.get("/dashboard/sessions").text


def test_statistics_and_sync_log(client, alice):
    stats = client.get("/dashboard/statistics")
    assert stats.status_code == 200 and 'id="stats-data"' in stats.text
    assert "2025-11-13" in stats.text  # the period starts at the first session by default
    assert client.get("/dashboard/statistics?start_date=2026-02-30").status_code == 400
    log = client.get("/dashboard/sync-log?type=push")
    assert log.status_code == 200 and log.text.count('<tr class="success">') == 2
    assert client.get("/dashboard/sync-log?page=x&type=';drop").status_code == 200


def test_sign_out_revokes_the_cookie_token(client, alice):
    stolen = client.get_cookie("koodtx_access").value
    response = client.post("/dashboard/logout", data={"csrf_token": csrf(client)})
    assert response.status_code == 302 and client.get_cookie("koodtx_access") is None
    client.set_cookie("koodtx_access", stolen)
    assert client.get("/dashboard/sessions").status_code == 302
    assert (
        client.get("/api/sessions", headers={"Authorization": f"Bearer {stolen}"}).status_code
        == 401
    )
