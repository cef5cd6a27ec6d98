"""The KooDTX app's own protocol, mounted at /api/app (docs/app-protocol.md).

Routes are thin: they parse the app's request shapes and call the same services as /api
(accounts and tokens, the push batch path, session rules, the pull watermark).
"""

# Importing the route modules registers their routes on bp.
from app.app_protocol import (  # noqa: F401
    auth_routes,
    session_routes,
    sync_routes,
    upload_routes,  # noqa: F401  (audio and file uploads)
)
from app.app_protocol.blueprint import bp

__all__ = ["bp"]
