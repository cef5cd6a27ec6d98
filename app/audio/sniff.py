"""What an audio file is, by its magic bytes, and what it holds, by reading it with mutagen.

The client's content type and file name are never trusted: a file is accepted only when its
first bytes name one of the formats below and mutagen can read it as that format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.aac import AAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from app.errors import ValidationFailed

HEADER_BYTES = 64
ACCEPTED = "MP4/M4A, 3GP, AAC (ADTS), WAV, Ogg (Opus or Vorbis) or MP3"


@dataclass(frozen=True)
class AudioType:
    format: str  # short name, also the download's file extension
    mime_type: str
    reader: type[mutagen.FileType]


M4A = AudioType("m4a", "audio/mp4", MP4)
THREE_GP = AudioType("3gp", "audio/3gpp", MP4)
AAC_ADTS = AudioType("aac", "audio/aac", AAC)
WAV = AudioType("wav", "audio/wav", WAVE)
OPUS = AudioType("opus", "audio/ogg", OggOpus)
VORBIS = AudioType("ogg", "audio/ogg", OggVorbis)
MPEG = AudioType("mp3", "audio/mpeg", MP3)


@dataclass(frozen=True)
class AudioInfo:
    type: AudioType
    duration_seconds: float | None
    sample_rate: int | None
    channels: int | None


def _mpeg_frame(header: bytes) -> AudioType | None:
    """An MPEG audio frame sync (11 bits set): layer bits 00 mean ADTS AAC, else MP1/2/3."""
    if len(header) < 2 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    if header[1] & 0xF6 == 0xF0:
        return AAC_ADTS
    return MPEG if header[1] & 0x06 else None


def detect(header: bytes) -> AudioType | None:
    """The audio type named by a file's first bytes, or None."""
    if header[4:8] == b"ftyp":  # ISO base media: the major brand tells 3GP from MP4/M4A
        return THREE_GP if header[8:11] in (b"3gp", b"3g2", b"3ge") else M4A
    if header[:4] == b"RIFF" and header[8:12] == b"WAVE":
        return WAV
    if header[:4] == b"OggS":
        if b"OpusHead" in header:
            return OPUS
        return VORBIS if b"\x01vorbis" in header else None
    if header[:3] == b"ID3":
        return MPEG
    return _mpeg_frame(header)


def _positive(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def inspect(path: Path) -> AudioInfo:
    """The file's type and stream properties; 400 when it is not audio we accept."""
    with path.open("rb") as stream:
        header = stream.read(HEADER_BYTES)
    audio_type = detect(header)
    if audio_type is None:
        raise ValidationFailed(
            f"The file is not audio we accept ({ACCEPTED}), judged by its first bytes",
            {"first_bytes": header[:12].hex()},
        )
    try:
        info = audio_type.reader(str(path)).info
    except Exception as error:  # mutagen raises many types on damaged input
        raise ValidationFailed(
            f"The file starts like {audio_type.format} audio but cannot be read as such: {error}"
        ) from None
    rate, channels = _positive(getattr(info, "sample_rate", None)), getattr(info, "channels", None)
    return AudioInfo(
        type=audio_type,
        duration_seconds=_positive(getattr(info, "length", None)),
        sample_rate=int(rate) if rate else None,
        channels=channels if isinstance(channels, int) and channels > 0 else None,
    )
