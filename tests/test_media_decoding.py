"""Which feeds the programme decodes (``media/decoding.py``), and how the
gate before a decoder tells a keyframe (``media/gate.py``): plain functions,
no event loop, no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import av
import pytest

from session_server.core.model import (
    BridgeKind,
    BridgePoint,
    Floor,
    FloorRequest,
    FloorRequestStatus,
    State,
)
from session_server.media.decoding import feeds_to_decode
from session_server.media.gate import is_keyframe

T0 = datetime(2025, 3, 26, 8, 0, tzinfo=UTC)
MAIN = "tinh"


def day(
    holder: str | None = None,
    requests: tuple[tuple[str, FloorRequestStatus], ...] = (),
    main: bool = True,
) -> State:
    bridges = {b: BridgePoint(b, b.upper(), BridgeKind.REMOTE) for b in ("a", "b", "c", "d", "e")}
    if main:
        bridges[MAIN] = BridgePoint(MAIN, "Hall", BridgeKind.MAIN)
    state = State(bridges=bridges, floor=Floor(holder=holder))
    for n, (bridge, status) in enumerate(requests, start=1):
        state.floor_requests[n] = FloorRequest(
            n, bridge, "", T0 + timedelta(minutes=n), status=status
        )
    return state


PENDING = FloorRequestStatus.PENDING


def test_nobody_holds_the_floor_and_nobody_asks_only_the_main_venue() -> None:
    assert feeds_to_decode(day()) == {MAIN}


def test_the_floor_holder_and_the_main_venue() -> None:
    assert feeds_to_decode(day(holder="b")) == {"b", MAIN}
    assert feeds_to_decode(day(holder=MAIN)) == {MAIN}


def test_the_head_of_the_floor_request_queue_and_only_the_head() -> None:
    state = day(holder="a", requests=(("c", PENDING), ("d", PENDING), ("e", PENDING)))
    assert feeds_to_decode(state) == {"a", MAIN, "c"}


def test_requests_no_longer_pending_are_not_the_head() -> None:
    state = day(
        requests=(
            ("c", FloorRequestStatus.GRANTED),
            ("d", FloorRequestStatus.DECLINED),
            ("e", FloorRequestStatus.CANCELLED),
            ("b", PENDING),
            ("a", PENDING),
        )
    )
    assert feeds_to_decode(state) == {MAIN, "b"}


def test_the_holders_own_request_does_not_hide_the_next_one() -> None:
    state = day(holder="c", requests=(("c", PENDING), ("d", PENDING)))
    assert feeds_to_decode(state) == {"c", MAIN, "d"}


def test_a_dialogue_without_a_main_venue() -> None:
    assert feeds_to_decode(day(holder="a", main=False)) == {"a"}
    assert feeds_to_decode(day(main=False)) == frozenset()


def test_at_most_three_feeds_whatever_the_number_of_bridge_points() -> None:
    state = day(holder="a", requests=tuple((b, PENDING) for b in ("b", "c", "d", "e") * 10))
    assert len(feeds_to_decode(state)) == 3


# --- keyframes, on frames real encoders made ---------------------------------------


def _encode(codec_name: str, frames: int, **options: str) -> list[bytes]:
    codec: Any = av.CodecContext.create(codec_name, "w")
    codec.width, codec.height, codec.pix_fmt = 64, 48, "yuv420p"
    codec.time_base = Fraction(1, 15)
    codec.framerate = Fraction(15, 1)
    codec.gop_size = 1000
    codec.options = options
    out: list[bytes] = []
    for i in range(frames):
        frame = av.VideoFrame(64, 48, "yuv420p")
        for plane, value in zip(frame.planes, ((i * 37) % 200 + 20, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = i
        frame.time_base = Fraction(1, 15)
        out.extend(bytes(p) for p in codec.encode(frame))
    out.extend(bytes(p) for p in codec.encode(None))
    return out


def test_vp8_keyframe_and_delta_frames() -> None:
    packets = _encode("libvpx", 5, deadline="realtime", **{"lag-in-frames": "0"})
    assert len(packets) == 5
    assert [is_keyframe("video/VP8", p) for p in packets] == [True, False, False, False, False]


def test_h264_idr_and_other_frames() -> None:
    try:
        packets = _encode("libx264", 5, preset="ultrafast", tune="zerolatency")
    except (av.FFmpegError, ValueError):
        pytest.skip("no H.264 encoder in this PyAV")
    assert len(packets) == 5
    assert [is_keyframe("video/H264", p) for p in packets] == [True, False, False, False, False]


def test_sound_and_unknown_codecs_always_pass() -> None:
    assert is_keyframe("audio/opus", b"\x01\x02")
    assert is_keyframe("video/AV1", b"\x01")
    assert not is_keyframe("video/VP8", b"")
