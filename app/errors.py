"""Domain errors. Each maps to one HTTP status in app/web/error_handlers.py.

ApiError                      400  (base: message + optional details)
├── ValidationFailed          400  input does not satisfy the contract
├── AuthenticationFailed      401
├── Forbidden                 403
├── NotFound                  404
├── Conflict                  409
├── PayloadTooLarge           413
├── UnsupportedMediaType      415
├── TooManyRequests           429  a per-user quota is used up (rate limits are Flask-Limiter's)
└── ServiceUnavailable        503  a backing service (database) is down
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status_code = 400

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(ApiError):
    status_code = 400


class AuthenticationFailed(ApiError):
    status_code = 401


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class PayloadTooLarge(ApiError):
    status_code = 413


class UnsupportedMediaType(ApiError):
    status_code = 415


class TooManyRequests(ApiError):
    """Answered with `Retry-After`, like a rate limit, so clients back off the same way."""

    status_code = 429

    def __init__(self, message: str, details: Any = None, retry_after: int = 60) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    status_code = 503
