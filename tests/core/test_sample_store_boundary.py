"""The sample store (app/recordings/samples/) is the only code that reads or writes samples, so
a new storage layout has one place to change (ARCHITECTURE.md)."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
STORE = APP / "recordings" / "samples"
# The table in SQL text, or its ORM class; the JSON key "sensor_data" of a push is not either.
_TOUCHES_SAMPLES = re.compile(r"\b(FROM|JOIN|INTO|UPDATE|COPY)\s+sensor_data\b|\bSensorData\b")


def _touching(root: Path) -> list[str]:
    return [
        str(path.relative_to(APP))
        for path in sorted(root.rglob("*.py"))
        if _TOUCHES_SAMPLES.search(path.read_text())
    ]


def test_only_the_sample_store_and_the_models_touch_sensor_data():
    outside = [
        name for name in _touching(APP) if not name.startswith(("recordings/samples/", "models/"))
    ]
    assert outside == []


def test_the_pattern_finds_the_store_itself():
    assert "recordings/samples/writing.py" in _touching(STORE.parent.parent)
