"""GET /api/openapi.json and the Swagger UI at /api/docs, served from the Swagger UI build
that the flask-swagger-ui package ships (no CDN: it works offline). Our own page loads it so
that no inline script is needed under the Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, jsonify, render_template_string, send_from_directory

from app.web.openapi import build_spec

ASSETS = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
bp = Blueprint("docs", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KooDTX sync server — API</title>
<link rel="stylesheet" href="{{ assets }}/swagger-ui.css">
<link rel="icon" type="image/png" href="{{ assets }}/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{{ assets }}/swagger-ui-bundle.js"></script>
<script src="{{ assets }}/swagger-ui-standalone-preset.js"></script>
<script src="{{ init }}"></script></body></html>"""

_INIT = """window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout", persistAuthorization: true
  });
};"""


@bp.get("/api/openapi.json")
def openapi_document():
    spec = current_app.extensions.get("koodtx_openapi")
    if spec is None:
        spec = current_app.extensions["koodtx_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/api/docs")
def swagger_ui():
    return render_template_string(
        _PAGE, assets="/api/docs/assets", init="/api/docs/assets/koodtx-init.js"
    )


@bp.get("/api/docs/assets/koodtx-init.js")
def swagger_init():
    return current_app.response_class(_INIT, mimetype="text/javascript")


@bp.get("/api/docs/assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(ASSETS, filename, max_age=86400)
