"""The app's multipart calls, formed part by part as the app forms them (field names, order,
content types): SyncManager's audio upload and src/api/upload.ts.

React Native's FormData writes a text part with only its Content-Disposition, and a file
part with its name and type; Blob slices (the chunks) are named "blob" and have no type, so
they go as application/octet-stream. The test client sends the body as built here, so the
order of the parts is the app's.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass

from tests.app_protocol.app_client import BASE, AppApi, SyncManagerApi


@dataclass(frozen=True)
class FilePart:
    data: bytes
    filename: str
    content_type: str


def encode_form(parts: list[tuple[str, str | FilePart]]) -> tuple[bytes, str]:
    """A multipart/form-data body with `parts` in this order, and its Content-Type."""
    boundary = f"----RNFormDataBoundary{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for name, value in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, FilePart):
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{value.filename}"\r\n'
                f"Content-Type: {value.content_type}\r\n\r\n".encode()
            )
            chunks.append(value.data)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value.encode())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _number(value: float | str) -> str:
    """JavaScript's `n.toString()`: integers without a decimal point (text kept as given, to
    send what a broken client would)."""
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def upload_audio(manager: SyncManagerApi, recording: dict, data: bytes, path_session=None):
    """handleAudioFileUpload: the AudioRecording's fields, then the file as audio/m4a
    (`path_session`: another session in the URL, as a broken client might send)."""
    body, content_type = encode_form(
        [
            ("sessionId", recording["sessionId"]),
            ("timestamp", _number(recording["timestamp"])),
            ("duration", _number(recording["duration"])),
            ("sampleRate", _number(recording["sampleRate"])),
            ("channels", _number(recording["channels"])),
            ("format", recording["format"]),
            ("file", FilePart(data, recording["filePath"].split("/")[-1], "audio/m4a")),
        ]
    )
    # ApiClient.uploadFile sets multipart/form-data; React Native adds the boundary.
    return manager.client.post(
        f"{manager.base}/sessions/{path_session or recording['sessionId']}/audio",
        data=body,
        headers=manager.headers(content_type),
    )


def _axios_multipart(api: AppApi, url: str, parts: list) -> object:
    body, content_type = encode_form(parts)
    headers = api._headers(url, True) | {"Content-Type": content_type}
    return api.client.post(BASE + url, data=body, headers=headers)


def upload_file(api: AppApi, data: bytes, filename: str, file_type: str, metadata: dict | None):
    """uploadApi.uploadFile (and uploadSensorData / uploadAudio, which add the metadata)."""
    parts: list = [("file", FilePart(data, filename, file_type))]
    if metadata:
        parts.append(("metadata", json.dumps(metadata, separators=(",", ":"))))
    return _axios_multipart(api, "/upload", parts)


def upload_file_chunked(
    api: AppApi,
    data: bytes,
    metadata: dict | None,
    chunk_size: int = 1024 * 1024,
    upload_id: str | None = None,
    skip: frozenset[int] = frozenset(),
):
    """uploadApi.uploadFileChunked: parts in order (metadata with chunk 0), then complete.
    Returns (chunk responses, complete response); `skip` leaves parts out (a lost request)."""
    total = math.ceil(len(data) / chunk_size)
    upload_id = upload_id or f"upload-1763000000000-{uuid.uuid4().hex[:9]}"
    responses = []
    for number in range(total):
        if number in skip:
            continue
        parts: list = [
            (
                "chunk",
                FilePart(
                    data[number * chunk_size : (number + 1) * chunk_size],
                    "blob",
                    "application/octet-stream",
                ),
            ),
            ("uploadId", upload_id),
            ("chunkNumber", str(number)),
            ("totalChunks", str(total)),
        ]
        if number == 0 and metadata:
            parts.append(("metadata", json.dumps(metadata, separators=(",", ":"))))
        responses.append(_axios_multipart(api, "/upload/chunk", parts))
    complete = api.request("POST", "/upload/complete", {"uploadId": upload_id})
    return responses, complete
