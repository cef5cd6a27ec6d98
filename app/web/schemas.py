"""Response models shared by all endpoints (documentation and schema checks)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """Every error: a message a person can act on, and optional structured details."""

    error: str
    details: Any = None
