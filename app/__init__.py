"""KooDTX sync server. `create_app` lives in app/factory.py; ARCHITECTURE.md maps the packages.

`create_app` is resolved on first use, so importing one small module (`app.secret_keys`,
`app.worker.task_names`) does not import the whole application with numpy and pandas: processes
that only need a constant start in a fraction of the time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
