"""Calling the sync endpoints from tests."""

from __future__ import annotations

from typing import Any


def push(client, headers, body: dict, expected: int = 200) -> dict:
    response = client.post("/api/sync/push", json=body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    return response.json


def pull(client, headers, expected: int = 200, **body: Any) -> dict:
    response = client.post("/api/sync/pull", json=body, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    return response.json


def stored_samples(client, headers, session_id: str) -> dict[tuple[str, int], dict]:
    """Everything the server holds for one session, keyed like the dedup key."""
    page = pull(client, headers, session_ids=[session_id])
    (session,) = page["sessions"]
    return {(s["sensor_type"], s["timestamp"]): s["data"] for s in session["sensor_data"]}
