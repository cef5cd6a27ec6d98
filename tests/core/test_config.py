"""Configuration: URL normalisation, the signing keys (production guard, generated instance
keys), `flask init-db`."""

import json
import secrets
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_jwt_extended import create_access_token

from app import create_app
from app.secret_keys import instance_secret_keys, secret_key_problems
from config import normalise_database_url
from tests.conftest import settings_for_tests
from tests.server import ROOT


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


STRONG = "Zq8v-KJ2pW_4mXr7TbN1sYc3LdE6hGa9UfQ0oVi5"  # 40 random URL-safe characters
OTHER_STRONG = "p3N_x8QwLm2Vr6Ty0Kb-Hs4Zc9Jd1Ug7Fa5Eo8Wn"
NO_DATABASE = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.mark.parametrize(
    "keys, reason",
    [
        ({"SECRET_KEY": None, "JWT_SECRET_KEY": OTHER_STRONG}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": STRONG, "JWT_SECRET_KEY": None}, "JWT_SECRET_KEY is not set"),
        ({"SECRET_KEY": "dev-secret-change-me", "JWT_SECRET_KEY": OTHER_STRONG}, "shorter"),
        ({"SECRET_KEY": "x" * 64, "JWT_SECRET_KEY": OTHER_STRONG}, "does not look random"),
        ({"SECRET_KEY": STRONG, "JWT_SECRET_KEY": "ab" * 40}, "does not look random"),
        ({"SECRET_KEY": STRONG, "JWT_SECRET_KEY": "abcdefgh" * 4}, "does not look random"),
        ({"SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG}, "the same value"),
    ],
)
def test_production_refuses_missing_short_guessable_or_shared_keys(keys, reason):
    with pytest.raises(RuntimeError, match=reason):
        create_app("production", keys | NO_DATABASE)


@pytest.mark.parametrize("generate", [lambda: secrets.token_urlsafe(48), secrets.token_hex])
def test_production_starts_with_generated_keys(generate):
    keys = {"SECRET_KEY": generate(), "JWT_SECRET_KEY": generate()}
    app = create_app("production", keys | NO_DATABASE)
    assert app.config["APP_ENV"] == "production"
    assert app.config["JWT_SECRET_KEY"] == keys["JWT_SECRET_KEY"]


def test_production_never_takes_keys_from_the_instance_file(tmp_path):
    path = tmp_path / "secret_keys.json"
    instance_secret_keys(path)  # a valid file, as a development run would have left
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(
            "production",
            {"SECRET_KEY": None, "JWT_SECRET_KEY": None, "SECRET_KEYS_FILE": str(path)}
            | NO_DATABASE,
        )


def _app_without_keys(path: Path):
    """An app whose keys are config.py's defaults, as on a fresh install (nothing set)."""
    settings = settings_for_tests() | {"SECRET_KEYS_FILE": str(path)}
    del settings["SECRET_KEY"], settings["JWT_SECRET_KEY"]
    return create_app("testing", settings)


def test_unconfigured_keys_are_generated_once_and_kept_in_a_private_file(tmp_path):
    path = tmp_path / "instance" / "secret_keys.json"
    first = _app_without_keys(path).config
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["SECRET_KEY"] != first["JWT_SECRET_KEY"]
    assert secret_key_problems(first) == []  # as strong as production requires
    restarted = _app_without_keys(path).config  # tokens survive a restart
    assert (restarted["SECRET_KEY"], restarted["JWT_SECRET_KEY"]) == (
        first["SECRET_KEY"],
        first["JWT_SECRET_KEY"],
    )
    elsewhere = _app_without_keys(tmp_path / "other.json").config  # never a constant
    assert elsewhere["JWT_SECRET_KEY"] != first["JWT_SECRET_KEY"]
    assert [p.name for p in path.parent.iterdir()] == ["secret_keys.json"]  # no temporary left


def test_a_token_forged_with_a_key_from_the_source_is_refused(client, register, tmp_path):
    """A new install without configured keys used to sign with a constant from config.py."""
    user = register().user
    app = _app_without_keys(tmp_path / "secret_keys.json")

    def token_signed_with(key: str) -> str:
        forger = create_app("testing", settings_for_tests() | {"JWT_SECRET_KEY": key})
        with forger.app_context():
            return create_access_token(identity=str(user["id"]))

    served = app.test_client()
    forged = token_signed_with("dev-secret-change-me")
    reply = served.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert reply.status_code == 401 and reply.is_json
    genuine = token_signed_with(app.config["JWT_SECRET_KEY"])  # the same forging, right key
    reply = served.get("/api/auth/me", headers={"Authorization": f"Bearer {genuine}"})
    assert reply.status_code == 200, reply.json


_RACER = """
import json, sys, time
from pathlib import Path
from app.secret_keys import instance_secret_keys
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(json.dumps(instance_secret_keys(Path(sys.argv[1]))))
"""


def test_processes_starting_together_end_up_with_the_same_keys(tmp_path):
    """`make run` starts the web server, a Celery worker and Beat at once."""
    path, go = tmp_path / "secret_keys.json", tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(path), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    time.sleep(2)  # every racer is importing or waiting
    go.touch()
    results = [json.loads(racer.communicate(timeout=60)[0]) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    assert len({json.dumps(result, sort_keys=True) for result in results}) == 1
    assert results[0] == json.loads(path.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "secret_keys.json"]


def test_a_damaged_key_file_is_an_error_that_says_what_to_do(tmp_path):
    path = tmp_path / "secret_keys.json"
    path.write_text("{}")
    with pytest.raises(RuntimeError, match="delete the file"):
        instance_secret_keys(path)


def test_unknown_app_env_is_an_error():
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app("staging")


def test_init_db_is_safe_to_run_twice(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "latest migration" in result.output
