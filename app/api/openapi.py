"""The OpenAPI 3.1 document, built from the routes themselves.

A view declares what it takes and answers with `@operation(...)`, naming the same pydantic
models that validate its input; `build_spec(app)` walks the URL map and turns those models into
JSON Schema with pydantic. Nothing is written twice, so the document cannot drift from the
validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.schemas import ErrorOut

_REF = "#/components/schemas/{model}"
_PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    400: "Invalid input",
    401: "Missing, invalid, expired or revoked token",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal error",
    503: "A backing service is unavailable",
}


@dataclass
class Operation:
    summary: str
    tags: list[str]
    body: type[BaseModel] | None = None
    body_example: dict | None = None
    body_required: bool = True
    form: dict | None = None  # a multipart/form-data body, as a literal JSON Schema
    query: type[BaseModel] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    auth: bool = True
    # Media types per status when not JSON (several when the same code can carry several).
    content_types: dict[int, tuple[str, ...]] = field(default_factory=dict)
    description: str | None = None


def operation(summary: str, *, tags: list[str], **details: Any) -> Callable:
    """Attach the OpenAPI description of a view (used only to build the document)."""

    def attach(view: Callable) -> Callable:
        view.__openapi__ = Operation(summary, tags, **details)  # type: ignore[attr-defined]
        return view

    return attach


def _schema_of(model: Any, mode: str, defs: dict) -> dict:
    """A `$ref` for a pydantic model (its schema goes to components), or a literal schema."""
    if isinstance(model, dict):
        return model
    _, top = models_json_schema([(model, mode)], ref_template=_REF)
    defs.update(top.get("$defs", {}))
    return {"$ref": _REF.format(model=model.__name__)}


def _parameters(op: Operation, path_args: list[str], defs: dict) -> list[dict]:
    params = [
        {"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
        for arg in path_args
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=_REF)
        defs.update(schema.pop("$defs", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _responses(op: Operation, defs: dict) -> dict:
    responses: dict[str, Any] = {}
    codes = dict(op.responses)
    codes.setdefault(500, ErrorOut)
    if op.auth:
        codes.setdefault(401, ErrorOut)
    for code, model in sorted(codes.items()):
        media_types = op.content_types.get(code, ("application/json",))
        entry: dict[str, Any] = {"description": _STATUS_TEXT.get(code, "")}
        if model is not None:
            schema = _schema_of(model, "serialization", defs)
            entry["content"] = {media: {"schema": schema} for media in media_types}
        if code == 429:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        responses[str(code)] = entry
    return responses


def build_spec(app: Flask) -> dict:
    defs: dict[str, Any] = {}
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op: Operation | None = getattr(app.view_functions[rule.endpoint], "__openapi__", None)
        if op is None:
            continue
        path = _PATH_ARGUMENT.sub(r"{\1}", rule.rule)
        path_args = list(rule.arguments)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry: dict[str, Any] = {
                "summary": op.summary,
                "tags": op.tags,
                "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
                "parameters": _parameters(op, path_args, defs),
                "responses": _responses(op, defs),
            }
            if op.description:
                entry["description"] = op.description
            if op.body is not None:
                media: dict[str, Any] = {"schema": _schema_of(op.body, "validation", defs)}
                if op.body_example is not None:
                    media["example"] = op.body_example
                entry["requestBody"] = {
                    "required": op.body_required,
                    "content": {"application/json": media},
                }
            if op.form is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": op.form}},
                }
            entry["security"] = [{"bearerAuth": []}] if op.auth else []
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KooDTX sync server",
            "version": "1.0.0",
            "description": "Sync and analysis backend for the KooDTX sensor-recording app.",
        },
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
