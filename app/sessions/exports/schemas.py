"""The query of GET /api/sessions/<id>/export."""

from __future__ import annotations

from typing import Literal

from app.sessions.schemas import Query, SensorTypeName


class ExportQuery(Query):
    format: Literal["csv", "ndjson", "parquet"] = "csv"
    sensor_type: SensorTypeName | None = None
