"""KooDTX sync server. `create_app` lives in app/factory.py; ARCHITECTURE.md maps the packages."""

from app.factory import create_app

__all__ = ["create_app"]
