"""Realistic demo recordings, stored through the same ingest path as a phone's push.

Samples are generated with numpy from a fixed seed and fixed times, so running the seeding
twice pushes identical samples: the second run reports duplicates and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import select

from app.auth.schemas import RegisterIn
from app.auth.service import register
from app.extensions import db
from app.models import User
from app.sync.push import PushLimits, push
from app.sync.schemas import PushRequest

BATCH = 10_000
LOOP_METRES = 2000.0
EARTH_RADIUS = 6_371_000.0
START = datetime(2025, 11, 13, 7, 0, tzinfo=UTC)
ORIGIN = (37.5665, 126.9780)  # Seoul City Hall


@dataclass(frozen=True)
class DemoSession:
    session: dict
    samples: list[dict]


@dataclass
class SeedCounts:
    inserted: int = 0
    duplicates: int = 0
    updated: int = 0


def _three_axis(sensor: str, times: np.ndarray, values: np.ndarray) -> list[dict]:
    rounded = np.round(values, 4).tolist()
    return [
        {"sensor_type": sensor, "timestamp": t, "data": {"x": x, "y": y, "z": z}}
        for t, (x, y, z) in zip(times.tolist(), rounded, strict=True)
    ]


def _walk(seconds: int, rng: np.random.Generator) -> DemoSession:
    start_ms = int(START.timestamp() * 1000)
    motion = start_ms + np.arange(seconds * 100, dtype=np.int64) * 10  # 100 Hz
    t = (motion - start_ms) / 1000.0
    step = 2 * np.pi * 1.8 * t  # 1.8 steps per second
    accel = np.column_stack(
        [0.8 * np.sin(step), 0.5 * np.cos(step / 2), 9.81 + 1.5 * np.sin(step)]
    ) + rng.normal(0, 0.05, (len(t), 3))
    for bump in np.linspace(0.2, 0.8, 3) * len(t):  # three kerbs stepped off
        accel[int(bump) : int(bump) + 15, 2] += 6.0
    gyro = np.column_stack(
        [0.3 * np.sin(step), 0.2 * np.sin(step / 2), np.full(len(t), 2 * np.pi / seconds)]
    ) + rng.normal(0, 0.01, (len(t), 3))
    fixes = start_ms + np.arange(seconds, dtype=np.int64) * 1000  # 1 Hz
    angle = np.linspace(0, 2 * np.pi, seconds)
    radius = LOOP_METRES / (2 * np.pi)
    lat = ORIGIN[0] + np.degrees(radius * np.sin(angle) / EARTH_RADIUS)
    lon = ORIGIN[1] + np.degrees(
        radius * (1 - np.cos(angle)) / (EARTH_RADIUS * np.cos(np.radians(ORIGIN[0])))
    )
    gps = [
        {
            "sensor_type": "gps",
            "timestamp": ts,
            "data": {"latitude": la, "longitude": lo, "altitude": 38.0, "accuracy": 4.0},
        }
        for ts, la, lo in zip(
            fixes.tolist(), np.round(lat, 7).tolist(), np.round(lon, 7).tolist(), strict=True
        )
    ]
    session = {
        "session_id": "demo-walk",
        "start_time": START.isoformat(),
        "end_time": (START + timedelta(seconds=seconds)).isoformat(),
        "enabled_sensors": ["accelerometer", "gyroscope", "gps"],
        "sample_rate": 100,
        "is_active": False,
        "notes": f"Demo: a {LOOP_METRES / 1000:g} km walk around the block",
    }
    samples = _three_axis("accelerometer", motion, accel) + _three_axis("gyroscope", motion, gyro)
    return DemoSession(session, samples + gps)


def _table(seconds: int, rng: np.random.Generator) -> DemoSession:
    start = START + timedelta(hours=2)
    start_ms = int(start.timestamp() * 1000)
    times = start_ms + np.arange(seconds * 100, dtype=np.int64) * 10
    accel = np.array([0.0, 0.0, 9.81]) + rng.normal(0, 0.003, (len(times), 3))
    session = {
        "session_id": "demo-table",
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(seconds=seconds)).isoformat(),
        "enabled_sensors": ["accelerometer"],
        "sample_rate": 100,
        "is_active": False,
        "notes": "Demo: phone lying still on a table",
    }
    return DemoSession(session, _three_axis("accelerometer", times, accel))


def demo_sessions(minutes: float) -> list[DemoSession]:
    """The demo recordings: a walk of `minutes` and a still phone of half as long."""
    rng = np.random.default_rng(20251113)
    seconds = max(2, int(minutes * 60))
    return [_walk(seconds, rng), _table(max(1, seconds // 2), rng)]


def demo_user(password: str) -> User:
    """The `demo` account, created on first use."""
    user = db.session.scalar(select(User).where(User.username == "demo"))
    if user is None:
        data = RegisterIn(username="demo", email="demo@example.com", password=password)
        user = register(data)
    return user


def _batches(demo: DemoSession) -> Iterator[PushRequest]:
    """Pushes of at most BATCH samples of a finished recording, as the phone uploads it."""
    for first in range(0, len(demo.samples), BATCH):
        yield PushRequest.model_validate(
            {"session": demo.session, "sensor_data": demo.samples[first : first + BATCH]}
        )


def seed_demo(
    password: str,
    sessions: list[DemoSession],
    progress: Callable[[int], None] = lambda _: None,
) -> SeedCounts:
    """Push the demo sessions for the demo user; `progress` hears of each batch's size."""
    user_id = demo_user(password).id
    limits = PushLimits.from_config(current_app.config)
    counts = SeedCounts()
    for demo in sessions:
        for request in _batches(demo):
            body = push(user_id, request, limits)
            counts.inserted += body["inserted"]
            counts.updated += body["updated"]
            counts.duplicates += body["duplicates"]
            progress(body["total_records"])
    return counts
