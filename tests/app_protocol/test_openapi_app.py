"""The app protocol in the OpenAPI document: its own tag, its error shape, its own models."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel


def _models(app) -> dict[str, set[type]]:
    """Every pydantic model an operation names, by the component name it gets."""
    found: dict[str, set[type]] = defaultdict(set)

    def visit(model) -> None:
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and model not in found[model.__name__]
        ):
            found[model.__name__].add(model)
            for info in model.model_fields.values():
                for candidate in (info.annotation, *getattr(info.annotation, "__args__", ())):
                    visit(candidate)

    for view in app.view_functions.values():
        op = getattr(view, "__openapi__", None)
        if op is not None:
            for model in (op.body, op.form, op.query, *op.responses.values()):
                visit(model)
    return found


def test_no_two_models_share_a_component_name(app):
    """Components are keyed by class name: a second class of the same name would silently
    replace the first in the document."""
    clashes = {name: classes for name, classes in _models(app).items() if len(classes) > 1}
    assert clashes == {}


def test_app_operations_are_tagged_and_document_the_app_error_shape(client):
    spec = client.get("/api/openapi.json").get_json()
    app_paths = {path: ops for path, ops in spec["paths"].items() if path.startswith("/api/app/")}
    assert {
        "/api/app/auth/register",
        "/api/app/sessions/{session_id}/sensor-data",
        "/api/app/sync/pull",
    } <= set(app_paths)
    for path, operations in app_paths.items():
        for method, operation in operations.items():
            assert operation["tags"] == ["app"], (method, path)
            errors = {code: r for code, r in operation["responses"].items() if int(code) >= 400}
            assert "500" in errors, (method, path)
            for response in errors.values():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/AppErrorOut"}, (method, path)
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/app/"):
            assert all(op["tags"] != ["app"] for op in operations.values()), path
