"""Small, valid audio files of every accepted type, built here (no encoder is installed).

Each holds `seconds` of silence at `rate` Hz, so tests can check what the server measures.
"""

from __future__ import annotations

import io
import struct
import wave

from mutagen.ogg import OggPage


def wav(seconds: float = 1.0, rate: int = 8000, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * channels * int(seconds * rate))
    return out.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, b"\x00\x00\x00\x00" + payload)


def _audio_track(rate: int, channels: int, units: int) -> bytes:
    mdhd = _full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, rate, units, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", b"\x00" * 4 + b"soun" + b"\x00" * 12 + b"sound\x00")
    esds = _full_box(b"esds", b"\x03\x19\x00\x01\x00\x04\x11\x40\x15" + b"\x00" * 16)
    mp4a = _box(
        b"mp4a",
        b"\x00" * 6
        + struct.pack(">H", 1)
        + b"\x00" * 8
        + struct.pack(">HHHH", channels, 16, 0, 0)
        + struct.pack(">I", rate << 16)
        + esds,
    )
    stsd = _full_box(b"stsd", struct.pack(">I", 1) + mp4a)
    stbl = _box(b"stbl", stsd)
    minf = _box(b"minf", stbl)
    return _box(b"trak", _box(b"mdia", mdhd + hdlr + minf))


def mp4(
    seconds: float = 1.0, rate: int = 44100, channels: int = 1, brand: bytes = b"M4A "
) -> bytes:
    """An ISO media file as phones write it: ftyp, moov (mvhd + one audio track), mdat."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"isom")
    units = int(seconds * 1000)
    mvhd = _full_box(b"mvhd", struct.pack(">IIII", 0, 0, 1000, units) + b"\x00" * 80)
    moov = _box(b"moov", mvhd + _audio_track(rate, channels, int(seconds * rate)))
    return ftyp + moov + _box(b"mdat", b"\x00" * 64)


def three_gp(seconds: float = 1.0) -> bytes:
    return mp4(seconds, rate=8000, brand=b"3gp4")


def adts(frames: int = 10, rate_index: int = 8, channels: int = 1) -> bytes:
    """ADTS AAC frames of 1024 samples each (rate index 8 = 16 kHz)."""
    payload = b"\x00" * 9
    length = 7 + len(payload)
    header = bytes(
        [
            0xFF,
            0xF1,  # MPEG-4, layer 0, no CRC
            (1 << 6) | (rate_index << 2) | (channels >> 2),
            ((channels & 3) << 6) | (length >> 11),
            (length >> 3) & 0xFF,
            ((length & 7) << 5) | 0x1F,
            0xFC,
        ]
    )
    return (header + payload) * frames


def mp3(frames: int = 40) -> bytes:
    """MPEG-1 layer III frames, 128 kbit/s at 44.1 kHz (417 bytes, 1152 samples each)."""
    header = b"\xff\xfb\x90\x64"
    return (header + b"\x00" * 413) * frames


def opus(seconds: float = 1.0, channels: int = 1) -> bytes:
    """An Ogg Opus stream: OpusHead, OpusTags and one audio page ending at `seconds`."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = []
    for sequence, (packet, position) in enumerate(
        [(head, 0), (tags, 0), (b"\xf8\xff\xfe", 312 + int(seconds * 48000))]
    ):
        page = OggPage()
        page.serial, page.sequence, page.position = 7, sequence, position
        page.first = sequence == 0
        page.last = sequence == 2
        page.packets = [packet]
        pages.append(page.write())
    return b"".join(pages)
