"""An upload's life cycle (pending → running → success | failed) and its JSON shape."""

from __future__ import annotations

from typing import Any

from app.models import Upload
from app.uploads.schemas import UploadOut

PENDING, RUNNING, SUCCESS, FAILED = "pending", "running", "success", "failed"
OPEN_STATES = (PENDING, RUNNING)


def upload_json(upload: Upload) -> dict[str, Any]:
    """An upload as GET /api/uploads/<id> shows it: the fields `UploadOut` documents."""
    return UploadOut.model_validate(upload, from_attributes=True).model_dump()
