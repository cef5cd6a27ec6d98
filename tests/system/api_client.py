"""A small HTTP client for the running server (standard library only, one connection per call:
gunicorn's sync workers close every connection after its response anyway)."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float  # seconds, request sent to body read

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


@dataclass
class Api:
    base: str
    token: str | None = None
    timeout: float = 60
    refresh_token: str | None = None
    host: str = field(init=False)
    port: int = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port

    def with_token(self, token: str | None) -> Api:
        return Api(self.base, token, self.timeout)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """`body` is sent as JSON; `raw` as given (with the caller's headers)."""
        sent_headers = {"Accept": "application/json"}
        if self.token:
            sent_headers["Authorization"] = f"Bearer {self.token}"
        payload = raw
        if body is not None:
            payload = orjson.dumps(body)
            sent_headers["Content-Type"] = "application/json"
        sent_headers |= headers or {}
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=timeout or self.timeout
        )
        started = time.perf_counter()
        try:
            try:
                connection.request(method, path, body=payload, headers=sent_headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered (413) before the whole body was sent: read that answer
            response = connection.getresponse()
            data = response.read()
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, reply_headers, data, time.perf_counter() - started)
        finally:
            connection.close()

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.request("POST", path, body, **options)

    # --- accounts

    def register(self, username: str, password: str = "correct-horse-1") -> Api:
        """Register `username` and return a client signed in as them."""
        reply = self.post(
            "/api/auth/register",
            {"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert reply.status == 201, (reply.status, reply.body[:300])
        body = reply.json()
        return Api(self.base, body["access_token"], self.timeout, body["refresh_token"])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = "koodtx-system-test-boundary"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
