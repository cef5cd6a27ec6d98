"""Sign-in and registration limits: nobody elsewhere can lock an owner out; guessing and
enumeration stay bounded (app/auth/limits.py)."""

from __future__ import annotations

import re

import pytest

PASSWORD = "correct-horse-1"
ATTACKER, OWNER = "10.6.6.6", "10.0.0.7"


@pytest.fixture
def owner(limited_client):
    """An account registered from the test client's default address (127.0.0.1)."""
    response = limited_client.post(
        "/api/auth/register",
        json={"username": "owner", "email": "owner@example.com", "password": PASSWORD},
    )
    assert response.status_code == 201
    return response.json["user"]


def api_login(client, username: str, password: str, address: str) -> int:
    response = client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def dashboard_login(client, username: str, password: str, address: str) -> int:
    page = client.get("/dashboard/login", environ_base={"REMOTE_ADDR": address})
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/dashboard/login",
        data={"login_csrf": token, "username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_failures_from_elsewhere_do_not_lock_the_owner_out_of_the_api(limited_client, owner):
    attempts = [api_login(limited_client, "owner", f"guess-{i}", ATTACKER) for i in range(8)]
    assert attempts == [401] * 5 + [429] * 3
    assert api_login(limited_client, "owner", PASSWORD, OWNER) == 200


def test_failures_from_elsewhere_do_not_lock_the_owner_out_of_the_dashboard(
    app, limited_client, owner
):
    attacker, browser = app.test_client(), app.test_client()
    attempts = [dashboard_login(attacker, "owner", f"guess-{i}", ATTACKER) for i in range(7)]
    assert attempts == [401] * 5 + [429] * 2
    assert dashboard_login(browser, "owner", PASSWORD, OWNER) == 302


def test_api_and_dashboard_failures_count_together(app, limited_client, owner):
    browser = app.test_client()
    failures = [api_login(limited_client, "owner", "guess", ATTACKER) for _ in range(3)]
    failures += [dashboard_login(browser, "owner", "guess", ATTACKER) for _ in range(2)]
    assert failures == [401] * 5
    assert dashboard_login(browser, "owner", "guess", ATTACKER) == 429
    assert api_login(limited_client, "owner", PASSWORD, ATTACKER) == 429


def test_one_address_trying_many_usernames_is_limited(limited_client, owner, monkeypatch):
    monkeypatch.setitem(
        limited_client.application.config, "LOGIN_ADDRESS_FAILURE_RATE_LIMIT", "4/hour"
    )
    assert api_login(limited_client, "owner", PASSWORD, ATTACKER) == 200  # the owner's place too
    stuffing = [api_login(limited_client, f"user{i}", "password1", ATTACKER) for i in range(6)]
    assert stuffing == [401] * 4 + [429] * 2
    assert api_login(limited_client, "user9", "password1", OWNER) == 401  # another address
    # The owner has signed in from there before: the address's failures are not theirs.
    assert api_login(limited_client, "owner", PASSWORD, ATTACKER) == 200


def test_an_ipv6_network_counts_as_one_address(limited_client, monkeypatch):
    monkeypatch.setitem(
        limited_client.application.config, "LOGIN_ADDRESS_FAILURE_RATE_LIMIT", "3/hour"
    )
    hosts = [f"2001:db8:1:2::{n}" for n in range(1, 5)]  # one /64, a new address per attempt
    attempts = [api_login(limited_client, f"user{n}", "password1", h) for n, h in enumerate(hosts)]
    assert attempts == [401] * 3 + [429]
    assert api_login(limited_client, "user9", "password1", "2001:db8:1:3::1") == 401


def test_many_addresses_guessing_one_username_are_limited_except_where_the_owner_signs_in(
    app, limited_client, owner, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_USERNAME_FAILURE_RATE_LIMIT", "5/hour")
    assert api_login(limited_client, "owner", PASSWORD, OWNER) == 200  # the owner's usual place
    botnet = [api_login(limited_client, "owner", "guess", f"10.6.6.{n}") for n in range(1, 7)]
    assert botnet == [401] * 5 + [429]
    # A new address waits, even with the right password: the price of the per-username limit.
    assert api_login(limited_client, "owner", PASSWORD, "10.9.9.9") == 429
    # Where the owner signed in before, nothing of this counts; by username or email alike.
    assert api_login(limited_client, "owner", PASSWORD, OWNER) == 200
    assert api_login(limited_client, "owner@example.com", PASSWORD, OWNER) == 200
    assert dashboard_login(app.test_client(), "owner", PASSWORD, OWNER) == 302


def register_from(client, username: str, email: str, address: str) -> int:
    response = client.post(
        "/api/auth/register",
        json={"username": username, "email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_answers_that_a_name_is_taken_are_limited_per_address(
    app, limited_client, owner, monkeypatch
):
    monkeypatch.setitem(app.config, "REGISTER_CONFLICT_RATE_LIMIT", "3/hour")
    probes = [
        register_from(limited_client, "owner", "new1@example.com", ATTACKER),
        register_from(limited_client, "new2", "owner@example.com", ATTACKER),
        register_from(limited_client, "owner", "new3@example.com", ATTACKER),
    ]
    assert probes == [409] * 3
    assert register_from(limited_client, "owner", "new4@example.com", ATTACKER) == 429
    assert register_from(limited_client, "fresh1", "fresh1@example.com", ATTACKER) == 429
    # Other addresses are not affected, and accounts created or refused as invalid don't count.
    assert register_from(limited_client, "fresh2", "fresh2@example.com", OWNER) == 201
    assert register_from(limited_client, "fresh3", "fresh3@example.com", OWNER) == 201
    assert register_from(limited_client, "x", "bad", OWNER) == 400
    assert register_from(limited_client, "owner", "new5@example.com", OWNER) == 409
