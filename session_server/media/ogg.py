"""A floor segment's Ogg/Opus recording, muxed by PyAV (FFmpeg's Ogg muxer),
the library that writes the day's video, HLS and FLV too.

The floor's audio arrives already encoded as Opus packets (48 kHz, usually
20 ms = 960 samples each); they are only muxed, nothing is re-encoded.

Crash safety: the file is written as ``<path>.part`` and renamed to
``<path>`` by ``close()`` after an ``fsync``, so a finished recording never
looks half written; FFmpeg closes an Ogg page every half second
(``page_duration``) and every page is handed to the file at once
(``flush_packets``, an unbuffered file), so a ``kill -9`` loses at most about
that much audio and the ``.part`` left behind plays. Measured against the
hand-written writer this module replaced (``docs/media.md``): 4.5 µs of CPU
per 20 ms packet instead of 34 µs. FFmpeg keeps the newest page until the
next one is complete, so pages of half a second leave about a second at risk.
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

__all__ = ["OggOpusWriter"]

_RATE = 48000
_TIME_BASE = Fraction(1, _RATE)
_MAX_PACKET = 255 * 255 - 1
"""An Opus packet is at most 1275 bytes a frame, six frames: far below."""
_MAX_SAMPLES = 5760  # 120 ms, the longest an Opus packet can be
_PRE_SKIP = 312
"""libopus's look-ahead at 48 kHz, which its header declares (RFC 7845)."""


class OggOpusWriter:
    """Writes already-encoded Opus packets to an Ogg/Opus file. The headers
    (OpusHead, OpusTags) are written at once, so even an empty recording is a
    valid stream."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channels: int = 2,
        page_seconds: float = 0.5,
    ) -> None:
        if channels not in (1, 2):
            raise ValueError("channel mapping family 0 allows only 1 or 2 channels")
        if not 0 < page_seconds <= 10:
            raise ValueError("page_seconds must be between 0 and 10")
        self._path = Path(path)
        self._part = Path(os.fspath(path) + ".part")
        self._granule = 0  # 48 kHz samples of every packet accepted so far
        self._packets = 0
        self._finished: float | None = None
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the owner's only
        self._file: Any = os.fdopen(fd, "wb", buffering=0)
        self._container: Any = None
        try:
            container: Any = av.open(
                self._file,
                "w",
                format="ogg",
                container_options={
                    "page_duration": str(round(page_seconds * 1_000_000)),
                    "flush_packets": "1",
                },
            )
            self._container = container
            stream: Any = container.add_stream("libopus", rate=_RATE)
            stream.layout = "stereo" if channels == 2 else "mono"
            stream.time_base = _TIME_BASE
            container.start_encoding()  # the headers, from libopus's own OpusHead
            self._stream = stream
        except BaseException:
            self.abort()
            raise

    @property
    def path(self) -> Path:
        """The final path of the recording (the ``.part`` file is renamed to it)."""
        return self._path

    @property
    def packets(self) -> int:
        """Number of Opus packets accepted so far."""
        return self._packets

    @property
    def duration(self) -> float:
        """Seconds of audio written so far, pre-skip left out, never negative."""
        return max(0, self._granule - _PRE_SKIP) / _RATE

    def write(self, packet: bytes, samples: int = 960) -> None:
        """Add one Opus packet lasting ``samples`` samples at 48 kHz."""
        if self._container is None or self._finished is not None:
            raise ValueError("the writer is closed")
        if not packet:
            raise ValueError("empty Opus packet")
        if len(packet) > _MAX_PACKET:
            raise ValueError(f"Opus packet longer than {_MAX_PACKET} bytes")
        if not 0 < samples <= _MAX_SAMPLES:
            raise ValueError(f"samples must be between 1 and {_MAX_SAMPLES}")
        out = av.Packet(packet)
        out.stream = self._stream
        out.time_base = _TIME_BASE
        out.pts = out.dts = self._granule
        out.duration = samples
        self._container.mux_one(out)
        self._granule += samples
        self._packets += 1

    def close(self) -> float:
        """Write the last page (end of stream), sync it to disk and rename the
        file to its final path; return the duration in seconds. Calling it
        again does nothing and returns the same duration."""
        if self._finished is not None:
            return self._finished
        if self._container is None:
            raise ValueError("the writer was aborted or failed to close")
        container, self._container = self._container, None
        try:
            container.close()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
        os.replace(self._part, self._path)
        try:  # make the rename itself durable
            dir_fd = os.open(self._path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
        self._finished = self.duration
        return self._finished

    def abort(self) -> None:
        """Close the file and delete the partial recording. Does nothing once
        ``close()`` has finished (the recording is kept)."""
        if self._finished is not None:
            return
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        self._file.close()
        self._part.unlink(missing_ok=True)
