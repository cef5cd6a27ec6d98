"""Requests formed exactly as the KooDTX app forms them (commit 2528b3d of squall321/KooDTX).

Two HTTP stacks, as in the app:

- `AppApi` is `src/api/client.ts` with `src/api/interceptors/authInterceptor.ts`: axios with
  `Content-Type: application/json` and `Accept: application/json` on every request, the
  access token as a bearer header except for URLs containing /auth/login, /auth/register or
  /auth/refresh, JSON bodies as `JSON.stringify` writes them (no body and no Content-Type
  when the call passes no data). Its methods are the calls of `src/api/auth.ts`,
  `sessions.ts` and `sync.ts`, with their names.
- `SyncManagerApi` is `src/services/api/ApiClient.ts` as `src/services/sync/SyncManager.ts`
  uses it: `Content-Type: application/json`, axios's default `Accept`, and a bearer header
  only once `setAuthToken` was called — which the app never does (docs/app-protocol.md), so
  tests call `set_auth_token` themselves to get past the server's token check.

Each method returns the Flask test response; tests assert on what the app reads from it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

BASE = "/api/app"
_AXIOS_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# axios's own default, which src/services/api/ApiClient.ts does not override.
AXIOS_DEFAULT_ACCEPT = "application/json, text/plain, */*"
_EXCLUDED = ("/auth/login", "/auth/register", "/auth/refresh")  # client.ts setupAuthInterceptor


def stringify(data: Any) -> bytes:
    """`JSON.stringify`: compact; the caller drops `undefined` fields before."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class TokenStorage:
    """`src/api/storage/tokenStorage.ts`: the pair the app keeps."""

    def __init__(self) -> None:
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def set_tokens(self, access: str, refresh: str) -> None:
        self.access_token, self.refresh_token = access, refresh

    def clear_tokens(self) -> None:
        self.access_token = self.refresh_token = None


class AppApi:
    def __init__(self, client, base: str = BASE) -> None:
        self.client = client
        self.base = base
        self.tokens = TokenStorage()

    # --- the axios instance -------------------------------------------------------------

    def _headers(self, url: str, has_body: bool) -> dict[str, str]:
        headers = dict(_AXIOS_HEADERS)
        if not has_body:
            del headers["Content-Type"]  # axios drops it when there is no data
        if not any(excluded in url for excluded in _EXCLUDED) and self.tokens.access_token:
            headers["Authorization"] = f"Bearer {self.tokens.access_token}"
        return headers

    def request(self, method: str, url: str, data: Any = None, params: dict | None = None):
        query = {k: v for k, v in (params or {}).items() if v is not None}
        path = self.base + url + (f"?{urlencode(query)}" if query else "")
        body = None if data is None else stringify(data)
        return self.client.open(
            path, method=method, data=body, headers=self._headers(url, body is not None)
        )

    # --- src/api/auth.ts ------------------------------------------------------------------

    def register(self, name: str, email: str, password: str):
        response = self.request(
            "POST", "/auth/register", {"name": name, "email": email, "password": password}
        )
        self._keep_tokens(response)
        return response

    def login(self, email: str, password: str):
        response = self.request("POST", "/auth/login", {"email": email, "password": password})
        self._keep_tokens(response)
        return response

    def logout(self):
        self.tokens.clear_tokens()  # auth.ts clears the tokens first, then calls the server
        return self.request("POST", "/auth/logout")

    def refresh_token(self):
        response = self.request(
            "POST", "/auth/refresh", {"refreshToken": self.tokens.refresh_token}
        )
        if response.status_code < 300:
            body = response.get_json()
            self.tokens.set_tokens(body["accessToken"], body["refreshToken"])
        return response

    def _keep_tokens(self, response) -> None:
        body = response.get_json(silent=True) or {}
        if body.get("success") and body.get("data"):
            self.tokens.set_tokens(body["data"]["accessToken"], body["data"]["refreshToken"])

    # --- src/api/sessions.ts --------------------------------------------------------------

    def create_session(
        self, device_id: str, sensor_types: list[str], has_audio: bool, metadata: Any = None
    ):
        data = {"deviceId": device_id, "sensorTypes": sensor_types, "hasAudio": has_audio}
        if metadata is not None:
            data["metadata"] = metadata
        return self.request("POST", "/sessions", data)

    def get_sessions(self, page=None, limit=None, sort_by=None, sort_order=None):
        params = {"page": page, "limit": limit, "sortBy": sort_by, "sortOrder": sort_order}
        return self.request("GET", "/sessions", params=params)

    def get_session(self, session_id: str):
        return self.request("GET", f"/sessions/{session_id}")

    def update_session(self, session_id: str, **fields: Any):
        """`fields`: endTime, metadata (camelCase, as UpdateSessionRequest)."""
        return self.request("PATCH", f"/sessions/{session_id}", fields)

    def delete_session(self, session_id: str):
        return self.request("DELETE", f"/sessions/{session_id}")

    # --- src/api/sync.ts ------------------------------------------------------------------

    def sync_push(self, items: list[dict], batch_id: str | None = None):
        request = {"items": items}
        if batch_id is not None:
            request["batchId"] = batch_id
        return self.request("POST", "/sync/push", request)

    def sync_pull(self, last_sync_timestamp: int | None = None, types=None, limit=None):
        request = {"lastSyncTimestamp": last_sync_timestamp, "types": types, "limit": limit}
        return self.request(
            "POST", "/sync/pull", {k: v for k, v in request.items() if v is not None}
        )

    def get_sync_stats(self):
        return self.request("GET", "/sync/stats")


class SyncManagerApi:
    """`ApiClient` of src/services/api as SyncManager calls it."""

    def __init__(self, client, base: str = BASE) -> None:
        self.client = client
        self.base = base
        self.auth_token: str | None = None

    def set_auth_token(self, token: str | None) -> None:
        self.auth_token = token

    def headers(self, content_type: str | None = "application/json") -> dict[str, str]:
        headers = {"Accept": AXIOS_DEFAULT_ACCEPT}
        if content_type:
            headers["Content-Type"] = content_type
        if self.auth_token:
            headers["Authorization"] = f"Bearer {self.auth_token}"
        return headers

    def post(self, url: str, data: Any):
        return self.client.post(self.base + url, data=stringify(data), headers=self.headers())

    def upload_session(self, session: dict):
        """handleSessionUpload: the local RecordingSession's fields (null when unset)."""
        keys = (
            "sessionId",
            "startTime",
            "endTime",
            "enabledSensors",
            "sampleRate",
            "notes",
            "isActive",
        )
        return self.post("/sessions", {key: session.get(key) for key in keys})

    def upload_sensor_data(self, session_id: str, records: list[dict]):
        """handleSensorDataUpload: one batch (100 records by default) of one session."""
        return self.post(
            f"/sessions/{session_id}/sensor-data",
            {"data": [sensor_record_fields(r) for r in records]},
        )

    # P2: upload_audio (handleAudioFileUpload, multipart) goes here.


RECORD_FIELDS = (
    "timestamp",
    "sensorType",
    "x",
    "y",
    "z",
    "latitude",
    "longitude",
    "altitude",
    "accuracy",
    "speed",
    "heading",
)


def sensor_record_fields(record: dict) -> dict:
    """What SyncManager sends of a SensorDataRecord: these eleven fields, null when unset."""
    return {field: record.get(field) for field in RECORD_FIELDS}


def sync_item(
    item_id: str, item_type: str, local_id: str, data: Any, at_ms: int, priority: int = 1
) -> dict:
    """A `SyncItem` of src/api/sync.ts as SyncService queues it."""
    return {
        "id": item_id,
        "type": item_type,
        "localId": local_id,
        "status": "pending",
        "priority": priority,
        "createdAt": at_ms,
        "updatedAt": at_ms,
        "data": data,
    }
