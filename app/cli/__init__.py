"""All `flask` commands: the database (database.py) and data for operators and demos (data.py)."""

from __future__ import annotations

from flask import Flask

from app.cli.data import register_data_commands
from app.cli.database import register_cli


def register_commands(app: Flask) -> None:
    register_cli(app)
    register_data_commands(app)
