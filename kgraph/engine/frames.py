"""Messages between the web process and its sandboxes: a JSON header and raw bytes.

A sandbox works on what users send, so the web process treats what comes back as
untrusted too: it is never unpickled (``pickle.loads`` of a compromised sandbox's
answer would run its code in the web process), only read as JSON with a size cap.
One frame is::

    !I header length | header (UTF-8 JSON object) | !Q payload length | payload

The payload carries bytes that JSON would have to escape (a serialised result,
an uploaded file).

>>> import io
>>> stream = io.BytesIO()
>>> write_frame(stream, {"op": "ping"}, b"\\x00\\x01")
>>> _ = stream.seek(0)
>>> read_frame(stream)
({'op': 'ping'}, b'\\x00\\x01')
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct("!I")
PAYLOAD = struct.Struct("!Q")

#: Largest header accepted (a validation report with its labels is the biggest).
MAX_HEADER = 64 * 1024 * 1024
#: Largest payload accepted from a sandbox (a query result at the row cap).
MAX_PAYLOAD = 256 * 1024 * 1024


class FrameError(Exception):
    """A frame that is malformed or larger than allowed."""


def encode(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """One frame as bytes."""
    data = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join(
        (HEADER.pack(len(data)), data, PAYLOAD.pack(len(payload)), bytes(payload))
    )


def write_frame(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    stream.write(encode(header, payload))
    stream.flush()


def _exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes]:
    """The next frame from a blocking stream; :class:`EOFError` at the end."""
    (size,) = HEADER.unpack(_exactly(stream, HEADER.size))
    if size > MAX_HEADER:
        raise FrameError(f"header of {size} bytes")
    header = decode_header(_exactly(stream, size))
    (length,) = PAYLOAD.unpack(_exactly(stream, PAYLOAD.size))
    if length > MAX_PAYLOAD:
        raise FrameError(f"payload of {length} bytes")
    return header, _exactly(stream, length)


def decode_header(data: bytes) -> dict[str, Any]:
    try:
        header = json.loads(data)
    except ValueError as error:
        raise FrameError(f"unreadable header: {error}") from None
    if not isinstance(header, dict):
        raise FrameError("the header is not an object")
    return header


class FrameReader:
    """Incremental parsing of frames from bytes read without blocking."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> tuple[dict[str, Any], bytes] | None:
        """A complete frame from what was fed, or ``None`` if more is needed."""
        buffer = self._buffer
        if len(buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(buffer)
        if size > MAX_HEADER:
            raise FrameError(f"header of {size} bytes")
        start = HEADER.size + size
        if len(buffer) < start + PAYLOAD.size:
            return None
        (length,) = PAYLOAD.unpack_from(buffer, start)
        if length > MAX_PAYLOAD:
            raise FrameError(f"payload of {length} bytes")
        end = start + PAYLOAD.size + length
        if len(buffer) < end:
            return None
        header = decode_header(bytes(buffer[HEADER.size : start]))
        payload = bytes(buffer[start + PAYLOAD.size : end])
        del buffer[:end]
        return header, payload
