"""orjson-backed JSON for Flask responses; datetimes leave as ISO 8601 UTC with a `Z`."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import JSONProvider

from app.clock import ORJSON_UTC
from app.web.request_body import parse_json

_OPTIONS = ORJSON_UTC | orjson.OPT_NON_STR_KEYS


def dumps_bytes(obj: Any) -> bytes:
    return orjson.dumps(obj, option=_OPTIONS)


class OrjsonProvider(JSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps_bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s if isinstance(s, bytes) else s.encode())

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(dumps_bytes(obj), mimetype="application/json")
