"""The app's response shapes: `{"success": true, "data": …}`, its paginated list, its errors.

The KooDTX app reads `ApiResponse<T>` (`src/api/types.ts`): `success`, `data`, and on errors
`code` and `message` (the message is shown to the person holding the phone). Error bodies are
built here from the same domain errors as /api; see app/app_protocol/errors.py.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel, Field

# One machine-readable code per HTTP status the server answers with.
CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def code_for(status: int) -> str:
    return CODES.get(status, "CLIENT_ERROR" if status < 500 else "SERVER_ERROR")


def ok(data: Any = None, status: int = 200, **top_level: Any) -> tuple[Response, int]:
    """A success body; `top_level` fields are repeated beside `data` for callers that read
    them there (the refresh call)."""
    body: dict[str, Any] = {"success": True}
    if data is not None:
        body["data"] = data
    return jsonify(body | top_level), status


def page_fields(items: list, total: int, page: int, limit: int) -> dict[str, Any]:
    """`PaginatedResponse<T>` of `src/api/types.ts`."""
    total_pages = math.ceil(total / limit) if total else 0
    return {
        "items": items,
        "total": total,
        "page": page,
        "limit": limit,
        "totalPages": total_pages,
        "hasNext": page < total_pages,
        "hasPrev": page > 1,
    }


def paginated(items: list, total: int, page: int, limit: int) -> tuple[Response, int]:
    """The app's `getSessions` reads the page at the top level (it is typed as the page, not as
    `ApiResponse`); the same page is under `data` for callers using the common wrapper."""
    fields = page_fields(items, total, page, limit)
    return ok(fields, **fields)


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    return {"success": False, "code": code_for(status), "message": message, "details": details}


# Models of the shapes, for the OpenAPI document (the routes build plain dicts).


class AppErrorOut(BaseModel):
    """Every error under /api/app: the app shows `message` and reads `code`."""

    success: bool = Field(description="Always false")
    code: str = Field(description="VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND, CONFLICT, …")
    message: str = Field(description="A sentence the person using the app can act on")
    details: Any = None


class OkOut(BaseModel):
    success: bool
