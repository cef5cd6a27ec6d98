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
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from app.web.schemas import ErrorOut

_REF = "#/components/schemas/{model}"
_PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    206: "Partial content (a Range request)",
    304: "Not modified",
    400: "Invalid input",
    401: "Missing, invalid, expired or revoked token",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
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
    form: type[BaseModel] | None = None  # a multipart/form-data body; model fields are parts
    form_media_types: dict[str, tuple[str, ...]] = field(default_factory=dict)  # of file parts
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


def _allows_null(schema: dict) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


class DocumentSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, except that a field which may be left out but not sent as null
    (`start_time: Timestamp = None`) gets no `default: null`: the document must not offer a
    value the server refuses."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and not _allows_null(json_schema):
            del json_schema["default"]
        return json_schema


def _schema_of(model: Any, mode: str, defs: dict) -> dict:
    """A `$ref` for a pydantic model (its schema goes to components), or a literal schema."""
    if isinstance(model, dict):
        return model
    _, top = models_json_schema([(model, mode)], ref_template=_REF, schema_generator=DocumentSchema)
    defs.update(top.get("$defs", {}))
    return {"$ref": _REF.format(model=model.__name__)}


def _parameters(op: Operation, path_args: list[str], defs: dict) -> list[dict]:
    params = [
        {"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
        for arg in path_args
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=_REF, schema_generator=DocumentSchema)
        defs.update(schema.pop("$defs", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _form(op: Operation, defs: dict) -> dict:
    """A multipart body: a part per field of the form model; a part whose field is a model is
    that model as JSON; file parts have the media types the operation names."""
    encoding = {
        name: {"contentType": "application/json"}
        for name, info in op.form.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    }
    for name, media_types in op.form_media_types.items():
        encoding[name] = {"contentType": ", ".join(media_types)}
    media: dict[str, Any] = {"schema": _schema_of(op.form, "validation", defs)}
    if encoding:
        media["encoding"] = encoding
    return media


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
                    "content": {"multipart/form-data": _form(op, defs)},
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
