"""The Ogg/Opus writer: real Opus from libopus read back by FFmpeg, and the
page framing checked by an independent parser in this file."""

from __future__ import annotations

import math
import os
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from session_server.media.ogg import OggOpusWriter

# --- an independent Ogg parser (deliberately not sharing code with the writer) ---


def bitwise_ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 bit by bit: polynomial 0x04C11DB7, MSB first, init 0."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


@dataclass
class Page:
    flags: int
    granule: int
    serial: int
    sequence: int
    crc: int
    crc_ok: bool
    lacing: list[int]
    packets: list[bytes]  # packets completed on this page (none continue here)


def parse_pages(data: bytes) -> list[Page]:
    pages = []
    pos = 0
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS", f"no capture pattern at {pos}"
        version, flags, granule, serial, seq, crc, nseg = struct.unpack_from(
            "<BBqIIIB", data, pos + 4
        )
        assert version == 0
        lacing = list(data[pos + 27 : pos + 27 + nseg])
        body_start = pos + 27 + nseg
        body_len = sum(lacing)
        end = body_start + body_len
        assert end <= len(data), "truncated page"
        raw = bytearray(data[pos:end])
        raw[22:26] = b"\0\0\0\0"
        packets, current, offset = [], b"", body_start
        for value in lacing:
            current += data[offset : offset + value]
            offset += value
            if value < 255:
                packets.append(current)
                current = b""
        assert current == b"", "writer should never continue a packet on the next page"
        crc_ok = bitwise_ogg_crc(bytes(raw)) == crc
        pages.append(Page(flags, granule, serial, seq, crc, crc_ok, lacing, packets))
        pos = end
    return pages


# --- helpers ---


def sine_packets(seconds: float = 3.0) -> list[tuple[bytes, int]]:
    """A stereo 440 Hz sine encoded by libopus: (packet, duration) pairs."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.open()
    out: list[tuple[bytes, int]] = []
    frames = round(seconds * 48000 / 960)
    for i in range(frames):
        pcm = array("h")
        for n in range(960):
            v = int(12000 * math.sin(2 * math.pi * 440 * (i * 960 + n) / 48000))
            pcm.extend((v, v))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000
        frame.pts = i * 960
        out.extend((bytes(p), int(p.duration)) for p in codec.encode(frame))
    out.extend((bytes(p), int(p.duration)) for p in codec.encode(None))
    return out


# --- tests ---


def test_real_opus_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "floor-1.opus"
    writer = OggOpusWriter(target)
    packets = sine_packets(3.0)
    for packet, duration in packets:
        # libopus reports the last packet's duration as only the samples that
        # are real audio; passing it makes the final granule trim the padding.
        writer.write(packet, samples=duration)
    assert writer.packets == len(packets)
    returned = writer.close()
    assert returned == pytest.approx(3.0, abs=0.020)
    assert writer.close() == returned  # a second close is a no-op
    assert target.exists()
    assert not Path(str(target) + ".part").exists()

    loudest = 0.0
    decoded = 0
    with av.open(str(target)) as container:
        assert "ogg" in container.format.name
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.channels == 2
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
        for frame in container.decode(stream):
            decoded += frame.samples
            for out in resampler.resample(frame):
                pcm = array("h", bytes(out.planes[0]))
                loudest = max(loudest, max(abs(s) for s in pcm[: out.samples * 2]))
    assert decoded / 48000 == pytest.approx(3.0, abs=0.020)
    assert loudest > 1000


def test_page_structure_and_crc(tmp_path: Path) -> None:
    target = tmp_path / "a.opus"
    writer = OggOpusWriter(target, page_seconds=0.2)
    packets = sine_packets(1.0)
    for packet, duration in packets:
        writer.write(packet, samples=duration)
    writer.close()
    pages = parse_pages(target.read_bytes())
    assert len(pages) > 4
    assert all(p.crc_ok for p in pages)
    assert [p.sequence for p in pages] == list(range(len(pages)))
    assert len({p.serial for p in pages}) == 1
    assert [bool(p.flags & 0x02) for p in pages] == [True] + [False] * (len(pages) - 1)
    assert [bool(p.flags & 0x04) for p in pages] == [False] * (len(pages) - 1) + [True]
    granules = [p.granule for p in pages]
    assert granules == sorted(granules)
    assert granules[:2] == [0, 0]
    assert all(len(p.packets) <= 11 for p in pages[2:])  # about 0.2 s a page
    assert [pk for p in pages[2:] for pk in p.packets] == [pk for pk, _ in packets]

    head, tags = pages[0], pages[1]
    assert len(head.packets) == 1 and len(head.packets[0]) == 19
    magic, version, channels, pre_skip, rate, _gain, family = struct.unpack(
        "<8sBBHIhB", head.packets[0]
    )
    assert (magic, version, channels, pre_skip, rate, family) == (
        b"OpusHead",
        1,
        2,
        312,
        48000,
        0,
    )
    assert len(tags.packets) == 1 and tags.packets[0][:8] == b"OpusTags"


def test_abort_and_errors(tmp_path: Path) -> None:
    target = tmp_path / "x.opus"
    writer = OggOpusWriter(target)
    writer.write(b"\xfc\x00")
    assert Path(str(target) + ".part").exists()
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        writer.write(b"\xfc\x00")

    writer = OggOpusWriter(target)
    with pytest.raises(ValueError):
        writer.write(b"")
    with pytest.raises(ValueError):
        writer.write(bytes(255 * 255))
    assert writer.duration == 0.0  # nothing yet, and pre-skip never goes negative
    writer.write(b"\xfc\x00")
    assert writer.path == target
    writer.close()
    with pytest.raises(ValueError):
        writer.write(b"\xfc\x00")
    writer.abort()  # after a finished close the recording is kept
    assert target.exists()

    with pytest.raises(ValueError):
        OggOpusWriter(tmp_path / "y.opus", channels=3)
    with pytest.raises(ValueError):
        OggOpusWriter(tmp_path / "y.opus", page_seconds=0)
    assert not (tmp_path / "y.opus.part").exists()
    with pytest.raises(ValueError):
        writer.write(b"\xfc\x00", samples=0)


def test_mono_header(tmp_path: Path) -> None:
    target = tmp_path / "mono.opus"
    writer = OggOpusWriter(target, channels=1)
    writer.write(b"\xfc\x00")
    assert writer.close() == pytest.approx((960 - 312) / 48000)
    head = parse_pages(target.read_bytes())[0].packets[0]
    assert head[9] == 1


def test_no_packets_gives_valid_empty_stream(tmp_path: Path) -> None:
    target = tmp_path / "empty.opus"
    assert OggOpusWriter(target).close() == 0.0
    pages = parse_pages(target.read_bytes())
    assert len(pages) >= 2 and all(p.crc_ok for p in pages)
    assert pages[0].packets[0][:8] == b"OpusHead" and pages[1].packets[0][:8] == b"OpusTags"


def test_crash_keeps_flushed_pages(tmp_path: Path) -> None:
    target = tmp_path / "crash.opus"
    writer = OggOpusWriter(target)
    payload = [os.urandom(100 + i) for i in range(120)]
    for packet in payload:
        writer.write(packet)
    # No close(): read what another process would see on disk right now.
    part = Path(str(target) + ".part")
    assert part.stat().st_mode & 0o777 == 0o600
    pages = parse_pages(part.read_bytes())
    on_disk = [pk for p in pages[2:] for pk in p.packets]
    # 2.4 s written in pages of 0.5 s: all but the last page or two are on disk
    assert len(on_disk) >= 60
    assert on_disk == payload[: len(on_disk)]
    assert all(p.crc_ok for p in pages)
    assert not any(p.flags & 0x04 for p in pages)
    writer.abort()


CHILD = """
import sys, time
from session_server.media.ogg import OggOpusWriter
from tests.test_media_ogg import sine_packets
packets = sine_packets(4.0)
writer = OggOpusWriter(sys.argv[1])
print("recording", flush=True)
start = time.monotonic()
for n, (packet, samples) in enumerate(packets):
    writer.write(packet, samples)
    time.sleep(max(0.0, start + (n + 1) * 0.02 - time.monotonic()))
"""


def test_a_kill_9_leaves_a_part_that_plays(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "killed.opus"
    root = Path(__file__).resolve().parents[1]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"recording"
        time.sleep(3.0)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    part = Path(str(target) + ".part")
    assert not target.exists() and part.exists()
    decoded = 0
    with av.open(str(part), format="ogg") as container:
        for frame in container.decode(audio=0):
            decoded += frame.samples
    # about a second at risk: the rest of the 3 s plays
    assert decoded / 48000 >= 1.5, decoded / 48000
