"""Application configuration: defaults here, overrides from the environment and `.env`.

`create_app()` picks a class by `APP_ENV` (development, testing, production); tests pass an
override mapping on top. Nothing else in the code reads the environment: gunicorn_config.py
takes its GUNICORN_* settings through `env()` too.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with empty strings treated as unset."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return env(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Map plain `postgres://` / `postgresql://` URLs to the psycopg2 driver we ship.

    SQLAlchemy 2.1 would otherwise pick psycopg 3, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def _redis_url() -> str | None:
    return env("REDIS_URL")


class Config:
    """Defaults: the embedded setup (SQLite file + SQLAlchemy-backed Celery broker)."""

    APP_ENV = "development"
    # Signing keys. Production requires both, random and different (app/secret_keys.py);
    # elsewhere a missing one is generated once and kept in SECRET_KEYS_FILE (mode 0600).
    SECRET_KEY = env("SECRET_KEY")
    JWT_SECRET_KEY = env("JWT_SECRET_KEY")
    SECRET_KEYS_FILE = env("SECRET_KEYS_FILE", str(INSTANCE_DIR / "secret_keys.json"))
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_TOKEN_MINUTES", 60))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_TOKEN_DAYS", 30))
    # The API reads bearer headers; the dashboard keeps its access token in an HttpOnly cookie.
    # Requests that change state with the cookie must echo its CSRF value (double submit):
    # the X-CSRF-TOKEN header, or the csrf_token field of a dashboard form.
    JWT_TOKEN_LOCATION = ["headers", "cookies"]
    JWT_ACCESS_COOKIE_NAME = "koodtx_access"
    JWT_ACCESS_CSRF_COOKIE_NAME = "koodtx_csrf"
    JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", False)  # True in production (HTTPS)
    JWT_COOKIE_SAMESITE = "Lax"
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_CSRF_CHECK_FORM = True

    SQLALCHEMY_DATABASE_URI = normalise_database_url(env("DATABASE_URL", _sqlite_url("koodtx.db")))
    # Connections are tested before use after sitting idle (app/database.py), not every time.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    REDIS_URL = _redis_url()
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", _redis_url() or "sqla+" + _sqlite_url("broker.db"))
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", _redis_url() or "db+" + _sqlite_url("results.db")
    )

    # Request limits. MAX_CONTENT_LENGTH also caps a gzip body after decompression.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
    MAX_SAMPLES_PER_PUSH = env_int("MAX_SAMPLES_PER_PUSH", 50_000)
    MAX_ERROR_DETAILS = 100
    # Top-level keys of sample `data` become columns of exports and analyses, so they are
    # bounded: per sample, in length (characters, at most 255), and distinct per session and
    # sensor type. Readers take at most MAX_SESSION_SENSOR_KEYS columns.
    MAX_SAMPLE_KEYS = env_int("MAX_SAMPLE_KEYS", 64)
    MAX_SAMPLE_KEY_LENGTH = env_int("MAX_SAMPLE_KEY_LENGTH", 64)
    MAX_SESSION_SENSOR_KEYS = env_int("MAX_SESSION_SENSOR_KEYS", 256)

    # Deleted sessions are reported to pulls for this long; older syncs need a full resync.
    TOMBSTONE_RETENTION_DAYS = env_int("TOMBSTONE_RETENTION_DAYS", 90)

    UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    # Audio recordings of sessions (app/audio): kept under this folder, at most this large.
    AUDIO_FOLDER = env("AUDIO_FOLDER", str(INSTANCE_DIR / "audio"))
    MAX_AUDIO_BYTES = env_int("MAX_AUDIO_BYTES", 200 * 1024 * 1024)
    # Resumable uploads of the app (app/chunked): parts per upload, uploads open per user,
    # hours an unfinished one is kept. The assembled file obeys MAX_UPLOAD_BYTES (sensor
    # files) or MAX_AUDIO_BYTES (audio).
    CHUNKED_UPLOAD_MAX_CHUNKS = env_int("CHUNKED_UPLOAD_MAX_CHUNKS", 2048)
    CHUNKED_UPLOAD_MAX_PENDING = env_int("CHUNKED_UPLOAD_MAX_PENDING", 10)
    CHUNKED_UPLOAD_EXPIRY_HOURS = env_int("CHUNKED_UPLOAD_EXPIRY_HOURS", 24)

    # Background work (app/tasks, app/analyses, app/uploads) -- see docs/celery.md.
    ANALYSIS_ON_CLOSE = env_bool("ANALYSIS_ON_CLOSE", True)  # enqueue when a push closes
    ANALYSIS_DELAY_SECONDS = env_int("ANALYSIS_DELAY_SECONDS", 30)  # let batches settle first
    # The sweep leaves sessions closed more recently than this to the push hook above (longer
    # than ANALYSIS_DELAY_SECONDS); the system tests shorten it to see the sweep work.
    ANALYSIS_SWEEP_GRACE_SECONDS = env_int("ANALYSIS_SWEEP_GRACE_SECONDS", 300)
    MAX_TASK_DELIVERIES = env_int("MAX_TASK_DELIVERIES", 3)  # then a task is given up
    # Closed sessions move from rows into compressed chunks (docs/storage.md): after a close,
    # once the batches settled, and by a sweep for closed and idle sessions.
    COMPACTION_ON_CLOSE = env_bool("COMPACTION_ON_CLOSE", True)
    COMPACTION_DELAY_SECONDS = env_int("COMPACTION_DELAY_SECONDS", 60)
    COMPACTION_IDLE_MINUTES = env_int("COMPACTION_IDLE_MINUTES", 120)
    # A push's group of at least this many samples of one sensor type, all later than what
    # the session holds, is written straight as a chunk (0 turns that off).
    APPEND_CHUNK_MIN_SAMPLES = env_int("APPEND_CHUNK_MIN_SAMPLES", 1000)
    MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
    # About a day of 3 sensors at 100 Hz as CSV (25.9 M rows: 1.1 GiB with short readings, 2.0
    # with full float precision), and what 512 MiB of gzip of noisy readings decodes to (3-4x).
    MAX_UPLOAD_DECOMPRESSED_BYTES = env_int("MAX_UPLOAD_DECOMPRESSED_BYTES", 2 * 1024**3)
    # Sensor recordings inflate at most ~140x (constant readings, 64 fields); bombs 300-1000x.
    MAX_UPLOAD_COMPRESSION_RATIO = env_int("MAX_UPLOAD_COMPRESSION_RATIO", 200)
    # An import stops (failed) once more lines than this are invalid, blank or repeated, and
    # more than half of those read: such a file is not a recording.
    UPLOAD_MAX_INVALID_LINES = env_int("UPLOAD_MAX_INVALID_LINES", 10_000)
    UPLOAD_MAX_PENDING = env_int("UPLOAD_MAX_PENDING", 10)  # per user: imports queued or running
    UPLOAD_QUOTA_BYTES = env_int("UPLOAD_QUOTA_BYTES", 2 * 1024**3)  # per user: files kept
    UPLOAD_CHUNK_SAMPLES = env_int("UPLOAD_CHUNK_SAMPLES", 5000)
    CELERY_OVERRIDES: dict = {}  # merged last into the Celery settings (tests, tuning)
    LOG_LEVEL = env("LOG_LEVEL", "INFO")
    JSON_LOGS = env_bool("JSON_LOGS", True)

    # Abuse protection (Flask-Limiter). Limits use its syntax ("5 per minute; 100 per hour").
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", _redis_url() or "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # a Redis outage must not take the API down
    # ... nor a hung one slow every request down (the in-memory storage ignores these)
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    # Sign-in (API and dashboard together; who counts against whom: app/auth/limits.py).
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "20 per minute")  # attempts per client address
    # failed sign-ins per username and client address
    LOGIN_FAILURE_RATE_LIMIT = env("LOGIN_FAILURE_RATE_LIMIT", "5 per minute")
    # failed sign-ins per client address, any username; and per username, any address. Both
    # spare a username signing in from an address it signed in from within the days below.
    LOGIN_ADDRESS_FAILURE_RATE_LIMIT = env("LOGIN_ADDRESS_FAILURE_RATE_LIMIT", "30 per hour")
    LOGIN_USERNAME_FAILURE_RATE_LIMIT = env("LOGIN_USERNAME_FAILURE_RATE_LIMIT", "100 per hour")
    LOGIN_KNOWN_ADDRESS_DAYS = env_int("LOGIN_KNOWN_ADDRESS_DAYS", 30)
    REGISTER_RATE_LIMIT = env("REGISTER_RATE_LIMIT", "10 per minute")  # per client address
    # "that username/email is already registered" (409) answers per client address
    REGISTER_CONFLICT_RATE_LIMIT = env("REGISTER_CONFLICT_RATE_LIMIT", "10 per hour")
    REFRESH_RATE_LIMIT = env("REFRESH_RATE_LIMIT", "30 per minute")  # per client IP
    PUSH_RATE_LIMIT = env("PUSH_RATE_LIMIT", "600 per minute")  # per user
    PULL_RATE_LIMIT = env("PULL_RATE_LIMIT", "600 per minute")  # per user
    # Expensive reads and background work, per user. A session page of the dashboard fetches
    # one series per sensor plus the GPS track; bulk downloads belong to exports.
    ANALYSIS_RATE_LIMIT = env("ANALYSIS_RATE_LIMIT", "10 per minute")  # API and dashboard
    UPLOAD_RATE_LIMIT = env("UPLOAD_RATE_LIMIT", "10 per minute")
    AUDIO_RATE_LIMIT = env("AUDIO_RATE_LIMIT", "60 per minute")  # the app's audio uploads
    CHUNK_RATE_LIMIT = env("CHUNK_RATE_LIMIT", "600 per minute")  # parts of resumable uploads
    EXPORT_RATE_LIMIT = env("EXPORT_RATE_LIMIT", "30 per minute")
    SERIES_RATE_LIMIT = env("SERIES_RATE_LIMIT", "120 per minute")  # series and track together
    DATA_RATE_LIMIT = env("DATA_RATE_LIMIT", "300 per minute")  # pages of up to 10,000 samples

    # gunicorn (app/web/serving.py): a client socket that sends nothing this long is dropped.
    GUNICORN_CLIENT_TIMEOUT = float(env("GUNICORN_CLIENT_TIMEOUT", "10"))
    # Several gunicorn workers share their metrics through files in this (empty) directory.
    PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")

    # Deployment behind proxies / browsers
    PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)  # trusted X-Forwarded-* hops; 0 = none
    CORS_ORIGINS = env("CORS_ORIGINS", "")  # comma-separated; empty = no CORS headers

    # Who may read /metrics (app/observability/metrics_access.py): these networks (CIDR,
    # comma-separated, or "none"; the loopback by default), or anyone with the bearer token.
    METRICS_ALLOWED_NETWORKS = env("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    METRICS_TOKEN = env("METRICS_TOKEN")

    # Flower (flowerconfig.py): this machine only unless set; it refuses to start without a
    # password, since it can revoke tasks and shows their arguments.
    FLOWER_ADDRESS = env("FLOWER_ADDRESS", "127.0.0.1")
    FLOWER_PORT = env_int("FLOWER_PORT", 5555)
    FLOWER_BASIC_AUTH = env("FLOWER_BASIC_AUTH")  # user:password[,user2:password2]


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        env("TEST_DATABASE_URL", _sqlite_url("test.db"))
    )
    REDIS_URL = env("TEST_REDIS_URL")


class ProductionConfig(Config):
    APP_ENV = "production"
    JWT_COOKIE_SECURE = env_bool("JWT_COOKIE_SECURE", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """The config class for `name`, or for `APP_ENV` when no name is given."""
    name = name or env("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
