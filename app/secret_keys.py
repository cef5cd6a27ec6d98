"""The two signing keys: `SECRET_KEY` (Flask: dashboard form CSRF) and `JWT_SECRET_KEY` (API
and dashboard tokens).

Production takes them from the environment only and refuses to start with a missing, short,
guessable or shared one. Elsewhere a key that is not configured is generated once, at random,
and kept in `SECRET_KEYS_FILE` (instance/secret_keys.json, mode 0600), so tokens survive a
restart and no key is ever a constant from the source.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import MutableMapping
from pathlib import Path

KEY_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY")
MIN_LENGTH = 32
MIN_BITS_PER_CHARACTER = 3.0  # as if drawn from at least 8 equally likely characters
MIN_TOTAL_BITS = 128.0
GENERATE_HINT = "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def estimated_entropy_bits(value: str) -> tuple[float, float]:
    """(bits per character, total bits) by the Shannon entropy of the character frequencies.

    It cannot recognise every non-random string (a keyboard walk scores well), but it reliably
    catches what people type in place of a key: repeated characters, a short alphabet, a short
    value. A random key of 64 URL-safe characters scores about 350 bits; the bound is 128.
    """
    if not value:
        return 0.0, 0.0
    size = len(value)
    per_character = sum(n / size * math.log2(size / n) for n in Counter(value).values())
    return per_character, per_character * size


def secret_problems(name: str, value: str | None) -> list[str]:
    """Why `value` is not fit to be a production secret (empty list when it is)."""
    per_character, total = estimated_entropy_bits(value or "")
    if not value:
        return [f"{name} is not set"]
    if len(value) < MIN_LENGTH:
        return [f"{name} is shorter than {MIN_LENGTH} characters"]
    if per_character < MIN_BITS_PER_CHARACTER or total < MIN_TOTAL_BITS:
        return [
            f"{name} does not look random ({total:.0f} bits estimated, {per_character:.1f} per "
            f"character; at least {MIN_TOTAL_BITS:.0f} and {MIN_BITS_PER_CHARACTER:.0f} are "
            "required)"
        ]
    return []


def secret_key_problems(config: MutableMapping) -> list[str]:
    """Why the configured signing keys are not fit for production (empty list when they are)."""
    problems = [
        problem for name in KEY_NAMES for problem in secret_problems(name, config.get(name))
    ]
    if config.get("SECRET_KEY") and config.get("SECRET_KEY") == config.get("JWT_SECRET_KEY"):
        problems.append("SECRET_KEY and JWT_SECRET_KEY are the same value")
    return problems


def resolve_secret_keys(config: MutableMapping) -> None:
    """Check the keys (production) or fill the missing ones from the instance file."""
    if config.get("APP_ENV") == "production":
        problems = secret_key_problems(config)
        if problems:
            raise RuntimeError(
                "Refusing to start in production: "
                + "; ".join(problems)
                + f". Set both in the environment or .env, each different; {GENERATE_HINT}"
            )
        return
    missing = [name for name in KEY_NAMES if not config.get(name)]
    if missing:
        stored = instance_secret_keys(Path(config["SECRET_KEYS_FILE"]))
        for name in missing:
            config[name] = stored[name]


def instance_secret_keys(path: Path) -> dict[str, str]:
    """The generated keys kept in `path`, creating the file on first use.

    Several processes start at once (`make run`: the web server, a Celery worker and Beat), so
    the file appears complete or not at all: the keys are written to a private temporary file
    that is then hard-linked to `path`, which fails if another process linked its own first.
    Every process then reads the one that won.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = {name: secrets.token_urlsafe(48) for name in KEY_NAMES}  # distinct, 384 bits
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_keys-")
        try:
            with os.fdopen(descriptor, "w") as file:  # mkstemp creates it with mode 0600
                json.dump(keys, file)
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its keys
        finally:
            os.unlink(temporary)
    try:
        stored = json.loads(path.read_text())
        if all(isinstance(stored.get(name), str) and stored[name] for name in KEY_NAMES):
            return stored
    except (OSError, ValueError, AttributeError):
        pass
    raise RuntimeError(
        f"{path} does not hold the generated SECRET_KEY and JWT_SECRET_KEY: set both in the "
        "environment, or delete the file to generate new ones (signed-in users sign in again)"
    )
