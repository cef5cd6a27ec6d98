"""Application configuration: defaults here, overrides from the environment and `.env`.

`create_app()` picks a class by `APP_ENV` (development, testing, production); tests pass an
override mapping on top. Nothing else in the code reads the environment.
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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    REDIS_URL = _redis_url()
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", _redis_url() or "sqla+" + _sqlite_url("broker.db"))
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", _redis_url() or "db+" + _sqlite_url("results.db")
    )

    # Request limits. MAX_CONTENT_LENGTH also caps a gzip body after decompression.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)
    MAX_SAMPLES_PER_PUSH = env_int("MAX_SAMPLES_PER_PUSH", 50_000)
    MAX_ERROR_DETAILS = 100

    # Deleted sessions are reported to pulls for this long; older syncs need a full resync.
    TOMBSTONE_RETENTION_DAYS = env_int("TOMBSTONE_RETENTION_DAYS", 90)

    UPLOAD_FOLDER = env("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))

    # Background work (app/tasks, app/analyses, app/uploads) -- see docs/celery.md.
    ANALYSIS_ON_CLOSE = env_bool("ANALYSIS_ON_CLOSE", True)  # enqueue when a push closes
    ANALYSIS_DELAY_SECONDS = env_int("ANALYSIS_DELAY_SECONDS", 30)  # let batches settle first
    MAX_TASK_DELIVERIES = env_int("MAX_TASK_DELIVERIES", 3)  # then a task is given up
    MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
    MAX_UPLOAD_DECOMPRESSED_BYTES = env_int("MAX_UPLOAD_DECOMPRESSED_BYTES", 4 * 1024**3)
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
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "20 per minute")  # per client IP
    LOGIN_FAILURE_RATE_LIMIT = env("LOGIN_FAILURE_RATE_LIMIT", "5 per minute")  # per username
    REGISTER_RATE_LIMIT = env("REGISTER_RATE_LIMIT", "10 per minute")  # per client IP
    REFRESH_RATE_LIMIT = env("REFRESH_RATE_LIMIT", "30 per minute")  # per client IP
    PUSH_RATE_LIMIT = env("PUSH_RATE_LIMIT", "600 per minute")  # per user
    PULL_RATE_LIMIT = env("PULL_RATE_LIMIT", "600 per minute")  # per user

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
