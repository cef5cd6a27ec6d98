"""The frame every analysis takes, and its one preparation.

Input is a long frame with ``sensor_type`` (str), ``timestamp`` (int64 ms since epoch) and one
float column per data field (NaN where a sensor lacks the field).  Rows may be unsorted.  Every
public function of this package returns plain JSON-serialisable Python values (NaN/inf become
``None``) and copes with empty and single-row frames.  Work is done on whole numpy arrays: rows
are grouped once by sensor type (stable radix sort) so each sensor is a contiguous slice; Python
loops only run over sensor types and fields, never over samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

RESERVED_COLUMNS = ("sensor_type", "timestamp")
_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}


def num(value: Any) -> float | None:
    """Plain float for JSON output; ``None`` for missing, NaN or infinite values."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"sensor_type": pd.Series([], dtype="str"), "timestamp": pd.Series([], dtype="int64")}
    )


def _numeric_fields(fields: pd.DataFrame) -> pd.DataFrame:
    """Keep numeric (non-bool) columns as float64; object columns only if purely numeric."""
    keep: dict[str, pd.Series] = {}
    for col in fields.columns:
        name = str(col)
        series = fields[col]
        if name in RESERVED_COLUMNS or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_numeric_dtype(series):
            keep[name] = series.astype("float64")
        elif pd.api.types.infer_dtype(series, skipna=True) in _NUMERIC_INFERRED:
            keep[name] = pd.to_numeric(series, errors="coerce").astype("float64")
    return pd.DataFrame(keep, index=fields.index)


def frame_from_records(records: Iterable[tuple[str, int, dict]]) -> pd.DataFrame:
    """Build the analysis frame from ``(sensor_type, timestamp_ms, data_dict)`` tuples.

    Nested dicts are flattened with dotted names; bools, strings, lists and mixed-type fields
    are dropped; rows with a missing sensor type or timestamp are discarded.
    """
    rows = list(records)
    if not rows:
        return _empty_frame()
    sensor_types, timestamps, data = zip(*rows, strict=True)
    fields = pd.json_normalize([d if isinstance(d, Mapping) else {} for d in data])
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "sensor_type": pd.Series(sensor_types, dtype="str"),
                    "timestamp": pd.to_numeric(pd.Series(timestamps), errors="coerce"),
                }
            ),
            _numeric_fields(fields),
        ],
        axis=1,
    )
    frame = frame[frame["sensor_type"].notna() & frame["timestamp"].notna()]
    frame = frame.reset_index(drop=True)
    frame["timestamp"] = frame["timestamp"].astype("int64")
    return frame


@dataclass(frozen=True)
class Prepared:
    """Rows grouped by sensor (original order kept inside a group); sensor ``g`` is ``seg(g)``."""

    names: list[str]
    ts: np.ndarray  # (n,) int64
    values: np.ndarray  # (fields, n) float64, one contiguous row per field
    columns: list[str]
    bounds: np.ndarray  # (groups + 1,) segment boundaries

    @property
    def n(self) -> int:
        return int(self.ts.size)

    def seg(self, g: int) -> slice:
        return slice(int(self.bounds[g]), int(self.bounds[g + 1]))

    def col(self, name: str) -> int | None:
        return self.columns.index(name) if name in self.columns else None


def prepare(samples: pd.DataFrame | None) -> Prepared:
    """Validate, drop unusable rows and group rows by sensor type with one radix sort."""
    if samples is None or len(samples) == 0 or not set(RESERVED_COLUMNS) <= set(samples.columns):
        return Prepared([], np.empty(0, np.int64), np.empty((0, 0)), [], np.zeros(1, np.int64))
    labels = [
        c
        for c in samples.columns
        if c not in RESERVED_COLUMNS
        and pd.api.types.is_numeric_dtype(samples[c])
        and not pd.api.types.is_bool_dtype(samples[c])
    ]
    ts_float = pd.to_numeric(samples["timestamp"], errors="coerce").to_numpy(dtype="float64")
    codes, uniques = pd.factorize(samples["sensor_type"], sort=True)
    keep = (codes >= 0) & np.isfinite(ts_float)
    values = samples[labels].to_numpy(dtype="float64", na_value=np.nan).T
    if not keep.all():
        codes, uniques = pd.factorize(samples["sensor_type"][keep], sort=True)
        ts_float, values = ts_float[keep], values[:, keep]
    small = codes.astype(np.int16) if len(uniques) < 2**15 else codes
    order = np.argsort(small, kind="stable")  # radix sort: groups rows, keeps their order
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))].astype(np.int64)
    return Prepared(
        names=[str(u) for u in uniques],
        ts=ts_float.astype(np.int64)[order],
        values=np.take(values, order, axis=1),
        columns=[str(c) for c in labels],
        bounds=bounds,
    )


def fields_dict(p: Prepared, g: int, ptp: bool) -> dict[str, dict[str, float | None]]:
    """mean/std(ddof=1)/min/max (and optionally peak-to-peak) of each field present in ``g``."""
    out: dict[str, dict[str, float | None]] = {}
    for j, name in enumerate(p.columns):
        x = p.values[j, p.seg(g)]
        finite = np.isfinite(x)
        n = int(np.count_nonzero(finite))
        if n == 0:
            continue
        if n < x.size:
            x = x[finite]
        lo, hi = x.min(), x.max()
        entry = {
            "mean": num(x.mean()),
            "std": num(x.std(ddof=1)) if n > 1 else None,
            "min": num(lo),
            "max": num(hi),
        }
        if ptp:
            entry["peak_to_peak"] = num(hi - lo)
        out[name] = entry
    return out
