"""All `flask` commands: the database (database.py), data for operators and demos (data.py)
and the sample store (samples.py)."""

from __future__ import annotations

from flask import Flask

from app.cli.data import register_data_commands
from app.cli.database import register_cli
from app.cli.samples import register_sample_commands


def register_commands(app: Flask) -> None:
    register_cli(app)
    register_data_commands(app)
    register_sample_commands(app)
