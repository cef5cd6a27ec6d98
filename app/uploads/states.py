"""An upload's JSON shape (its life cycle is in app/models/upload.py)."""

from __future__ import annotations

from typing import Any

from app.models import Upload
from app.uploads.schemas import UploadOut
from app.validation import response_fields


def upload_json(upload: Upload) -> dict[str, Any]:
    """An upload as GET /api/uploads/<id> shows it: the fields `UploadOut` documents."""
    return response_fields(UploadOut, upload)
