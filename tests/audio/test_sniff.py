"""Audio is judged by its bytes: every accepted type is recognised and measured; anything
else, whatever its name, is refused with a 400."""

from __future__ import annotations

import pytest

from app.audio import sniff
from app.errors import ValidationFailed
from tests.audio import files

CASES = [
    (files.mp4(2.0), "m4a", "audio/mp4", 2.0),
    (files.three_gp(1.5), "3gp", "audio/3gpp", 1.5),
    (files.wav(0.5, rate=16000), "wav", "audio/wav", 0.5),
    (files.adts(25), "aac", "audio/aac", 1.6),
    (files.mp3(40), "mp3", "audio/mpeg", 1.04),
    (files.opus(3.0), "opus", "audio/ogg", 3.0),
]


@pytest.mark.parametrize(("data", "fmt", "mime", "seconds"), CASES)
def test_each_accepted_type_is_recognised_and_measured(tmp_path, data, fmt, mime, seconds):
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    info = sniff.inspect(path)
    assert (info.type.format, info.type.mime_type) == (fmt, mime)
    assert info.duration_seconds == pytest.approx(seconds, abs=0.05)


def test_the_measured_stream_properties_are_kept(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(files.wav(1.0, rate=22050, channels=2))
    info = sniff.inspect(path)
    assert (info.sample_rate, info.channels) == (22050, 2)


@pytest.mark.parametrize(
    "data",
    [
        b"<html>not audio</html>",
        b"%PDF-1.7\n" + b"\x00" * 100,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        b"OggS" + b"\x00" * 100,  # Ogg without an Opus or Vorbis header
        b"\xff\xe0" + b"\x00" * 100,  # a frame sync with a reserved layer
    ],
)
def test_other_files_are_refused_by_their_first_bytes(tmp_path, data):
    path = tmp_path / "recording.m4a"
    path.write_bytes(data)
    with pytest.raises(ValidationFailed, match="not audio we accept"):
        sniff.inspect(path)


@pytest.mark.parametrize("header", [files.mp4()[:40], b"RIFF\x00\x00\x00\x00WAVEjunk", b"ID3junk"])
def test_a_file_that_only_starts_like_audio_is_refused(tmp_path, header):
    path = tmp_path / "a.bin"
    path.write_bytes(header + b"\x00" * 20)
    with pytest.raises(ValidationFailed, match="cannot be read"):
        sniff.inspect(path)
