"""Chart series computed once and reused while the samples behind them are unchanged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.models.base import Base, JSONDocument, UTCDateTime


class ChartSeries(Base):
    """A whole-session series as GET /api/sessions/<id>/series returns it (app/analyses/charts.py).

    Reducing a million samples takes the database about a second; this keeps the result.
    `version` names the state it was computed from (sample count, first and last timestamp,
    last sync), so any push, import or purge that touches the sensor makes it stale.
    """

    __tablename__ = "chart_series"

    recording_session_id: Mapped[int] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    sensor_type: Mapped[str] = mapped_column(String(50), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
