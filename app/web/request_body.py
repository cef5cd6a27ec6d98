"""Reading JSON request bodies: media type, gzip with a decompression cap, fast parsing."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from flask import current_app, g, has_app_context, request

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.web import lenient_json

_CHUNK = 64 * 1024


def read_json_body(*, required: bool = True) -> Any:
    """The request's JSON document; 400/413/415 as `ApiError` when it cannot be had.

    An empty body counts as `{}` when `required` is false (endpoints whose fields are optional).
    """
    raw = _body_bytes()
    if not raw.strip():
        if required:
            raise ValidationFailed("Request body is empty; a JSON object is expected")
        return {}
    _require_json_media_type()
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    """Parse with orjson; fall back to the lenient parser so NaN/Infinity (also an integer too
    long for a double) in a sample can be reported per sample instead of rejecting the whole
    request.

    `g.json_lenient` tells callers that the fallback ran, so numbers may be non-finite (orjson
    guarantees they cannot be).
    """
    try:
        document, lenient = lenient_json.parse(raw)
    except orjson.JSONDecodeError as error:
        raise ValidationFailed(f"Request body is not valid JSON: {error}") from None
    if lenient and has_app_context():
        g.json_lenient = True
    return document


def _body_bytes() -> bytes:
    """The (decompressed) body, read once per request: a rate-limit key may need it too."""
    if "raw_body" not in g:
        try:
            g.raw_body = _read_body(current_app.config["MAX_CONTENT_LENGTH"])
        except Exception as error:
            g.raw_body = error
    if isinstance(g.raw_body, Exception):
        raise g.raw_body
    return g.raw_body


def _require_json_media_type() -> None:
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            "Content-Type must be application/json", {"content_type": request.content_type}
        )


def _read_body(limit: int) -> bytes:
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("identity", ""):
        return request.get_data(cache=False)  # Werkzeug enforces MAX_CONTENT_LENGTH (413)
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _inflate(request.stream, limit, gzip=encoding != "deflate")
    raise UnsupportedMediaType(
        "Content-Encoding must be gzip, deflate or identity", {"content_encoding": encoding}
    )


def _inflate(stream, limit: int, *, gzip: bool) -> bytes:
    """Decompress chunk by chunk and stop as soon as the output would exceed `limit`."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
    out = bytearray()
    too_large = PayloadTooLarge(f"Decompressed request body exceeds {limit} bytes")
    try:
        while chunk := stream.read(_CHUNK):
            while chunk:
                out += inflater.decompress(chunk, limit + 1 - len(out))
                if len(out) > limit:
                    raise too_large
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error as error:
        raise ValidationFailed(
            f"Request body is not valid {'gzip' if gzip else 'deflate'} data: {error}"
        ) from None
    if not inflater.eof:
        raise ValidationFailed("Compressed request body is truncated")
    return bytes(out)
