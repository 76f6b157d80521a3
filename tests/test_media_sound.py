"""The programme's sound in 60 ms packets: taken from the sources every
20 ms, mixed and encoded once a window, each display in one listener
group per window, the timestamps the windows' own across a stalled loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import av
import numpy as np
import pytest

from session_server.media.program import (
    AUDIO_RATE,
    CHUNK_BYTES,
    FRAME_SAMPLES,
    PACKET_SAMPLES,
    Program,
    _Source,
)

HALL, DISTRICT = "hoi-truong", "long-xuyen"


def tone(hz: float, ticks: int = 1) -> bytes:
    """``ticks`` × 20 ms of a stereo sine at ``hz``."""
    t = np.arange(ticks * FRAME_SAMPLES) / AUDIO_RATE
    mono = (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return np.repeat(mono, 2).tobytes()


def decoded(packet: bytes) -> np.ndarray:
    """The samples of one Opus packet (left channel)."""
    codec = av.CodecContext.create("libopus", "r")
    frames = codec.decode(av.Packet(packet))
    assert len(frames) == 1
    samples = frames[0].to_ndarray()
    if samples.shape[0] == 1:  # packed: left and right interleaved
        return samples[0][::2]
    return samples[0]


def power(samples: np.ndarray, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    bin_ = round(hz * len(samples) / AUDIO_RATE)
    return float(spectrum[bin_ - 1 : bin_ + 2].max())


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    program = Program()
    program.set_main(HALL)
    for bridge_id in (HALL, DISTRICT):
        program.sources[bridge_id] = _Source(bridge_id)
    yield program
    await program.stop()


def speak(program: Program, bridge_id: str, hz: float, ticks: int = 1) -> None:
    program.sources[bridge_id].pcm += tone(hz, ticks)


async def test_one_packet_per_window_of_60_ms(program: Program) -> None:
    await asyncio.sleep(0)
    display, _ = program.subscribe(DISTRICT)
    audio = next(t for t in program.audio_tracks if t.listener == DISTRICT)
    speak(program, HALL, 1000, ticks=3)
    assert program._audio_tick(3) == []
    assert program._audio_tick(4) == []
    out = program._audio_tick(5)
    assert len(out) == 1
    packet, tracks = out[0]
    assert tracks == [audio] and display.kind == "video"
    assert packet.pts == 3 * FRAME_SAMPLES  # the window's first sample
    samples = decoded(bytes(packet))
    assert len(samples) == PACKET_SAMPLES
    assert power(samples, 1000) > 1000 * power(samples, 3000)
    assert program.encoded_audio == 1


async def test_a_stalled_loop_ends_the_window_it_left(program: Program) -> None:
    program.subscribe(None)
    speak(program, HALL, 1000, ticks=4)
    program._audio_tick(6)
    program._audio_tick(7)
    # the loop stalled: ticks 8 to 11 never came
    out = program._audio_tick(12)
    assert [packet.pts for packet, _ in out] == [6 * FRAME_SAMPLES]
    assert len(decoded(bytes(out[0][0]))) == PACKET_SAMPLES  # its last 20 ms: silence
    out = program._audio_tick(13) + program._audio_tick(14)
    assert [packet.pts for packet, _ in out] == [12 * FRAME_SAMPLES]


async def test_each_display_one_packet_a_window_without_its_own_room(program: Program) -> None:
    program.subscribe(DISTRICT)
    program.subscribe(None)
    in_district = next(t for t in program.audio_tracks if t.listener == DISTRICT)
    elsewhere = next(t for t in program.audio_tracks if t.listener is None)
    speak(program, HALL, 1000, ticks=3)
    speak(program, DISTRICT, 3000, ticks=2)
    program._audio_tick(0)
    program.set_floor(DISTRICT)  # the district speaks from the second tick
    program.sources[DISTRICT].pcm[:] = tone(3000, 2)
    program._audio_tick(1)
    out = program._audio_tick(2)
    by_track = {track: packet for packet, tracks in out for track in tracks}
    assert set(by_track) == {in_district, elsewhere}
    assert len(out) == 2  # one encode per listener group
    heard_in_district = decoded(bytes(by_track[in_district]))
    heard_elsewhere = decoded(bytes(by_track[elsewhere]))
    # the district hears the hall, never itself; the others hear both
    assert power(heard_in_district, 1000) > 100 * power(heard_in_district, 3000)
    assert power(heard_elsewhere, 3000) > 0.1 * power(heard_elsewhere, 1000)


async def test_the_recorder_gets_the_full_mix_in_60_ms_packets(program: Program) -> None:
    recorded: list[tuple[bytes, int]] = []
    program.on_audio = lambda packet, samples: recorded.append((packet, samples))
    heard: list[bytes | None] = []
    program.on_sound = heard.append
    speak(program, HALL, 1000, ticks=6)
    for tick in range(3):
        program._audio_tick(tick)
    assert recorded == []  # nothing recorded outside a floor segment
    program.recording = True
    for tick in range(3, 6):
        program._audio_tick(tick)
    assert [samples for _, samples in recorded] == [PACKET_SAMPLES]
    assert len(decoded(recorded[0][0])) == PACKET_SAMPLES
    # the on-air encoder still gets every 20 ms
    assert [len(pcm or b"") for pcm in heard] == [CHUNK_BYTES] * 6
