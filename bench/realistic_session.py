"""A realistic one-hour recording as a phone delivers it, for the storage benchmarks.

Accelerometer, gyroscope and magnetometer at 100 Hz and GPS at 1 Hz. The values are what
Android hands the app: a physical signal (gravity and the Earth's field seen by a phone that
is turned, walked with and carried in a vehicle, plus the motion itself), sensor noise,
quantised to the sensor's resolution in float32 and, for the gyroscope and magnetometer,
corrected by a float32 calibration offset — so the values lie on no grid a codec could exploit
and every one is float32-exact once converted to float64. Timestamps are milliseconds from
each sensor's own clock (slightly off 100 Hz, with jitter), as the app reports them. GPS fixes
carry 7-decimal coordinates, an altitude in metres (0.1 m), and float32 accuracy and speed.

The signals are built with numpy from a fixed seed: the same corpus every run.

    from realistic_session import one_hour
    corpus = one_hour()   # {"accelerometer": [(timestamp, data), ...], ..., "gps": [...]}
"""

from __future__ import annotations

import numpy as np

START_MS = 1_763_020_800_000  # 2025-11-13 08:00 UTC
RATE_HZ = 100
GRAVITY = 9.80665
# The Earth's field in the world frame (x east, y north, z up), µT: Seoul-like inclination.
EARTH_FIELD = np.array([0.0, 30.0, -40.0])
ORIGIN = (37.5665123, 126.9780456)
EARTH_RADIUS = 6_371_000.0

# (resolution, noise σ) per sensor: an LSM6DSx-class IMU at ±8 g and ±2000 dps, an
# AK09918-class magnetometer; the noise includes a little mechanical vibration.
ACCEL = (0.0023942017, 0.012)
GYRO = (0.0010652645, 0.0009)
MAGNET = (0.15, 0.35)

ACTIVITIES = ("table", "walk", "vehicle", "walk", "table", "vehicle", "walk")


def one_hour(seconds: int = 3600, seed: int = 20251113) -> dict[str, list[tuple[int, dict]]]:
    """The samples of one recording session, per sensor type, sorted by timestamp."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * RATE_HZ) / RATE_HZ
    motion = _motion(t, rng)
    accel = _quantised(motion["accel"], ACCEL, rng, offset=None)
    gyro = _quantised(motion["gyro"], GYRO, rng, offset=rng.normal(0, 0.002, 3))
    magnet = _quantised(motion["magnet"], MAGNET, rng, offset=rng.normal(0, 4.0, 3))
    return {
        "accelerometer": _xyz(_clock(len(t), rng), accel),
        "gyroscope": _xyz(_clock(len(t), rng), gyro),
        "magnetometer": _xyz(_clock(len(t), rng), magnet),
        "gps": _gps(seconds, motion, rng),
    }


def _activity_of(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index into ACTIVITIES for every instant: segments of 4 to 12 minutes."""
    bounds = np.cumsum(rng.uniform(240, 720, len(ACTIVITIES)))
    bounds *= t[-1] / bounds[-1]
    return np.minimum(np.searchsorted(bounds, t), len(ACTIVITIES) - 1)


def _smooth_noise(n: int, rng: np.random.Generator, scale: float, window: int) -> np.ndarray:
    """Smooth random signal with standard deviation `scale`: white noise through two moving
    averages (a triangular filter), so that its derivative is smooth too."""
    kernel = np.convolve(np.ones(window), np.ones(window)) / window**2
    smooth = np.convolve(rng.normal(0, 1, n + 2 * window), kernel, mode="valid")[:n]
    return smooth * (scale / smooth.std())


def _motion(t: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Orientation, linear acceleration and what the three sensors see, in the phone's frame."""
    n = len(t)
    kind = np.array(ACTIVITIES)[_activity_of(t, rng)]
    walking, riding = kind == "walk", kind == "vehicle"
    cadence = 2 * np.pi * 1.85 * t + rng.uniform(0, 2 * np.pi)
    heading = np.cumsum(_smooth_noise(n, rng, 0.0015, 300)) + 0.3 * riding * np.sin(t / 40)
    pitch = np.where(kind == "table", 0.0, -0.5) + _smooth_noise(n, rng, 0.05, 200)
    pitch += walking * 0.03 * np.sin(cadence)
    roll = _smooth_noise(n, rng, 0.04, 200) + walking * 0.03 * np.sin(cadence / 2)
    still = kind == "table"
    pitch[still], roll[still] = 0.01, -0.02  # lying flat on the table
    forward = walking * (0.9 * np.sin(cadence + 0.6)) + riding * _smooth_noise(n, rng, 0.8, 400)
    lateral = walking * 0.5 * np.sin(cadence / 2) + riding * _smooth_noise(n, rng, 0.3, 100)
    vertical = walking * (2.4 * np.sin(cadence) + 0.8 * np.sin(2 * cadence + 1.0))
    vertical += riding * _smooth_noise(n, rng, 0.35, 3)  # road vibration
    world_accel = np.column_stack([lateral, forward, vertical + GRAVITY])
    rotation = _rotations(roll, pitch, heading)

    def body(world: np.ndarray) -> np.ndarray:
        return np.einsum("nji,nj->ni", rotation, world)  # Rᵀ·v at every instant

    # Euler angle rates stand in for the body rates: close enough for angles this small.
    rates = np.gradient(np.column_stack([roll, pitch, heading]), t, axis=0)
    disturbance = riding[:, None] * _smooth_noise(n, rng, 3.0, 500)[:, None]
    return {
        "accel": body(world_accel),
        "gyro": rates,
        "magnet": body(np.broadcast_to(EARTH_FIELD, (n, 3))) + disturbance,
        "heading": heading,
        "speed": walking * 1.4 + riding * (9.0 + _smooth_noise(n, rng, 2.0, 1000)),
    }


def _rotations(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotation matrices phone → world (Z-Y-X Euler angles), one per instant."""
    cr, sr = np.cos(roll), np.sin(roll)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cy, sy = np.cos(yaw), np.sin(yaw)
    return np.stack(
        [
            np.stack([cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr], -1),
            np.stack([sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr], -1),
            np.stack([-sp, cp * sr, cp * cr], -1),
        ],
        -2,
    )


def _quantised(
    signal: np.ndarray, sensor: tuple[float, float], rng: np.random.Generator, offset
) -> np.ndarray:
    """What the driver reports: ADC counts × resolution in float32, minus a calibration."""
    resolution, noise = sensor
    counts = np.round((signal + rng.normal(0, noise, signal.shape)) / resolution)
    values = counts.astype(np.float32) * np.float32(resolution)
    if offset is not None:
        values = values - offset.astype(np.float32)
    return values


def _clock(n: int, rng: np.random.Generator) -> np.ndarray:
    """Millisecond timestamps of a sensor running slightly off 100 Hz, with jitter."""
    period_ms = 1000 / RATE_HZ * (1 + rng.uniform(-0.003, 0.003))
    exact = START_MS + np.arange(n) * period_ms + rng.normal(0, 0.25, n)
    return np.maximum.accumulate(np.floor(exact).astype(np.int64) - np.arange(n)) + np.arange(n)


def _xyz(times: np.ndarray, values: np.ndarray) -> list[tuple[int, dict]]:
    """(timestamp, {"x", "y", "z"}) with the float32 values as the float64 JSON carries them."""
    rows = values.astype(np.float64).tolist()
    return [
        (ts, {"x": x, "y": y, "z": z}) for ts, (x, y, z) in zip(times.tolist(), rows, strict=True)
    ]


def _gps(seconds: int, motion: dict[str, np.ndarray], rng: np.random.Generator) -> list:
    """1 Hz fixes along the path the motion implies, with GNSS noise."""
    at = np.arange(seconds) * RATE_HZ
    speed, heading = motion["speed"][at], motion["heading"][at]
    north, east = np.cumsum(speed * np.cos(heading)), np.cumsum(speed * np.sin(heading))
    north += np.cumsum(rng.normal(0, 0.3, seconds))
    east += np.cumsum(rng.normal(0, 0.3, seconds))
    lat = ORIGIN[0] + np.degrees(north / EARTH_RADIUS)
    lon = ORIGIN[1] + np.degrees(east / (EARTH_RADIUS * np.cos(np.radians(ORIGIN[0]))))
    altitude = 38.0 + np.cumsum(rng.normal(0, 0.05, seconds)) + rng.normal(0, 1.5, seconds)
    accuracy = np.clip(rng.gamma(4.0, 1.0, seconds), 1.0, None).astype(np.float32)
    reported = np.clip(speed + rng.normal(0, 0.2, seconds), 0, None).astype(np.float32)
    times = START_MS + np.arange(seconds) * 1000 + rng.integers(-40, 40, seconds)
    columns = zip(
        times.tolist(),
        np.round(lat, 7).tolist(),
        np.round(lon, 7).tolist(),
        np.round(altitude, 1).tolist(),
        accuracy.astype(np.float64).tolist(),
        reported.astype(np.float64).tolist(),
        strict=True,
    )
    return [
        (ts, {"latitude": la, "longitude": lo, "altitude": al, "accuracy": ac, "speed": sp})
        for ts, la, lo, al, ac, sp in columns
    ]
