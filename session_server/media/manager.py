"""One dialogue's media: the bridge points' peer connections, the floor
that drives the programme (and which feeds it decodes: ``media/decoding.py``),
the recorder, and each link's health.

Signaling rides the screen's own WebSocket: the browser sends
``{"type": "media", "op": "publish" | "view", "sdp": <offer>}`` with its
candidates gathered into the SDP; the server answers with
``{"type": "media", "op": "answer", "sdp": …}`` carrying its own. A bridge
operator's link publishes for its own bridge point only; a hall display's
link views. A new publication from a bridge point replaces the old one
(the console reconnecting, or a camera page taking over).

A publisher whose feed the programme does not decode (``media/decoding.py``)
is told so over its health channel (``quality standby``): the browser then
sends a small picture (a quarter of the size, 5 frames a second, at most
40 kbit/s) and no sound, until it is told ``quality full`` when the floor,
the head of the floor-request queue or the main venue makes it wanted. The
standby picture keeps the link's health measured (a camera that stops is
still seen), and the media node's event loop handles about 5 of its packets
a second instead of 140: with 63 bridge points publishing, receiving every
feed in full would take the node's whole core before anything is decoded.

A hall display's offer is answered without REMB (``goog-remb``): every
display gets the same encode at the programme's bitrate, so a display's
bandwidth estimate would change nothing, and a browser that negotiated it
sends one several times a second (each an SRTCP packet the node would
decrypt, parse and drop: some 370 a second from 63 displays).

Health, per publishing bridge point, once a second: the connection's state,
round-trip time (a ping over a data channel the publisher opens, on the
media path itself), packet loss and bitrate of what arrives. A bridge whose
connection fails, or whose picture stops for two seconds, is flagged at
once, and the floor is not given to it unless the moderator confirms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from session_server.config import IceServer
from session_server.core import commands as c
from session_server.core.errors import Forbidden, InvalidInput
from session_server.core.model import Actor, BridgeKind, Role, State
from session_server.media.broadcast import Broadcast, OnAirSettings
from session_server.media.decoding import feeds_to_decode
from session_server.media.gate import DecodeGate
from session_server.media.ice import configuration
from session_server.media.ogg import OggOpusWriter
from session_server.media.program import Program
from session_server.runtime.collector import collector
from session_server.store.base import Record

__all__ = ["LinkHealth", "MediaManager", "recording_path"]

logger = logging.getLogger(__name__)

MAX_SDP = 16_000
STALL_SECONDS = 2.0
"""No picture and no sound for this long: the bridge's feed is not live."""
HEALTH_EVERY = 1.0
RECORDER = Actor(Role.RECORDER)


@dataclass
class LinkHealth:
    """One bridge point's publishing link, as the moderator sees it."""

    state: str = "none"
    """``none`` (never published), ``connecting``, ``live``, ``stalled``
    (connected, nothing arriving), ``failed`` (the connection is gone)."""
    rtt_ms: float | None = None
    loss_pct: float | None = None
    kbps: float | None = None
    standby: bool = False
    """The publisher sends its standby picture (the programme does not need it now)."""

    @property
    def live(self) -> bool:
        return self.state == "live"


class _Publisher:
    def __init__(self, bridge_id: str, pc: RTCPeerConnection, link_id: str | None) -> None:
        self.bridge_id = bridge_id
        self.pc = pc
        self.link_id = link_id
        self.channel: Any = None
        self.tracks: list[tuple[MediaStreamTrack, DecodeGate | None]] = []
        self.rtt_ms: float | None = None
        self.prev: tuple[int, int, int, float] | None = None
        """(packets received, packets lost, bytes received, when)."""
        self.quality: str | None = None
        """What the publisher was last told to send: ``full`` or ``standby``."""

    def tell_quality(self, full: bool) -> None:
        """Ask the publisher for its full picture and sound, or for the
        standby picture only, over its health channel; once per change (a
        channel not open yet is told when it opens)."""
        quality = "full" if full else "standby"
        channel = self.channel
        if quality == self.quality or channel is None or channel.readyState != "open":
            return
        try:
            channel.send(f"quality {quality}")
        except Exception:  # the channel closing under us: told again on the next one
            logger.debug("could not tell %s its quality", self.bridge_id, exc_info=True)
            return
        self.quality = quality


class _Segment:
    def __init__(
        self, key: tuple[Any, ...], bridge_id: str, question_id: int | None, folder: Path
    ) -> None:
        self.key = key
        self.bridge_id = bridge_id
        self.question_id = question_id
        self.started_at = datetime.now(UTC)
        stamp = self.started_at.strftime("%Y%m%dT%H%M%S")
        safe_bridge = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in bridge_id)
        question = f"q{question_id}" if question_id is not None else "floor"
        self.recording_id = f"{stamp}-{safe_bridge[:24]}-{question}-{secrets.token_hex(2)}"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only
        self.writer = OggOpusWriter(folder / f"{self.recording_id}.ogg")


def recording_path(recordings_dir: str | Path, dialogue_id: str, file: str) -> Path:
    """Where a dialogue's recording is kept."""
    return Path(recordings_dir) / dialogue_id / file


def without_remb(offer: str) -> str:
    """``offer`` without its offers of REMB feedback (``a=rtcp-fb:<type>
    goog-remb``): an answer cannot accept what was not offered."""
    return "".join(
        line
        for line in offer.splitlines(keepends=True)
        if not (line.startswith("a=rtcp-fb:") and line.split()[1:2] == ["goog-remb"])
    )


class MediaManager:
    def __init__(
        self,
        dialogue_id: str,
        *,
        ice_servers: tuple[IceServer, ...] = (),
        recordings_dir: str | Path = "data/recordings",
        video_bitrate: int = 600_000,
        execute: Callable[[c.Command], Any] | None = None,
        changed: Callable[[], None] | None = None,
        onair: OnAirSettings | None = None,
    ) -> None:
        self.dialogue_id = dialogue_id
        self.ice_servers = ice_servers
        self.folder = recording_path(recordings_dir, dialogue_id, "")
        self.video_bitrate = video_bitrate
        self._execute = execute
        """Runs a core command (the recorder's ``SaveRecording``)."""
        self._changed = changed or (lambda: None)
        """Called when what the moderator's screen shows of the links changed."""
        self.program: Program | None = None
        self.publishers: dict[str, _Publisher] = {}
        self.viewers: dict[RTCPeerConnection, str | None] = {}
        """A display's connection → the link it was opened with."""
        self.health: dict[str, LinkHealth] = {}
        self.segment: _Segment | None = None
        self._main: str | None = None
        self._bridges: dict[str, BridgeKind] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finishing: set[asyncio.Task[None]] = set()
        self._stopping = False
        """Recordings of ended segments being closed and saved (awaited on stop)."""
        self._health_task: asyncio.Task[None] | None = None
        self.broadcast = (
            Broadcast(dialogue_id, self.folder, onair, execute) if onair is not None else None
        )
        """The programme on air while the day is live (``media/broadcast.py``)."""
        self._state: State | None = None
        self._decoding: frozenset[str] = frozenset()
        """The bridge points whose feeds the programme decodes (``feeds_to_decode``)."""

    # --- lifecycle -------------------------------------------------------------

    def start(self, state: State) -> None:
        if self.program is None:
            self.program = Program(video_bitrate=self.video_bitrate, on_audio=self._record)
            self._health_task = asyncio.create_task(self._health_loop(), name="media-health")
        self.follow(state)

    async def stop(self) -> None:
        self._stopping = True  # no new floor segment is recorded from now on
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health_task
        await self._end_segment()
        if self.broadcast is not None:
            await self.broadcast.stop(self._state)
        # segments ended just before: their recordings are closed and saved, not dropped
        await asyncio.gather(*self._finishing, return_exceptions=True)
        pcs = [p.pc for p in self.publishers.values()] + list(self.viewers)
        self.publishers.clear()
        self.viewers.clear()
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)
        if self.program is not None:
            await self.program.stop()
            self.program = None
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the floor drives the programme and the recorder ---------------------

    def on_records(self, records: list[Record], rebuilt: bool, state: State) -> None:
        if self.broadcast is not None:
            self.broadcast.on_records(records, state)
        self.follow(state)

    def follow(self, state: State) -> None:
        """Put the floor's holder on every display; start or end the floor
        segment being recorded."""
        self._bridges = {b.bridge_id: b.kind for b in state.bridges.values()}
        main = state.main_bridge()
        self._main = main.bridge_id if main else None
        program = self.program
        self._state = state
        if self.broadcast is not None and not self._stopping:
            self.broadcast.follow(state, program)
        if program is None:
            return
        program.set_main(self._main)
        floor = state.floor
        program.set_floor(floor.holder)
        decoding = feeds_to_decode(state)
        program.set_decoding(decoding)
        self._decoding = decoding
        marked = False
        for bridge_id, publisher in self.publishers.items():
            marked = self._tell(bridge_id, publisher) or marked
        if marked:  # the link panel's mark follows at once
            self._changed()
        key = (floor.holder, floor.question_id, floor.since)
        current = self.segment
        if current is not None and current.key == key:
            return
        self.segment = None
        if current is not None:
            finishing = asyncio.get_running_loop().create_task(self._finish(current))
            self._finishing.add(finishing)
            finishing.add_done_callback(self._finishing.discard)
        if floor.holder is not None and not self._stopping:
            try:
                self.segment = _Segment(key, floor.holder, floor.question_id, self.folder)
            except OSError:
                logger.exception("cannot record to %s", self.folder)
        program.recording = self.segment is not None

    def _record(self, packet: bytes, samples: int) -> None:
        segment = self.segment
        if segment is not None:
            try:
                segment.writer.write(packet, samples)
            except (OSError, ValueError):
                logger.exception("recording failed; this segment stops here")
                self.segment = None
                segment.writer.abort()

    async def _end_segment(self) -> None:
        segment, self.segment = self.segment, None
        if segment is not None:
            await self._finish(segment)

    async def _finish(self, segment: _Segment) -> None:
        writer = segment.writer
        if writer.packets == 0:
            writer.abort()  # nobody was heard: nothing to keep
            return
        loop = asyncio.get_running_loop()
        duration = await loop.run_in_executor(None, writer.close)
        ended = datetime.now(UTC)
        command = c.SaveRecording(
            actor=RECORDER,
            recording_id=segment.recording_id,
            file=writer.path.name,
            bridge_id=segment.bridge_id,
            question_id=segment.question_id,
            started_at=segment.started_at,
            ended_at=max(ended, segment.started_at),
            duration_ms=round(duration * 1000),
            size=writer.path.stat().st_size,
        )
        if self._execute is not None:
            try:
                await self._execute(command)
            except Exception:
                logger.exception("recording %s saved but not logged", segment.recording_id)

    # --- the rule on giving the floor -------------------------------------------

    def feeds(self) -> dict[str, str]:
        """Each publishing bridge point's link state (``LinkHealth.state``),
        for the core's floor rule (``core.decide``)."""
        return {bridge_id: health.state for bridge_id, health in self.health.items()}

    # --- signaling ----------------------------------------------------------------

    async def signal(
        self, actor: Actor, link_id: str | None, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Handle one media message from a screen; returns the reply."""
        op = data.get("op")
        sdp = data.get("sdp")
        if op not in ("publish", "view"):
            raise InvalidInput("command.unknown")
        if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
            raise InvalidInput("input.bad_value", field="sdp")
        if self.program is None:
            raise InvalidInput("media.off")
        if op == "publish":
            if actor.role is not Role.BRIDGE_OPERATOR or not actor.bridge_id:
                raise Forbidden("role.forbidden", role=actor.role.value)
            answer = await self._publish(actor.bridge_id, link_id, sdp)
        else:
            if actor.role is not Role.DISPLAY:
                raise Forbidden("role.forbidden", role=actor.role.value)
            answer = await self._view(actor.bridge_id, link_id, sdp)
        return {"type": "media", "op": "answer", "sdp": answer}

    async def _negotiate(
        self, pc: RTCPeerConnection, offer: str, prepare: Callable[[], None]
    ) -> str:
        kinds = {line[2:].split(" ", 1)[0] for line in offer.splitlines() if line.startswith("m=")}
        if not kinds & {"audio", "video"}:
            await pc.close()
            raise InvalidInput("media.bad_offer", reason="no audio or video")
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            prepare()
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, KeyError, TypeError, AttributeError, AssertionError) as error:
            await pc.close()
            raise InvalidInput("media.bad_offer", reason=str(error)[:200]) from None
        return str(pc.localDescription.sdp)

    async def _publish(self, bridge_id: str, link_id: str | None, offer: str) -> str:
        pc = RTCPeerConnection(configuration(self.ice_servers))
        publisher = _Publisher(bridge_id, pc, link_id)
        program = self.program
        assert program is not None

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            # Emitted while the offer is applied, before the receiver starts:
            # the one moment its decoder can be gated. Nothing else reads a
            # publisher's tracks (every display gets the programme), so a feed
            # the programme does not need is read off the wire and dropped.
            receiver = next((r for r in pc.getReceivers() if r.track is track), None)
            gate = DecodeGate.install(receiver, track.kind) if receiver is not None else None
            publisher.tracks.append((track, gate))
            if self.publishers.get(bridge_id) is publisher:
                program.add_track(bridge_id, track, gate)

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            publisher.channel = channel
            if self._tell(bridge_id, publisher):
                self._changed()

            @channel.on("message")  # type: ignore[untyped-decorator]
            def on_message(message: Any) -> None:
                if isinstance(message, str) and message.startswith("pong "):
                    with contextlib.suppress(ValueError):
                        sent = float(message[5:40])
                        rtt = (time.monotonic() - sent) * 1000
                        if 0 <= rtt < 60_000:
                            publisher.rtt_ms = rtt

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.publishers.get(bridge_id) is not publisher:
                return
            if pc.connectionState in ("failed", "closed"):
                self._drop_publisher(bridge_id, publisher)
            self._update_health(bridge_id)

        answer = await self._negotiate(pc, offer, lambda: None)
        old = self.publishers.get(bridge_id)
        if old is not None:  # the console reconnecting, or a camera page taking over
            self._drop_publisher(bridge_id, old, replaced=True)
        self.publishers[bridge_id] = publisher
        for track, gate in publisher.tracks:
            program.add_track(bridge_id, track, gate)
        self._update_health(bridge_id)
        collector.connections_arrived()
        return answer

    def _tell(self, bridge_id: str, publisher: _Publisher) -> bool:
        """Tell the publisher what to send now (``_Publisher.tell_quality``)
        and mark its link: whether the mark changed."""
        publisher.tell_quality(bridge_id in self._decoding)
        health = self.health.get(bridge_id)
        standby = publisher.quality == "standby"
        if health is None or health.standby == standby:
            return False
        health.standby = standby
        return True

    def _drop_publisher(
        self, bridge_id: str, publisher: _Publisher, replaced: bool = False
    ) -> None:
        if self.publishers.get(bridge_id) is publisher:
            del self.publishers[bridge_id]
        if self.program is not None:
            self.program.remove_source(bridge_id)  # a replacement's tracks arrive after
        if replaced and publisher.channel is not None:
            with contextlib.suppress(Exception):
                publisher.channel.send("replaced")
        self._spawn(publisher.pc.close())

    async def _view(self, listener: str | None, link_id: str | None, offer: str) -> str:
        offer = without_remb(offer)
        program = self.program
        assert program is not None
        pc = RTCPeerConnection(configuration(self.ice_servers))
        self.viewers[pc] = link_id
        video, audio = program.subscribe(listener)

        def prepare() -> None:
            for transceiver in pc.getTransceivers():
                track = video if transceiver.kind == "video" else audio
                kind = transceiver.kind
                codecs = [
                    codec
                    for codec in RTCRtpSender.getCapabilities(kind).codecs
                    if codec.mimeType.lower() in ("video/vp8", "video/rtx", "audio/opus")
                ]
                transceiver.setCodecPreferences(codecs)
                program.attach(pc.addTrack(track), track)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                video.stop()
                audio.stop()
                self.viewers.pop(pc, None)
                await pc.close()

        try:
            answer = await self._negotiate(pc, offer, prepare)
        except InvalidInput:
            video.stop()
            audio.stop()
            self.viewers.pop(pc, None)
            raise
        collector.connections_arrived()
        return answer

    def revoke(self, link_ids: set[str]) -> None:
        """Revoked links lose their media at once, like their sockets."""
        for bridge_id, publisher in list(self.publishers.items()):
            if publisher.link_id in link_ids:
                self._drop_publisher(bridge_id, publisher)
                self._update_health(bridge_id)
        for pc, link_id in list(self.viewers.items()):
            if link_id in link_ids:
                self.viewers.pop(pc, None)
                self._spawn(pc.close())

    # --- health ---------------------------------------------------------------------

    def _state_of(self, bridge_id: str) -> str:
        publisher = self.publishers.get(bridge_id)
        if publisher is None:
            return "failed" if bridge_id in self.health else "none"
        state = publisher.pc.connectionState
        if state in ("new", "connecting"):
            return "connecting"
        if state != "connected":
            return "failed"
        program = self.program
        if program is not None and program.source_alive(bridge_id, STALL_SECONDS):
            return "live"
        return "stalled"

    def _update_health(self, bridge_id: str) -> bool:
        """Refresh one bridge's state; tell the screens at once when it changed."""
        health = self.health.setdefault(bridge_id, LinkHealth())
        state = self._state_of(bridge_id)
        if state != health.state:
            health.state = state
            if state != "live":
                health.kbps = 0.0 if state != "connecting" else None
            self._changed()
            return True
        return False

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_EVERY)
            try:
                await self._measure()
            except Exception:
                logger.exception("measuring the media links failed")

    async def _measure(self) -> None:
        changed = False
        for bridge_id, publisher in list(self.publishers.items()):
            if publisher.channel is not None and publisher.channel.readyState == "open":
                with contextlib.suppress(Exception):
                    publisher.channel.send(f"ping {time.monotonic():.6f}")
            report = await publisher.pc.getStats()
            received = lost = size = 0
            for stats in report.values():
                kind = getattr(stats, "type", "")
                if kind == "inbound-rtp":
                    received += stats.packetsReceived
                    lost += max(0, stats.packetsLost)
                elif kind == "transport":
                    size += stats.bytesReceived
            now = time.monotonic()
            health = self.health.setdefault(bridge_id, LinkHealth())
            if publisher.prev is not None:
                p_received, p_lost, p_size, p_at = publisher.prev
                span = max(now - p_at, 1e-3)
                got, missed = received - p_received, lost - p_lost
                health.kbps = max(0.0, (size - p_size) * 8 / span / 1000)
                health.loss_pct = 100.0 * missed / (got + missed) if got + missed > 0 else 0.0
            publisher.prev = (received, lost, size, now)
            health.rtt_ms = publisher.rtt_ms
            changed = True
        for bridge_id in set(self.health) | set(self.publishers):
            self._update_health(bridge_id)
        if changed:
            self._changed()

    def health_of(self, bridge_id: str) -> LinkHealth:
        return self.health.get(bridge_id) or LinkHealth()

    def showing(self) -> str | None:
        return self.program.showing() if self.program is not None else None
