"""A small Ogg/Opus file writer (RFC 7845 on top of the Ogg framing of RFC 3533).

The floor's audio arrives already encoded as Opus packets (48 kHz, usually
20 ms = 960 samples each); this module only frames them into Ogg pages. It
uses nothing but the standard library.

The file is written as ``<path>.part`` and renamed to ``<path>`` by
``close()``, so a finished recording never looks half written. A page is
written and flushed at least every ``packets_per_page`` packets (about a
second at the default), so a crash loses at most about that much audio.
"""

from __future__ import annotations

import os
import secrets
import struct
from pathlib import Path
from typing import BinaryIO

__all__ = ["OggOpusWriter"]

_RATE = 48000  # Opus granule positions always count 48 kHz samples (RFC 7845, section 4).
_MAX_LACING = 255  # lacing values per page (RFC 3533)
# Packets are never split across pages here, so a packet must fit one page's
# segment table: L // 255 values of 255 and one final value, at most 255 in all.
_MAX_PACKET = 255 * 255 - 1
_MAX_SAMPLES = 5760  # 120 ms, the longest an Opus packet can be


def _crc_table() -> tuple[int, ...]:
    """The 256-entry table of Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected)."""
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
        table.append(r & 0xFFFFFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 of ``data``: initial value 0, no final xor."""
    crc = 0
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


def _lacing(length: int) -> bytes:
    """The lacing values of one packet: 255 for each full segment, then the rest
    (a 0 when the length is a multiple of 255, so the packet visibly ends)."""
    return b"\xff" * (length // 255) + bytes([length % 255])


class OggOpusWriter:
    """Writes already-encoded Opus packets to an Ogg/Opus file.

    The identification header (OpusHead) and the comment header (OpusTags)
    are written at once, each on its own page as RFC 7845 requires.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channels: int = 2,
        pre_skip: int = 312,
        input_sample_rate: int = 48000,
        vendor: str = "session-server",
        packets_per_page: int = 50,
    ) -> None:
        if channels not in (1, 2):
            raise ValueError("channel mapping family 0 allows only 1 or 2 channels")
        if not 0 <= pre_skip <= 0xFFFF:
            raise ValueError("pre_skip must fit in 16 bits")
        if not 0 <= input_sample_rate <= 0xFFFFFFFF:
            raise ValueError("input_sample_rate must fit in 32 bits")
        if packets_per_page < 1:
            raise ValueError("packets_per_page must be at least 1")
        vendor_bytes = vendor.encode("utf-8")
        if len(vendor_bytes) > _MAX_PACKET - 16:
            raise ValueError("vendor string too long")
        self._path = Path(path)
        self._part = Path(os.fspath(path) + ".part")
        self._pre_skip = pre_skip
        self._per_page = packets_per_page
        self._serial = secrets.randbits(32)
        self._sequence = 0
        self._granule = 0  # 48 kHz samples of every packet accepted so far
        self._packets = 0
        self._pending: list[bytes] = []  # packets waiting for the current page
        self._pending_lacing = 0
        self._finished: float | None = None
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the owner's only
        self._file: BinaryIO | None = os.fdopen(fd, "wb")  # closed by close/abort
        try:
            head = b"OpusHead" + struct.pack(
                "<BBHIhB", 1, channels, pre_skip, input_sample_rate, 0, 0
            )
            tags = b"OpusTags" + struct.pack("<I", len(vendor_bytes)) + vendor_bytes
            tags += struct.pack("<I", 0)  # no user comments
            self._write_page([head], granule=0, flags=0x02)
            self._write_page([tags], granule=0, flags=0x00)
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
        return max(0, self._granule - self._pre_skip) / _RATE

    def write(self, packet: bytes, samples: int = 960) -> None:
        """Add one Opus packet lasting ``samples`` samples at 48 kHz."""
        if self._file is None:
            raise ValueError("the writer is closed")
        if not packet:
            raise ValueError("empty Opus packet")
        if len(packet) > _MAX_PACKET:
            raise ValueError(f"Opus packet longer than {_MAX_PACKET} bytes")
        if not 0 < samples <= _MAX_SAMPLES:
            raise ValueError(f"samples must be between 1 and {_MAX_SAMPLES}")
        lacing = len(packet) // 255 + 1
        # A full page is written when the next packet arrives rather than at
        # once, so close() always has a packet left to carry end of stream.
        if self._pending_lacing + lacing > _MAX_LACING or len(self._pending) >= self._per_page:
            self._flush_pending(flags=0x00)
        self._pending.append(bytes(packet))
        self._pending_lacing += lacing
        self._granule += samples
        self._packets += 1

    def close(self) -> float:
        """Write the last page (end of stream), sync it to disk and rename the
        file to its final path; return the duration in seconds. Calling it
        again does nothing and returns the same duration."""
        if self._finished is not None:
            return self._finished
        if self._file is None:
            raise ValueError("the writer was aborted or failed to close")
        f = self._file
        try:
            # The last page carries the end-of-stream flag (an empty page only
            # when no packet was ever written).
            self._flush_pending(flags=0x04)
            os.fsync(f.fileno())
        finally:
            self._file = None
            f.close()
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
        if self._file is not None:
            f, self._file = self._file, None
            f.close()
        self._part.unlink(missing_ok=True)

    def _flush_pending(self, *, flags: int) -> None:
        """Write the waiting packets as one page (also when none wait and
        ``flags`` asks for end of stream)."""
        if not self._pending and not flags & 0x04:
            return
        # RFC 7845, section 4: a page's granule position is the number of 48 kHz
        # samples up to and including the last packet completed on it, counted
        # from the start of the stream *with* the pre-skip samples; players
        # subtract pre_skip themselves. Every page here ends on a packet
        # boundary, so it is simply the running total of packet samples.
        self._write_page(self._pending, granule=self._granule, flags=flags)
        self._pending = []
        self._pending_lacing = 0

    def _write_page(self, packets: list[bytes], *, granule: int, flags: int) -> None:
        """Frame ``packets`` (which end on this page) as one Ogg page and write it."""
        assert self._file is not None
        segments = b"".join(_lacing(len(p)) for p in packets)
        fields = (0, flags, granule, self._serial, self._sequence, 0, len(segments))
        header = b"OggS" + struct.pack("<BBqIIIB", *fields)
        page = bytearray(header + segments + b"".join(packets))
        struct.pack_into("<I", page, 22, _ogg_crc(bytes(page)))
        self._file.write(page)
        self._file.flush()
        self._sequence += 1
