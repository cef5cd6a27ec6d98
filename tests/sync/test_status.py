"""GET /api/sync/status (docs/sync.md#status)."""

from tests.payloads import push_body, samples
from tests.sync.helpers import pull, push


def test_status_of_a_new_user_is_empty(client, auth_headers):
    body = client.get("/api/sync/status", headers=auth_headers).json
    assert body == {
        "total_sessions": 0,
        "active_sessions": 0,
        "uploaded_sessions": 0,
        "total_records": 0,
        "last_push_at": None,
        "last_pull_at": None,
        "recent_syncs": [],
    }


def test_status_counts_sessions_records_and_recent_syncs(client, auth_headers, register):
    push(client, auth_headers, push_body("open", data=samples(5)))
    push(
        client, auth_headers, push_body("closed", data=samples(7), end_time="2025-11-13T01:00:00Z")
    )
    pull(client, auth_headers)
    other = register().headers
    push(client, other, push_body("theirs", data=samples(100)))

    body = client.get("/api/sync/status", headers=auth_headers).json
    assert (body["total_sessions"], body["active_sessions"], body["uploaded_sessions"]) == (2, 1, 1)
    assert body["total_records"] == 12
    assert body["last_push_at"].endswith("Z") and body["last_pull_at"] >= body["last_push_at"]
    assert [log["sync_type"] for log in body["recent_syncs"]] == ["pull", "push", "push"]
    assert body["recent_syncs"][1]["records_count"] == 7


def test_recent_syncs_are_the_last_ten(client, auth_headers):
    for _ in range(12):
        pull(client, auth_headers, include_data=False)
    body = client.get("/api/sync/status", headers=auth_headers).json
    ids = [log["id"] for log in body["recent_syncs"]]
    assert len(ids) == 10 and ids == sorted(ids, reverse=True)


def test_status_requires_auth(client):
    assert client.get("/api/sync/status").status_code == 401
