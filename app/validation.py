"""Turning pydantic validation errors into one readable 400."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, StrictInt, ValidationError

from app.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer as JSON Schema means it: 2.0 is one (the document says `integer`), true and "2"
# are not.
JsonInt = Annotated[StrictInt, BeforeValidator(_integral)]


def describe_errors(error: ValidationError, prefix: tuple = ()) -> list[dict[str, str]]:
    """`[{"field": "session.start_time", "message": "..."}]` for each problem."""
    described = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        location = ".".join(str(part) for part in (*prefix, *item["loc"])) or "body"
        message = item["msg"].removeprefix("Value error, ")
        described.append({"field": location, "message": message})
    return described


def parse_model(model: type[M], payload: Any) -> M:
    """Validate `payload` against `model` or raise a 400 naming each bad field."""
    if not isinstance(payload, dict):
        raise ValidationFailed("Request body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = describe_errors(error)
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise ValidationFailed(f"Invalid request: {summary}", problems) from None


def response_fields(model: type[BaseModel], row: Any) -> dict[str, Any]:
    """`row`'s attributes as `model` documents them: the response model is the only place a
    shape is written. The attributes are read here, not by pydantic, so a database error while
    loading an expired row stays a database error (503) instead of becoming a ValidationError."""
    values = {}
    for name, field in model.model_fields.items():
        key = field.validation_alias if isinstance(field.validation_alias, str) else name
        values[key] = getattr(row, key)
    return model.model_validate(values).model_dump()
