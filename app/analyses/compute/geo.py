"""Vectorised great-circle distances for GPS tracks (haversine on a spherical Earth)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> float | np.ndarray:
    """Great-circle distance in metres between points given in degrees (scalars or arrays)."""
    phi1 = np.radians(np.asarray(lat1, dtype=float))
    phi2 = np.radians(np.asarray(lat2, dtype=float))
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2.0) ** 2
    dist = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(dist) if np.ndim(dist) == 0 else dist


def path_distance_m(lat: ArrayLike, lon: ArrayLike) -> float:
    """Total length in metres of an ordered track, skipping fixes with NaN/inf coordinates."""
    lat_a = np.asarray(lat, dtype=float).ravel()
    lon_a = np.asarray(lon, dtype=float).ravel()
    valid = np.isfinite(lat_a) & np.isfinite(lon_a)
    lat_a, lon_a = lat_a[valid], lon_a[valid]
    if lat_a.size < 2:
        return 0.0
    legs = haversine_m(lat_a[:-1], lon_a[:-1], lat_a[1:], lon_a[1:])
    return float(np.sum(legs))
