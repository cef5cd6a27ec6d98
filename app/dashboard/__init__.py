"""The web dashboard: server-rendered pages over the same services as the API.

Signed-in users browse their sessions, charts and statistics. The access token lives in an
HttpOnly cookie; forms that change state carry its CSRF value (flask-jwt-extended's double
submit). Charts fetch downsampled series from the API with the same cookie.
"""

from flask import Blueprint

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

from app.dashboard import auth, formatting, views  # noqa: E402, F401  (they register on bp)
