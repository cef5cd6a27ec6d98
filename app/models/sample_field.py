"""The distinct top-level data keys each session holds per sensor type."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SampleField(Base):
    """One key of sample `data` seen in a session for a sensor type
    (app/recordings/samples/fields.py).

    Written by the ingest path under the session lock, so the cap on distinct keys is checked
    without reading the session's samples, and readers (exports, charts, analyses) take their
    columns from here instead of discovering them in the data. `id` gives the order in which
    readers that must leave keys out keep them (arrival; the most used first for keys the
    upgrade found). Rows stay when samples are purged or overwritten: "keys received", as
    `data_count` is "samples received".
    """

    __tablename__ = "sample_fields"
    __table_args__ = (UniqueConstraint("recording_session_id", "sensor_type_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_session_id: Mapped[int] = mapped_column(
        ForeignKey("recording_sessions.id", ondelete="CASCADE")
    )
    sensor_type_id: Mapped[int] = mapped_column(Integer)  # no foreign key, like sensor_data
    name: Mapped[str] = mapped_column(String(255))
