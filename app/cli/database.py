"""`flask` commands for operators."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Bring the database to the latest migration (safe to run again)."""
        upgrade()
        click.echo("Database is at the latest migration.")
