"""The programme: the one picture and sound the floor selects, encoded once
and handed to every hall display.

Each publishing bridge point (the main venue included) is a *source*. Only
the sources the programme may need next are decoded (``set_decoding``, from
the rule in ``media/decoding.py``), each once; the others' frames arrive and
are dropped before their decoder (``media/gate.py``). The programme takes the picture of
whoever holds the floor (the main venue when the hall holds it or nobody
does), scales it to 640×360 when it is not, encodes it once (VP8) on its own
clock and gives the same ``av.Packet`` objects to every display's track;
each picture is packetised once and sent to every display from one loop
(``media/outlet.py``). A switch of the floor
forces a keyframe and keeps the timestamps steady (they are the programme's,
not the source's). A display's keyframe request (PLI/FIR) reaches the one
encoder; requests arriving together make one keyframe.

Sound is taken every 20 ms from the floor holder and the main venue (so a
district that asks hears the hall answer), gathered into 60 ms windows and
mixed and encoded once per window and distinct listener group: a bridge
point never hears itself, so the floor holder's room gets the mix without
its own microphone and the main venue the mix without the hall's. At most
three Opus encodes per 60 ms, whatever the number of displays. One 60 ms
packet instead of three of 20 ms (RFC 7587: a receiver takes any duration
up to 120 ms) is a third of the sound's packets to every display, each one
SRTP-protected and written to its own socket, for 40 ms more delay. The
full mix also goes to the recorder (in the same packets) and, every 20 ms,
to the on-air encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av
import numpy as np
from aiortc import RTCRtpSender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.audio.resampler import AudioResampler
from av.packet import Packet as _AvPacket
from av.video.frame import PictureType, VideoFrame

from session_server.media.gate import DecodeGate
from session_server.media.outlet import Outlet, send_to

if TYPE_CHECKING:
    Packet = _AvPacket[Any]
else:
    Packet = _AvPacket

__all__ = [
    "AUDIO_RATE",
    "FPS",
    "FRAME_SAMPLES",
    "HEIGHT",
    "PACKET_SAMPLES",
    "WIDTH",
    "PacketTrack",
    "Program",
]

logger = logging.getLogger(__name__)

WIDTH, HEIGHT, FPS = 640, 360, 15
VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
FRAME_SAMPLES = 960
"""20 ms of audio at 48 kHz: one Opus packet."""
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
CHUNK_BYTES = FRAME_SAMPLES * 2 * 2
"""20 ms of 16-bit stereo PCM."""
TICKS_PER_PACKET = 3
PACKET_SAMPLES = TICKS_PER_PACKET * FRAME_SAMPLES
"""60 ms: one Opus packet to the displays and the recorder."""
MAX_BUFFERED_CHUNKS = 4
"""A source's sound waiting to be mixed, at most (80 ms): older is dropped,
so a source's clock running a little fast never builds up delay."""
SLATE_AFTER = 0.5
"""Without a picture this long, the displays get a dark frame (twice a second)."""
KEYFRAME_EVERY = 10 * FPS
"""A keyframe at least every 10 s, for a display whose request was lost."""


class PacketTrack(MediaStreamTrack):
    """One display's track of one kind. Nothing reads it: the programme
    sends its packets through the display's sender (``media/outlet.py``),
    once :meth:`Program.attach` gave it an outlet; the track stands for the
    subscription (stopping it, or the sender, ends it)."""

    def __init__(self, program: Program, kind: str, listener: str | None) -> None:
        super().__init__()
        self.kind = kind
        self.listener = listener
        """The bridge point the display is in (it never hears itself)."""
        self.outlet: Outlet | None = None
        self._program = program

    async def recv(self) -> Packet:
        raise MediaStreamError  # sent by its outlet, never read

    def stop(self) -> None:
        if self.readyState == "live":
            self._program.unsubscribe(self)
            if self.outlet is not None:
                self.outlet.close()
        super().stop()


class _Source:
    """A publishing bridge point's decoded picture and sound."""

    def __init__(self, bridge_id: str) -> None:
        self.bridge_id = bridge_id
        self.video: MediaStreamTrack | None = None
        self.audio: MediaStreamTrack | None = None
        self.gates: list[DecodeGate] = []
        """Before the decoders of its tracks (none: every frame is decoded)."""
        self.tasks: list[asyncio.Task[None]] = []
        self.pcm = bytearray()
        self.resampler: AudioResampler | None = None
        self.last_video = 0.0
        self.last_audio = 0.0
        self.frames = 0


class _VideoEncoder:
    def __init__(self, bitrate: int) -> None:
        codec: Any = av.CodecContext.create("libvpx", "w")
        codec.width = WIDTH
        codec.height = HEIGHT
        codec.pix_fmt = "yuv420p"
        codec.bit_rate = bitrate
        codec.time_base = VIDEO_TIME_BASE
        codec.framerate = Fraction(FPS, 1)
        codec.gop_size = KEYFRAME_EVERY
        codec.qmin = 2
        codec.qmax = 56
        codec.thread_count = 1
        codec.options = {
            "deadline": "realtime",
            # negative: this speed, always. A positive value would have
            # libvpx pick its speed to fill a share of each frame's time
            # (here half of 1/15 s), and it picks a slow one: 640×360 at
            # "8" took 4.3 ms a picture against 2.7 at "-8", for the same
            # picture (PSNR 41.2 against 41.1 dB at 600 kbit/s).
            "cpu-used": "-8",
            "lag-in-frames": "0",
            "error-resilient": "1",
            "static-thresh": "0",
            "undershoot-pct": "95",
            "bufsize": str(bitrate),
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
        }
        self.codec = codec

    def encode(self, frame: VideoFrame, pts: int, keyframe: bool) -> list[Packet]:
        if frame.width != WIDTH or frame.height != HEIGHT or frame.format.name != "yuv420p":
            frame = frame.reformat(width=WIDTH, height=HEIGHT, format="yuv420p")
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        frame.pict_type = PictureType.I if keyframe else PictureType.NONE
        packets: list[Packet] = self.codec.encode(frame)
        for packet in packets:
            packet.pts = pts
            packet.time_base = VIDEO_TIME_BASE
        return packets


class _AudioEncoder:
    def __init__(self) -> None:
        codec: Any = av.CodecContext.create("libopus", "w")
        codec.bit_rate = 64_000
        codec.sample_rate = AUDIO_RATE
        codec.layout = "stereo"
        codec.format = "s16"
        codec.time_base = AUDIO_TIME_BASE
        codec.options = {"application": "voip", "frame_duration": "60"}
        self.codec = codec
        self.used = 0.0

    def encode(self, pcm: bytes, pts: int) -> list[Packet]:
        """One window (``PACKET_SAMPLES``) of the mix."""
        frame = av.AudioFrame(format="s16", layout="stereo", samples=PACKET_SAMPLES)
        frame.planes[0].update(pcm)
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        packets: list[Packet] = self.codec.encode(frame)
        for packet in packets:
            packet.pts = pts
            packet.time_base = AUDIO_TIME_BASE
        return packets


def _outlets(tracks: Iterable[PacketTrack]) -> list[Outlet]:
    return [track.outlet for track in tracks if track.outlet is not None]


def _dark_frame() -> VideoFrame:
    frame = VideoFrame(WIDTH, HEIGHT, "yuv420p")
    for plane, value in zip(frame.planes, (16, 128, 128), strict=True):
        plane.update(bytes([value]) * plane.buffer_size)
    return frame


def _mix(chunks: list[bytes]) -> bytes:
    if len(chunks) == 1:
        return chunks[0]
    total = np.zeros(len(chunks[0]) // 2, dtype=np.int32)
    for chunk in chunks:
        total += np.frombuffer(chunk, dtype=np.int16)
    return bytes(np.clip(total, -32768, 32767).astype(np.int16).tobytes())


class Program:
    """One dialogue's programme. Create it inside the running event loop;
    :meth:`stop` ends every task and every display's track."""

    def __init__(
        self,
        *,
        video_bitrate: int = 600_000,
        on_audio: Callable[[bytes, int], None] | None = None,
    ) -> None:
        self.video_bitrate = video_bitrate
        self.on_audio = on_audio
        """Called with every packet of the full mix (the recorder), when set."""
        self.recording = False
        self.on_frame: Callable[[VideoFrame], None] | None = None
        """Called with every picture of the programme (the on-air encoder), when set."""
        self.on_sound: Callable[[bytes | None], None] | None = None
        """Called every 20 ms with the full mix (None: silence), when set."""
        """Whether ``on_audio`` wants the mix now (a floor segment is open)."""
        self.floor: str | None = None
        self.main: str | None = None
        self.decoding: frozenset[str] = frozenset()
        """The bridge points whose feeds are decoded (``set_decoding``)."""
        self._gated: tuple[frozenset[str], str | None, str | None] | None = None
        """What the gates were last set for: the dialogue's every change
        calls the setters, and most change none of it."""
        self.sources: dict[str, _Source] = {}
        self.video_tracks: set[PacketTrack] = set()
        self.audio_tracks: set[PacketTrack] = set()
        self._video = _VideoEncoder(video_bitrate)
        self._packetiser = Vp8Encoder()
        """Cuts an encoded picture into RTP payloads (aiortc's; it encodes nothing here)."""
        self._audio: dict[str | None, _AudioEncoder] = {}
        self._window: dict[str, bytearray] = {}
        """The sound of the 60 ms window being gathered, per source (silence
        where a tick had none from it)."""
        self._window_index = 0
        self._video_lock = asyncio.Lock()
        self._keyframe = True
        self._shown: str | None = None
        self._t0 = time.monotonic()
        self._last_pts = -1
        self._last_frame_at = 0.0
        self._dark = _dark_frame()
        self._tasks = [
            asyncio.create_task(self._audio_clock(), name="program-audio"),
            asyncio.create_task(self._slate(), name="program-slate"),
        ]
        self.encoded_frames = 0
        self.encoded_audio = 0
        self.switches = 0

    # --- who is on screen --------------------------------------------------

    def set_main(self, bridge_id: str | None) -> None:
        self.main = bridge_id
        self._set_gates()

    def set_floor(self, holder: str | None) -> None:
        """The floor moved: the next picture is a keyframe of the new source."""
        self.floor = holder
        self._set_gates()

    def set_decoding(self, bridge_ids: frozenset[str]) -> None:
        """Decode these bridge points' pictures, and no other; their sound
        once it is in the mix (the floor, the main venue): sound needs no
        keyframe to start. A picture that starts being decoded starts on a
        keyframe, asked for at once."""
        self.decoding = bridge_ids
        self._set_gates()

    def _decodes(self, bridge_id: str, kind: str) -> bool:
        return bridge_id in self.decoding and (
            kind == "video" or bridge_id in (self.floor, self.main)
        )

    def _set_gates(self) -> None:
        wanted = (self.decoding, self.floor, self.main)
        if wanted == self._gated:
            return
        self._gated = wanted
        for bridge_id, source in self.sources.items():
            for gate in source.gates:
                if self._decodes(bridge_id, gate.kind):
                    if gate.kind == "audio" and not gate.decoding:
                        source.pcm.clear()  # sound from before it stopped being decoded
                    gate.open()
                else:
                    gate.close()

    def showing(self) -> str | None:
        """The bridge point whose picture the displays get (None: a dark slate)."""
        now = time.monotonic()
        for candidate in (self.floor, self.main):
            source = self.sources.get(candidate or "")
            if (
                source is not None
                and source.video is not None
                and (source.frames == 0 or now - source.last_video < 2 * SLATE_AFTER)
            ):
                return candidate
        return None

    def speaking(self) -> list[str]:
        """The bridge points whose sound is in the mix: the floor and the hall."""
        out = []
        for candidate in (self.floor, self.main):
            if candidate and candidate not in out and candidate in self.sources:
                out.append(candidate)
        return out

    # --- sources -----------------------------------------------------------

    def add_track(
        self, bridge_id: str, track: MediaStreamTrack, gate: DecodeGate | None = None
    ) -> None:
        """A publisher's incoming track (video or audio), and the gate before
        its decoder (``media/gate.py``), opened if the programme may need it."""
        source = self.sources.setdefault(bridge_id, _Source(bridge_id))
        if gate is not None:
            source.gates.append(gate)
            if self._decodes(bridge_id, gate.kind):
                gate.open()
            else:
                gate.close()
        if track.kind == "video":
            source.video = track
            source.frames = 0
            source.tasks.append(asyncio.create_task(self._pull_video(source, track)))
        elif track.kind == "audio":
            source.audio = track
            source.tasks.append(asyncio.create_task(self._pull_audio(source, track)))

    def remove_source(self, bridge_id: str) -> None:
        source = self.sources.pop(bridge_id, None)
        if source is None:
            return
        for task in source.tasks:
            task.cancel()
        if self._shown == bridge_id:
            self._keyframe = True

    def source_alive(self, bridge_id: str, within: float = 2.0) -> bool:
        source = self.sources.get(bridge_id)
        if source is None:
            return False
        now = time.monotonic()
        # a frame arriving counts, decoded or not
        arrived = max((gate.arrived for gate in source.gates), default=0.0)
        return now - max(source.last_video, source.last_audio, arrived) < within

    async def _pull_video(self, source: _Source, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            source.last_video = time.monotonic()
            source.frames += 1
            if self.showing() == source.bridge_id and isinstance(frame, VideoFrame):
                try:
                    await self._encode_video(frame, source.bridge_id)
                except Exception:  # this picture is lost, not the source
                    logger.exception("encoding the programme's picture failed")

    async def _pull_audio(self, source: _Source, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            source.last_audio = time.monotonic()
            if not isinstance(frame, av.AudioFrame):
                continue
            if (frame.format.name, frame.layout.name, frame.sample_rate) == (
                "s16",
                "stereo",
                AUDIO_RATE,
            ):
                frames = [frame]
            else:
                if source.resampler is None:
                    source.resampler = AudioResampler("s16", "stereo", AUDIO_RATE)
                frames = source.resampler.resample(frame)
            for f in frames:
                source.pcm += bytes(f.planes[0])[: f.samples * 4]
            excess = len(source.pcm) - MAX_BUFFERED_CHUNKS * CHUNK_BYTES
            if excess > 0:
                del source.pcm[:excess]

    # --- the picture --------------------------------------------------------

    def request_keyframe(self) -> None:
        self._keyframe = True

    def attach(self, sender: RTCRtpSender, track: PacketTrack) -> None:
        """Send ``track``'s share of the programme through a display's
        ``sender`` (added to its connection, not yet negotiated); its
        keyframe requests (PLI/FIR) reach the one encoder, and a display
        that starts gets a keyframe."""
        if track.kind == "video":
            sender._send_keyframe = self.request_keyframe  # type: ignore[method-assign]
            track.outlet = Outlet(sender, self.request_keyframe)
        else:
            track.outlet = Outlet(sender, lambda: None)

    def _pts(self) -> int:
        pts = int((time.monotonic() - self._t0) * VIDEO_TIME_BASE.denominator)
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        return pts

    async def _encode_video(self, frame: VideoFrame, shown: str | None) -> None:
        if self.on_frame is not None:
            self.on_frame(frame)
        if not self.video_tracks:
            self._shown = None  # nobody watches: the next viewer starts on a keyframe
            return
        async with self._video_lock:
            if shown != self._shown:
                self._shown = shown
                self._keyframe = True
                self.switches += 1
            keyframe, self._keyframe = self._keyframe, False
            pts = self._pts()
            loop = asyncio.get_running_loop()
            packets = await loop.run_in_executor(None, self._video.encode, frame, pts, keyframe)
            self._last_frame_at = time.monotonic()
            self.encoded_frames += 1
            for packet in packets:  # in order: under the lock
                payloads, timestamp = self._packetiser.pack(packet)
                await send_to(_outlets(self.video_tracks), payloads, timestamp)

    async def _slate(self) -> None:
        while True:
            await asyncio.sleep(SLATE_AFTER)
            if time.monotonic() - self._last_frame_at >= SLATE_AFTER and self.showing() is None:
                try:
                    await self._encode_video(self._dark, None)
                except Exception:
                    logger.exception("encoding the slate failed")

    # --- the sound ------------------------------------------------------------

    async def _audio_clock(self) -> None:
        loop = asyncio.get_running_loop()
        step = FRAME_SAMPLES / AUDIO_RATE
        start = loop.time()
        tick = 0
        while True:
            tick += 1
            delay = start + tick * step - loop.time()
            if delay < -0.2:  # the loop stalled: skip ahead rather than burst
                skipped = int(-delay / step)
                tick += skipped
                delay += skipped * step
            await asyncio.sleep(max(0.0, delay))
            try:
                for packet, tracks in self._audio_tick(tick):
                    await send_to(_outlets(tracks), [bytes(packet)], int(packet.pts or 0))
            except Exception:
                logger.exception("mixing the programme's sound failed")

    def _audio_tick(self, tick: int) -> list[tuple[Packet, list[PacketTrack]]]:
        """Take 20 ms of sound (the ``tick``-th) from whoever speaks; at the
        end of a 60 ms window, mix and encode it: the packets, each with the
        displays that hear it."""
        out: list[tuple[Packet, list[PacketTrack]]] = []
        window = tick // TICKS_PER_PACKET
        if window != self._window_index:  # a stall skipped the end of the last one
            out += self._end_window()
            self._window_index = window
        chunks: dict[str, bytes] = {}
        for bridge_id in self.speaking():
            source = self.sources[bridge_id]
            if len(source.pcm) >= CHUNK_BYTES:
                chunks[bridge_id] = bytes(source.pcm[:CHUNK_BYTES])
                del source.pcm[:CHUNK_BYTES]
        if self.on_sound is not None:
            self.on_sound(_mix(list(chunks.values())) if chunks else None)
        at = (tick % TICKS_PER_PACKET) * CHUNK_BYTES
        for bridge_id, chunk in chunks.items():
            gathered = self._window.get(bridge_id)
            if gathered is None:
                gathered = self._window[bridge_id] = bytearray(TICKS_PER_PACKET * CHUNK_BYTES)
            gathered[at : at + CHUNK_BYTES] = chunk
        if tick % TICKS_PER_PACKET == TICKS_PER_PACKET - 1:
            out += self._end_window()
            self._window_index = window + 1
        return out

    def _end_window(self) -> list[tuple[Packet, list[PacketTrack]]]:
        """Mix and encode the window gathered, once per listener group."""
        out: list[tuple[Packet, list[PacketTrack]]] = []
        chunks = {bridge_id: bytes(pcm) for bridge_id, pcm in self._window.items()}
        self._window.clear()
        if not chunks:
            return out
        pts = self._window_index * PACKET_SAMPLES
        # listener groups: who is excluded from what they hear
        groups: dict[str | None, list[PacketTrack]] = {}
        for track in self.audio_tracks:
            excluded = track.listener if track.listener in chunks else None
            groups.setdefault(excluded, []).append(track)
        recording = self.recording and self.on_audio is not None
        if recording:
            groups.setdefault(None, [])
        for excluded, tracks in groups.items():
            heard = [chunk for bridge_id, chunk in chunks.items() if bridge_id != excluded]
            if not heard:
                continue  # the only one speaking is this room itself
            encoder = self._audio.get(excluded)
            if encoder is None:
                encoder = self._audio[excluded] = _AudioEncoder()
            encoder.used = time.monotonic()
            packets = encoder.encode(_mix(heard), pts)
            self.encoded_audio += 1
            for packet in packets:
                if tracks:
                    out.append((packet, tracks))
                if excluded is None and recording and self.on_audio is not None:
                    self.on_audio(bytes(packet), PACKET_SAMPLES)
        for key in [k for k, enc in self._audio.items() if time.monotonic() - enc.used > 10]:
            del self._audio[key]
        return out

    # --- displays ---------------------------------------------------------------

    def subscribe(self, listener: str | None) -> tuple[PacketTrack, PacketTrack]:
        """A display's (video, audio) tracks; ``listener`` is its bridge point."""
        video = PacketTrack(self, "video", listener)
        audio = PacketTrack(self, "audio", listener)
        self.video_tracks.add(video)
        self.audio_tracks.add(audio)
        self._keyframe = True
        return video, audio

    def unsubscribe(self, track: PacketTrack) -> None:
        self.video_tracks.discard(track)
        self.audio_tracks.discard(track)

    async def stop(self) -> None:
        for bridge_id in list(self.sources):
            self.remove_source(bridge_id)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for track in list(self.video_tracks | self.audio_tracks):
            track.stop()
