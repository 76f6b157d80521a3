"""The programme's way out to the hall displays (``media/outlet.py``) and
the bandwidth estimator of a feed on standby (``media/gate.py``), with real
aiortc peer connections on loopback: what each display's receiver gets on
the wire, and what its RTCP (reports, NACK, PLI) does on the server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, clock
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import (
    RTCP_RTPFB_NACK,
    RTP_HISTORY_SIZE,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    is_rtcp,
)

from session_server.core import commands as c
from session_server.demo import MAIN_BRIDGE
from session_server.media import outlet as outlet_module
from session_server.media.outlet import Outlet, _path
from session_server.media.program import PACKET_SAMPLES, PacketTrack, Program
from tests.conftest import MODERATOR
from tests.media_peers import Display, wait_for
from tests.test_media import (
    BRIGHT,
    DARK,
    DISTRICT,
    DISTRICT_HZ,
    HALL_HZ,
    OTHER,
    Day,
    display,
    media_day,
)

pytestmark = pytest.mark.slow

KINDS = ("video", "audio")
ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"
NACKS = "_RTCRtpReceiver__nack_generator"
RTX_SEQUENCE = "_RTCRtpSender__rtx_sequence_number"


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Day]:
    async with media_day(tmp_path) as the_day:
        yield the_day


# --- a display, and its connection on the server --------------------------------


@dataclass
class Screen:
    peer: Display
    server: RTCPeerConnection

    def sender(self, kind: str) -> RTCRtpSender:
        return next(s for s in self.server.getSenders() if s.kind == kind)

    def track(self, kind: str) -> PacketTrack:
        track = self.sender(kind).track
        assert isinstance(track, PacketTrack)
        return track

    def outlet(self, kind: str) -> Outlet:
        outlet = self.track(kind).outlet
        assert outlet is not None
        return outlet

    def codec(self, kind: str, mime: str) -> RTCRtpCodecParameters | None:
        """The codec negotiated with this display (None: not negotiated)."""
        transceiver = next(t for t in self.server.getTransceivers() if t.kind == kind)
        return next((x for x in transceiver._codecs if x.mimeType.lower() == mime), None)

    def receiver(self, kind: str) -> RTCRtpReceiver:
        return next(t.receiver for t in self.peer.pc.getTransceivers() if t.kind == kind)

    def mid(self, kind: str) -> str | None:
        return next(t.mid for t in self.peer.pc.getTransceivers() if t.kind == kind)


async def view(day: Day, bridge: str, peer: Display | None = None) -> Screen:
    """A display at ``bridge`` showing the programme."""
    peer = peer or Display()
    day.peers.append(peer)
    before = set(day.media.viewers)
    await peer.start(day.signal(display(bridge)))
    (server,) = set(day.media.viewers) - before
    await wait_for(lambda: len(peer.frames) > 3, 10, f"pictures on the display at {bridge}")
    return Screen(peer, server)


def program_of(day: Day) -> Program:
    program = day.media.program
    assert program is not None
    return program


# --- what a display's receiver gets -------------------------------------------------


@dataclass
class Seen:
    """One RTP packet as a display's receiver got it (after SRTP)."""

    ssrc: int
    seq: int
    timestamp: int
    payload_type: int
    marker: int
    mid: str | None
    payload: bytes


def tap(receiver: RTCRtpReceiver) -> list[Seen]:
    """Every RTP packet the receiver gets from now on, in order."""
    seen: list[Seen] = []
    handle = receiver._handle_rtp_packet

    async def recording(packet: RtpPacket, arrival_time_ms: int) -> None:
        seen.append(
            Seen(
                packet.ssrc,
                packet.sequence_number,
                packet.timestamp,
                packet.payload_type,
                packet.marker,
                packet.extensions.mid,
                bytes(packet.payload),
            )
        )
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = recording  # type: ignore[method-assign]
    return seen


def tap_reports(receiver: RTCRtpReceiver) -> list[RtcpSrPacket]:
    """Every RTCP sender report the receiver gets from now on."""
    reports: list[RtcpSrPacket] = []
    handle = receiver._handle_rtcp_packet

    async def recording(packet: Any) -> None:
        if isinstance(packet, RtcpSrPacket):
            reports.append(packet)
        await handle(packet)

    receiver._handle_rtcp_packet = recording  # type: ignore[method-assign]
    return reports


def lose_next(peer: Display, ssrc: int) -> list[int]:
    """The display's network loses the next RTP packet of ``ssrc`` (a
    datagram gone before SRTP sees it); its sequence number goes into the
    list returned."""
    ice: Any = peer.pc.getTransceivers()[0].receiver.transport.transport
    recv: Callable[[], Awaitable[bytes]] = ice._recv
    lost: list[int] = []

    async def lossy() -> bytes:
        while True:
            data = await recv()
            rtp = 127 < data[0] < 192 and not is_rtcp(data)
            if not lost and rtp and int.from_bytes(data[8:12], "big") == ssrc:
                lost.append(int.from_bytes(data[2:4], "big"))
                continue
            return data

    ice._recv = lossy
    return lost


def consecutive(seqs: list[int]) -> bool:
    return all((b - a) & 0xFFFF == 1 for a, b in pairwise(seqs))


async def stats_of(source: RTCRtpSender | RTCRtpReceiver, kind: str, ssrc: int) -> Any:
    """``source``'s stats of that type about that stream (None: none yet)."""
    report = await source.getStats()
    return next((s for s in report.values() if s.type == kind and s.ssrc == ssrc), None)


def nack(sender: RTCRtpSender, seq: int) -> RtcpRtpfbPacket:
    return RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=sender._ssrc, lost=[seq])


# --- the tests -----------------------------------------------------------------------


@pytest.mark.parametrize("direct", [True, False], ids=["to-the-socket", "through-aiortc"])
async def test_each_display_gets_a_stream_of_its_own(
    day: Day, direct: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not direct:  # as when aiortc or aioice hold the socket differently
        monkeypatch.setattr(outlet_module, "_path", lambda transport: None)
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    first = await view(day, DISTRICT)
    # another kind of display: its offer's sections the other way round, so
    # its packets carry other ``mid``s than the first's
    second = await view(day, OTHER, Display(kinds=("audio", "video")))
    screens = (first, second)
    assert first.mid("video") != second.mid("video")
    for kind in KINDS:
        assert first.outlet(kind).key != second.outlet(kind).key
        assert first.sender(kind)._ssrc != second.sender(kind)._ssrc
        for screen in screens:
            assert screen.outlet(kind).ready
            # straight to the socket with these aiortc and aioice
            assert _path(screen.sender(kind).transport) is not None

    # each sender's counters, and the outlet's next sequence number at that moment
    sent = {
        (s.peer, kind): (
            await stats_of(s.sender(kind), "outbound-rtp", s.sender(kind)._ssrc),
            s.outlet(kind).seq,
        )
        for s in screens
        for kind in KINDS
    }
    taps = {(s.peer, kind): tap(s.receiver(kind)) for s in screens for kind in KINDS}
    reports = {(s.peer, kind): tap_reports(s.receiver(kind)) for s in screens for kind in KINDS}
    await asyncio.sleep(1.5)

    for screen in screens:
        assert len(screen.peer.frames) > 10
        assert screen.peer.audio_power(HALL_HZ) > 50
        for kind in KINDS:
            sender = screen.sender(kind)
            codec = screen.codec(kind, "video/vp8" if kind == "video" else "audio/opus")
            assert codec is not None
            seen = taps[(screen.peer, kind)]
            assert len(seen) > (10 if kind == "video" else 18), kind
            # the display's own stream: its SSRC, payload type and mid, not one
            # sequence number skipped, the timestamps moving on
            assert {p.ssrc for p in seen} == {sender._ssrc}, kind
            assert {p.payload_type for p in seen} == {codec.payloadType}, kind
            assert {p.mid for p in seen} == {screen.mid(kind)}, kind
            assert consecutive([p.seq for p in seen]), kind
            steps = [(b.timestamp - a.timestamp) & 0xFFFFFFFF for a, b in pairwise(seen)]
            assert all(step < 90_000 for step in steps), kind
            if kind == "video":  # each picture's last packet is marked
                pictures = len({p.timestamp for p in seen})
                assert sum(p.marker for p in seen) >= pictures - 1 > 8
            else:  # 60 ms of sound a packet
                assert steps.count(PACKET_SAMPLES) >= len(steps) - 2, steps
            # byte for byte what the outlet sent (the packets it still keeps)
            outlet = screen.outlet(kind)
            kept = {seq: (ts, RtpPacket.parse(t)) for seq, ts, t in outlet._history.values()}
            compared = [(p, kept[p.seq]) for p in seen if p.seq in kept]
            assert len(compared) > 10, kind
            for p, (ts, packet) in compared:
                assert (p.timestamp, p.marker, p.payload) == (ts, packet.marker, packet.payload)

            received = await stats_of(screen.receiver(kind), "inbound-rtp", sender._ssrc)
            assert received is not None, kind
            assert received.packetsReceived >= len(seen) and received.packetsLost == 0, kind
            # the counters the outlet keeps for aiortc's sender reports
            before, next_seq = sent[(screen.peer, kind)]
            after = await stats_of(sender, "outbound-rtp", sender._ssrc)
            counted = [p for p in seen if (p.seq - next_seq) & 0xFFFF < 0x8000]  # sent since
            assert len(counted) > len(seen) - 5, kind
            assert after.packetsSent >= before.packetsSent + len(counted), kind
            assert after.bytesSent > before.bytesSent, kind

    # one picture, packetised once: the displays got the same payloads
    ours, theirs = ([p.payload for p in taps[(s.peer, "video")]] for s in screens)
    assert len(set(ours) & set(theirs)) > min(len(ours), len(theirs)) * 0.8

    # RTCP both ways: each display's receiver reports on the outlet's stream
    # reach its sender (aiortc takes only a report about the sender's SSRC)…
    async def reported() -> bool:
        for screen in screens:
            for kind in KINDS:
                report = await screen.sender(kind).getStats()
                if not any(s.type == "remote-inbound-rtp" for s in report.values()):
                    return False
        return True

    deadline = time.monotonic() + 5
    while not await reported():
        assert time.monotonic() < deadline, "no receiver reports within 5 s"
        await asyncio.sleep(0.1)
    for screen in screens:
        for kind in KINDS:
            sender = screen.sender(kind)
            report = await sender.getStats()
            remote = next(s for s in report.values() if s.type == "remote-inbound-rtp")
            assert remote.packetsLost == 0, kind
            # …and the sender reports, from the counters the outlet keeps, reach
            # the display: its stream's clock (the NTP time of one of its RTP
            # timestamps, for lip sync) and how much was sent
            sr = reports[(screen.peer, kind)][-1]
            assert sr.ssrc == sender._ssrc, kind
            info = sr.sender_info
            assert info.rtp_timestamp in {p.timestamp for p in taps[(screen.peer, kind)]}, kind
            skew = clock.current_datetime() - clock.datetime_from_ntp(info.ntp_timestamp)
            assert abs(skew.total_seconds()) < 3, kind
            received = await stats_of(screen.receiver(kind), "inbound-rtp", sender._ssrc)
            assert 0 < info.packet_count <= received.packetsReceived, kind


async def test_a_lost_packet_is_sent_again(day: Day) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)

    # a display that negotiated RTX gets the lost packet on its RTX stream
    screen = await view(day, DISTRICT)
    sender, outlet = screen.sender("video"), screen.outlet("video")
    rtx = screen.codec("video", "video/rtx")
    assert rtx is not None and outlet._rtx_type == rtx.payloadType
    seen = tap(screen.receiver("video"))
    lost = lose_next(screen.peer, sender._ssrc)
    # the display's aiortc notices the gap and sends a NACK on its own
    await wait_for(lambda: any(p.ssrc == sender._rtx_ssrc for p in seen), 2, "the RTX packet")
    (seq,) = lost
    again = next(p for p in seen if p.ssrc == sender._rtx_ssrc)
    assert again.payload_type == rtx.payloadType
    assert int.from_bytes(again.payload[:2], "big") == seq
    kept_seq, timestamp, template = outlet._history[seq % RTP_HISTORY_SIZE]
    assert kept_seq == seq and again.timestamp == timestamp
    assert again.payload[2:] == RtpPacket.parse(template).payload  # what was lost, again
    assert getattr(screen.receiver("video"), NACKS).missing == set()  # nothing missing now

    # a NACK for what is not in the history sends nothing; one for what is, once
    rtx_seq = getattr(sender, RTX_SEQUENCE)
    latest = (outlet.seq - 1) & 0xFFFF
    gone = (latest - RTP_HISTORY_SIZE) & 0xFFFF  # the same slot, overwritten by ``latest``
    never = (latest + 1000) & 0xFFFF
    for missing in (gone, never):
        await sender._handle_rtcp_packet(nack(sender, missing))
    assert getattr(sender, RTX_SEQUENCE) == rtx_seq
    await sender._handle_rtcp_packet(nack(sender, latest))
    assert getattr(sender, RTX_SEQUENCE) == (rtx_seq + 1) & 0xFFFF
    await wait_for(
        lambda: sum(p.ssrc == sender._rtx_ssrc for p in seen) == 2, 2, "the second RTX packet"
    )
    await asyncio.sleep(0.3)
    resent = [int.from_bytes(p.payload[:2], "big") for p in seen if p.ssrc == sender._rtx_ssrc]
    assert resent == [seq, latest]

    # a display without RTX gets the packet itself, with its own sequence number
    plain = await view(day, OTHER, Display(rtx=False))
    sender, outlet = plain.sender("video"), plain.outlet("video")
    assert plain.codec("video", "video/rtx") is None and outlet._rtx_type is None
    seen = tap(plain.receiver("video"))
    lost = lose_next(plain.peer, sender._ssrc)
    await wait_for(lambda: bool(lost) and any(p.seq == lost[0] for p in seen), 2, "the packet")
    (seq,) = lost
    (again,) = [p for p in seen if p.seq == seq]
    assert again.ssrc == sender._ssrc and seen.index(again) > 0  # after the ones that followed it
    assert getattr(plain.receiver("video"), NACKS).missing == set()
    received = await stats_of(plain.receiver("video"), "inbound-rtp", sender._ssrc)
    assert received.packetsLost == 0


async def test_a_displays_keyframe_request_reaches_the_one_encoder(day: Day) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    screens = [await view(day, DISTRICT), await view(day, OTHER)]
    program = program_of(day)
    encoded: list[tuple[float, bool]] = []
    """(when, whether a keyframe) of every picture the programme encodes."""
    encode = program._video.encode

    def recording(frame: Any, pts: int, keyframe: bool) -> Any:
        packets = encode(frame, pts, keyframe)
        encoded.append((time.monotonic(), any(p.is_keyframe for p in packets)))
        return packets

    program._video.encode = recording  # type: ignore[method-assign]

    def steady() -> bool:  # the displays' first keyframes are past
        return len(encoded) >= 5 and not any(key for _, key in encoded[-5:])

    def keyframe_since(moment: float) -> Callable[[], bool]:
        return lambda: any(key for at, key in encoded if at > moment)

    for screen in screens:
        await wait_for(steady, 5, "pictures without keyframes")
        asked = time.monotonic()
        # an RTCP PLI from the display, over the wire, about its video stream
        await screen.receiver("video")._send_rtcp_pli(screen.sender("video")._ssrc)
        await wait_for(keyframe_since(asked), 2, "a keyframe")


async def test_a_display_that_leaves_stops_its_outlets_and_the_others_go_on(
    day: Day, caplog: pytest.LogCaptureFixture
) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    leaving = await view(day, DISTRICT)
    staying = await view(day, OTHER)
    program = program_of(day)
    tracks = [leaving.track(kind) for kind in KINDS]
    outlets = [leaving.outlet(kind) for kind in KINDS]
    assert set(tracks) <= program.video_tracks | program.audio_tracks
    assert all(outlet.ready for outlet in outlets)

    day.peers.remove(leaving.peer)
    await leaving.peer.close()
    await wait_for(lambda: leaving.server not in day.media.viewers, 5, "the display gone")
    await wait_for(lambda: not any(o.ready for o in outlets), 2, "its outlets stopped")
    assert not set(tracks) & (program.video_tracks | program.audio_tracks)
    assert program.video_tracks == {staying.track("video")}
    assert program.audio_tracks == {staying.track("audio")}

    frames, sound = len(staying.peer.frames), len(staying.peer.audio)
    seen = tap(staying.receiver("video"))
    await asyncio.sleep(1.0)
    assert all(staying.outlet(kind).ready for kind in KINDS)
    assert len(staying.peer.frames) > frames + 5
    assert len(staying.peer.audio) - sound > 48_000 * 4 // 4  # a quarter of a second
    assert len(seen) > 10 and consecutive([p.seq for p in seen])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing failed


async def test_a_display_whose_sending_fails_does_not_stop_the_others(
    day: Day, caplog: pytest.LogCaptureFixture
) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    broken = await view(day, DISTRICT)
    staying = await view(day, OTHER)
    # sending to it fails on every packet (its history broken)
    outlet = broken.outlet("video")
    history = outlet._history
    outlet._history = None  # type: ignore[assignment]
    try:
        frames = len(staying.peer.frames)
        seen = tap(staying.receiver("video"))
        await asyncio.sleep(1.0)
    finally:
        outlet._history = history
    assert len(staying.peer.frames) > frames + 5, "the other display kept getting pictures"
    assert len(seen) > 10 and consecutive([p.seq for p in seen])
    failures = [r for r in caplog.records if "sending the programme" in r.getMessage()]
    assert len(failures) == 1, "logged once, not once a packet"


async def test_a_feed_is_bandwidth_estimated_only_while_decoded(day: Day) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)

    def receiver(bridge: str, kind: str = "video") -> RTCRtpReceiver:
        pc = day.media.publishers[bridge].pc
        return next(r for r in pc.getReceivers() if r.track.kind == kind)

    def estimator(bridge: str) -> Any:
        return getattr(receiver(bridge), ESTIMATOR)

    # nobody holds the floor: the main venue alone is decoded
    assert estimator(MAIN_BRIDGE) is not None
    assert estimator(DISTRICT) is None

    await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    first = estimator(DISTRICT)
    assert first is not None
    ssrc = next(s.source for s in receiver(DISTRICT).getSynchronizationSources())
    await wait_for(lambda: ssrc in first.ssrcs, 2, "the estimator fed")

    await day.run(c.ReleaseFloor(MODERATOR))
    assert estimator(DISTRICT) is None
    assert estimator(MAIN_BRIDGE) is not None

    await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    assert estimator(DISTRICT) is not None and estimator(DISTRICT) is not first  # a fresh one
    assert getattr(receiver(DISTRICT, "audio"), ESTIMATOR) is None  # sound never had one
