"""Schemathesis hooks (loaded with SCHEMATHESIS_HOOKS=tests.fuzz.hooks): authenticate every
generated request as the fuzz user, with the refresh token where the operation wants one.

A token revoked by a generated logout or refresh makes the next request 401; schemathesis then
asks `get` again (its default `retry_on=[401]`), which signs in anew.
"""

import json
import os
import urllib.request

import schemathesis


def _login() -> dict:
    body = json.dumps(
        {"username": os.environ["FUZZ_USERNAME"], "password": os.environ["FUZZ_PASSWORD"]}
    ).encode()
    request = urllib.request.Request(
        os.environ["FUZZ_BASE_URL"] + "/api/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@schemathesis.auth()
class FuzzUser:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        kind = "refresh_token" if case.operation.path == "/api/auth/refresh" else "access_token"
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data[kind]}"
