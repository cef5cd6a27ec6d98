"""Configuration: URL normalisation, the production secret guard, `flask init-db`."""

import pytest

from app import create_app
from config import DEFAULT_SECRET, normalise_database_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg2://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg2(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize(
    "secrets",
    [
        {"SECRET_KEY": DEFAULT_SECRET, "JWT_SECRET_KEY": "x" * 40},
        {"SECRET_KEY": "x" * 40, "JWT_SECRET_KEY": DEFAULT_SECRET},
        {"SECRET_KEY": "short", "JWT_SECRET_KEY": "x" * 40},
    ],
)
def test_production_refuses_default_or_weak_secrets(secrets):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", secrets | {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_real_secrets():
    app = create_app(
        "production",
        {
            "SECRET_KEY": "s" * 40,
            "JWT_SECRET_KEY": "j" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        },
    )
    assert app.config["APP_ENV"] == "production"


def test_unknown_app_env_is_an_error():
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app("staging")


def test_init_db_is_safe_to_run_twice(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "latest migration" in result.output
