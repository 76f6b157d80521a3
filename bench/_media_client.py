"""The load generator of ``bench/media.py``: one publisher (or one per
bridge point, for the national row) and N receivers, in a process of their
own, signaling to the relay process over a pipe.

Load-generator shortcut, on the receiving side only: in this process
aiortc's decoders are replaced by counting ones (``aiortc.rtcrtpreceiver``'s
``get_decoder``), so the N receivers count the encoded frames the jitter
buffer completes, per kind, and decode nothing; otherwise this process would
decode N videos on the two cores it shares with the relay being measured.
The publisher sends a feed encoded beforehand by the parent (VP8 and Opus
packets, looped on the wall clock), so it costs no encoding here either; a
keyframe request (RTCP PLI or FIR) from the relay restarts the loop on its
keyframe, as a browser answers one with a keyframe at its next frame. Told
``quality standby`` on its health channel, it sends the parent's standby
loop (160×90, 5 frames a second) and no sound, as the console's browser
does, until told ``quality full``.
A display sends REMB only if its answer accepted it, as a browser does
(aiortc's receiver sends it regardless). Nothing of this touches the
relay's process.

Also the small helpers both child processes use: the pipe as an asyncio
queue, the event loop, CPU time by thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import threading
import time
from collections.abc import Callable, Coroutine
from fractions import Fraction
from multiprocessing.connection import Connection
from typing import Any, ClassVar

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_TIME_BASE = Fraction(1, 48_000)
FPS = 15
READY_TIMEOUT = 60.0
SIGNAL_TIMEOUT = 60.0
AT_ONCE = 8
"""Peer connections being set up at once (each gathers, checks ICE, DTLS)."""


# --- helpers shared by the relay process and this one ---------------------------


class Channel:
    """One end of a ``multiprocessing`` pipe, read by the event loop."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(conn.fileno(), self._readable)
        self._open = True

    def _readable(self) -> None:
        try:
            while self.conn.poll():
                self.queue.put_nowait(self.conn.recv())
        except (EOFError, OSError):
            self.close()
            self.queue.put_nowait(None)

    def send(self, message: Any) -> None:
        self.conn.send(message)

    async def get(self) -> Any:
        return await self.queue.get()

    def close(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self.conn.fileno())


def run(main: Callable[[], Coroutine[Any, Any, None]], loop_kind: str) -> None:
    """Run ``main`` on uvloop (as uvicorn does when it is installed) or asyncio."""
    if loop_kind == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def loopback_only() -> None:
    """Host candidates on 127.0.0.1 only (aioice leaves loopback out by default)."""
    from session_server.media.ice import restrict_host_addresses

    restrict_host_addresses(["127.0.0.1"])


def new_pc() -> Any:
    """A peer connection with no ICE server at all: host candidates only
    (``RTCConfiguration()``'s default would add a public STUN server)."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads so far, by Python thread name
    (digits dropped, so an executor's workers add up); threads Python does
    not know (a library's own) under ``native``."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / _TICK
        name = names.get(int(tid), "native")
        name = name.rstrip("0123456789").rstrip("_-") or name
        if name.startswith(("ThreadPoolExecutor", "asyncio", "uvloop")):
            name = "executor"
        out[name] = out.get(name, 0.0) + seconds
    return out


# --- the counting decoders --------------------------------------------------------


class CountingDecoder:
    """Stands in for aiortc's decoder in a receiver: counts, decodes nothing.
    aiortc calls ``decode`` from the receiver's decoder thread."""

    registry: ClassVar[list[CountingDecoder]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.frames = 0
        self.bytes = 0
        self.step = 0
        """Sound: the smallest timestamp step seen, one packet's duration."""
        self._last: int | None = None
        with CountingDecoder.lock:
            CountingDecoder.registry.append(self)

    def decode(self, encoded_frame: Any) -> list[Any]:
        with CountingDecoder.lock:
            self.frames += 1
            self.bytes += len(encoded_frame.data)
            if self.kind == "audio":
                if self._last is not None:
                    step = (encoded_frame.timestamp - self._last) & 0xFFFFFFFF
                    if 0 < step < AUDIO_TIME_BASE.denominator and (
                        self.step == 0 or step < self.step
                    ):
                        self.step = step
                self._last = encoded_frame.timestamp
        return []

    @classmethod
    def counts(cls) -> dict[str, list[int]]:
        """Frames counted so far by each receiver's decoder, per kind; for
        sound, the milliseconds they carry (packets of any duration)."""
        with cls.lock:
            out: dict[str, list[int]] = {"video": [], "audio": []}
            for decoder in cls.registry:
                count = decoder.frames
                if decoder.kind == "audio":
                    count = count * decoder.step * 1000 // AUDIO_TIME_BASE.denominator
                out.setdefault(decoder.kind, []).append(count)
            return out


def install_counting_decoders() -> None:
    import aiortc.rtcrtpreceiver

    def get_decoder(codec: Any) -> CountingDecoder:
        return CountingDecoder(codec.mimeType.split("/")[0].lower())

    aiortc.rtcrtpreceiver.get_decoder = get_decoder  # type: ignore[assignment]


def remb_as_negotiated(pc: Any) -> None:
    """A browser's receiver sends REMB only when the answer accepted it
    (``a=rtcp-fb:<type> goog-remb``); aiortc's sends it whatever the answer
    says. A display here follows its answer, as the browser it stands for."""
    for transceiver in pc.getTransceivers():
        codecs = getattr(transceiver, "_codecs", [])
        if transceiver.kind == "video" and not any(
            feedback.type == "goog-remb" for codec in codecs for feedback in codec.rtcpFeedback
        ):
            transceiver.receiver._RTCRtpReceiver__remote_bitrate_estimator = None


# --- the publisher's feed -----------------------------------------------------------


def _packet_track_class() -> type:
    import av
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class PacketSource(MediaStreamTrack):
        """Encoded packets, looped, paced on the wall clock; aiortc's sender
        only packetises them (``Encoder.pack``).

        Told ``standby`` by the relay (the console's health channel), it
        does what the console's browser does (``static/media.js``): the
        camera sends its ``standby`` loop (a quarter of the size, 5 frames a
        second) from that loop's keyframe, the microphone nothing; told
        ``full``, both go back to the full feed, the camera from its keyframe.
        Timestamps follow the wall clock across the changes."""

        def __init__(
            self,
            kind: str,
            packets: list[bytes],
            period: float,
            time_base: Fraction,
            standby: tuple[list[bytes], float] | None = None,
        ) -> None:
            super().__init__()
            self.kind = kind
            self.full = (packets, period)
            self.standby = standby
            """The standby loop and its period (none: sends nothing on standby)."""
            self.packets, self.period = self.full
            self.rate = 1 / time_base
            self.time_base = time_base
            self.sent = 0
            self.keyframes_asked = 0
            self.paused = asyncio.Event()
            self.paused.set()
            """Set while sending (cleared on standby without a standby loop)."""
            self._changed = asyncio.Event()
            """Set when the loop changes: a wait for the old loop's next packet ends."""
            self._index = 0
            """Position in the current loop: a keyframe request restarts it."""
            self._start: float | None = None
            self._next = 0.0

        def restart(self) -> None:
            """The next packet is the loop's first (its keyframe)."""
            self.keyframes_asked += 1
            self._index = 0

        def set_quality(self, quality: str) -> None:
            loop = self.full if quality == "full" else self.standby
            if loop is None:
                self.paused.clear()
                return
            if (self.packets, self.period) != loop:
                self.packets, self.period = loop
                self._index = 0
                # a camera's next frame comes within 1/30 s: it is sent at once,
                # not at the end of the slow loop's wait
                self._next = min(self._next, time.monotonic())
                self._changed.set()
            if not self.paused.is_set():
                self._next = time.monotonic()
                self.paused.set()

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            await self.paused.wait()
            now = time.monotonic()
            if self._start is None:
                self._start = self._next = now
            wait = self._next - now
            if wait > 0:
                self._changed.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            packet = av.Packet(self.packets[self._index % len(self.packets)])
            packet.pts = round((self._next - self._start) * self.rate)
            packet.time_base = self.time_base
            self._index += 1
            self._next += self.period
            self.sent += 1
            return packet

    return PacketSource


def _prefer(pc: Any, kind: str) -> None:
    """Offer only the codecs the feed is in (and the server answers with)."""
    from aiortc import RTCRtpSender

    wanted = ("video/vp8", "video/rtx") if kind == "video" else ("audio/opus",)
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]
    for transceiver in pc.getTransceivers():
        if transceiver.kind == kind:
            transceiver.setCodecPreferences(codecs)


# --- the client process -------------------------------------------------------------


def client_main(
    ctl: Connection,
    sig: Connection,
    receivers: int,
    publisher_bridges: list[str],
    viewer_bridges: list[str],
    video: list[bytes],
    audio: list[bytes],
    standby: tuple[list[bytes], int] | None,
    loop_kind: str,
) -> None:
    """Process entry: publish the feed from each of ``publisher_bridges``,
    open ``receivers`` receivers, then answer the parent's ``snap`` and
    ``close``."""
    loopback_only()
    install_counting_decoders()
    run(
        lambda: _client(
            ctl, sig, receivers, publisher_bridges, viewer_bridges, video, audio, standby
        ),
        loop_kind,
    )


async def _client(
    ctl_conn: Connection,
    sig_conn: Connection,
    receivers: int,
    publisher_bridges: list[str],
    viewer_bridges: list[str],
    video: list[bytes],
    audio: list[bytes],
    standby: tuple[list[bytes], int] | None,
) -> None:
    """``standby``: the standby loop and its frames a second (None: the
    consoles send nothing on standby)."""
    from aiortc import RTCSessionDescription

    ctl = Channel(ctl_conn)
    sig = Channel(sig_conn)
    pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
    next_id = 0

    async def answers() -> None:
        while True:
            message = await sig.get()
            if message is None:
                for future in pending.values():
                    if not future.done():
                        future.set_exception(ConnectionError("the relay process went away"))
                return
            future = pending.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)

    reader = asyncio.create_task(answers())

    async def signal(op: str, bridge: str, sdp: str) -> str:
        nonlocal next_id
        next_id += 1
        future = asyncio.get_running_loop().create_future()
        pending[next_id] = future
        sig.send({"id": next_id, "op": op, "bridge": bridge, "sdp": sdp})
        reply = await asyncio.wait_for(future, SIGNAL_TIMEOUT)
        if "error" in reply:
            raise RuntimeError(f"{op} refused: {reply['error']}")
        return str(reply["sdp"])

    PacketSource = _packet_track_class()
    pcs: list[Any] = []
    sources: list[Any] = []
    pings = 0
    qualities: dict[str, str] = {}
    """What each publisher was last told to send (``full``, ``standby``)."""
    limit = asyncio.Semaphore(AT_ONCE)
    try:

        async def publish(bridge: str) -> None:
            """A bridge console: the feed and the console's health channel."""
            nonlocal pings
            async with limit:
                publisher = new_pc()
                pcs.append(publisher)
                camera = PacketSource(
                    "video",
                    video,
                    1 / FPS,
                    VIDEO_TIME_BASE,
                    (standby[0], 1 / standby[1]) if standby else None,
                )
                mic = PacketSource("audio", audio, 0.02, AUDIO_TIME_BASE)
                sources.extend((camera, mic))
                # a keyframe request gets the loop's keyframe at the next frame
                publisher.addTrack(camera)._send_keyframe = camera.restart
                publisher.addTrack(mic)
                _prefer(publisher, "video")
                _prefer(publisher, "audio")
                channel = publisher.createDataChannel("health")

                @channel.on("message")
                def on_message(message: Any) -> None:
                    nonlocal pings
                    if isinstance(message, str) and message.startswith("ping "):
                        pings += 1
                        channel.send("pong " + message[5:])
                    elif message in ("quality full", "quality standby"):
                        qualities[bridge] = message[8:]
                        camera.set_quality(message[8:])
                        mic.set_quality(message[8:])

                await publisher.setLocalDescription(await publisher.createOffer())
                answer = await signal("publish", bridge, publisher.localDescription.sdp)
                await publisher.setRemoteDescription(RTCSessionDescription(answer, "answer"))

        await asyncio.gather(*(publish(bridge) for bridge in publisher_bridges))

        async def receiver(index: int) -> None:
            async with limit:
                pc = new_pc()
                pcs.append(pc)
                pc.addTransceiver("video", direction="recvonly")
                pc.addTransceiver("audio", direction="recvonly")
                _prefer(pc, "video")
                _prefer(pc, "audio")
                await pc.setLocalDescription(await pc.createOffer())
                bridge = viewer_bridges[index % len(viewer_bridges)]
                answer = await signal("view", bridge, pc.localDescription.sdp)
                await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
                remb_as_negotiated(pc)

        await asyncio.gather(*(receiver(i) for i in range(receivers)))

        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            counts = CountingDecoder.counts()
            got = [len([n for n in counts[k] if n > 0]) for k in ("video", "audio")]
            if got == [receivers, receivers]:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"after {READY_TIMEOUT:.0f} s, {got[0]} of {receivers} receivers get "
                    f"video and {got[1]} audio (publishers: "
                    f"{sum(pc.connectionState == 'connected' for pc in pcs)} of {len(pcs)} "
                    "connections up)"
                )
            await asyncio.sleep(0.1)
        ctl.send(("ready", {"connected": sum(pc.connectionState == "connected" for pc in pcs)}))

        def sent(kind: str) -> float:
            """Frames (or audio packets) sent so far, per publisher."""
            total = sum(s.sent for s in sources if s.kind == kind)
            return total / len(publisher_bridges)

        while True:
            command = await ctl.get()
            if command is None or command[0] == "close":
                break
            if command[0] == "snap":
                ctl.send(
                    (
                        "snap",
                        {
                            "t": time.monotonic(),
                            "cpu": cpu_seconds(),
                            "counts": CountingDecoder.counts(),
                            "sent": [sent(kind) for kind in ("video", "audio")],
                            "keyframes_asked": sum(s.keyframes_asked for s in sources),
                            "pings": pings,
                            "standby": sum(q == "standby" for q in qualities.values()),
                        },
                    )
                )
    except Exception as error:  # tell the parent, which prints it and fails
        with contextlib.suppress(Exception):
            ctl.send(("error", f"client: {type(error).__name__}: {error}"))
    finally:
        for track in sources:
            track.stop()
        await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)
        reader.cancel()
        sig.close()
        with contextlib.suppress(Exception):
            ctl.send(("closed", {}))
        ctl.close()
