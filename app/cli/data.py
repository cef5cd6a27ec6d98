"""`flask export-session` and `flask seed-demo`: data commands for operators and demos."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import or_, select

from app.cli.demo import demo_sessions, seed_demo
from app.extensions import db
from app.models import User
from app.sessions.exports.service import prepare_export


def _user_id(name: str) -> int:
    user = db.session.scalar(select(User).where(or_(User.username == name, User.email == name)))
    if user is None:
        raise click.ClickException(f"No user {name!r}")
    return user.id


def register_data_commands(app: Flask) -> None:
    @app.cli.command("export-session")
    @click.argument("user")
    @click.argument("session_id")
    @click.option("--format", "fmt", type=click.Choice(["csv", "ndjson", "parquet"]), default="csv")
    @click.option("--sensor-type", default=None, help="Only samples of this sensor type.")
    @click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
    def export_session(user: str, session_id: str, fmt: str, sensor_type, output: str) -> None:
        """Write a session to a file, exactly as GET /api/sessions/<id>/export sends it."""
        export = prepare_export(_user_id(user), session_id, fmt, sensor_type)
        with (
            open(output, "wb") as file,
            click.progressbar(length=export.samples, label=f"Exporting {export.filename}") as bar,
        ):
            for chunk, samples in export.chunks:
                file.write(chunk)
                bar.update(samples)
        click.echo(f"Wrote {export.samples} samples to {output}")
        if export.omitted_fields:
            click.echo(
                f"{export.omitted_fields} data fields left out: at most "
                "MAX_SESSION_SENSOR_KEYS columns are written",
                err=True,
            )

    @app.cli.command("seed-demo")
    @click.option("--password", default="demo-password", show_default=True)
    @click.option("--minutes", default=10.0, show_default=True, help="Length of the demo walk.")
    def seed_demo_command(password: str, minutes: float) -> None:
        """Create the `demo` user and demo recordings through the push path (idempotent)."""
        sessions = demo_sessions(minutes)
        total = sum(len(demo.samples) for demo in sessions)
        with click.progressbar(length=total, label="Pushing demo sessions") as bar:
            counts = seed_demo(password, sessions, bar.update)
        click.echo(
            f"Demo user 'demo': {counts.inserted} inserted, {counts.updated} updated, "
            f"{counts.duplicates} duplicates"
        )
