"""Media relay benchmark: the server's CPU to relay one bridge point's
640×360 15 fps VP8 + Opus feed to N receivers. Not a test.

Run ``.venv/bin/python bench/media.py`` (75 s or so). For each mode
(``--modes``, default ``stock,ours``) and each number of receivers
(``--receivers``, default 1, 4 and 12), two processes are started with the
``spawn`` method:

- the **relay** (the process measured), on uvloop as uvicorn runs the
  server (``--loop asyncio`` for the plain loop), either
  - ``stock``: aiortc's own ``aiortc.contrib.media.MediaRelay``: one peer
    connection receives the publisher (aiortc decodes it once), and each
    receiver's peer connection gets ``relay.subscribe()`` of the video and
    the audio track, so every receiver's sender encodes its own VP8 and
    Opus; or
  - ``ours``: the project's ``MediaManager`` exactly as the server runs it
    (``session_server/web/registry.py``): the demo dialogue in a
    ``DialogueSession`` on a memory log, the manager following its records,
    the publisher signaling as the bridge operator of ``long-xuyen``, the
    floor given to ``long-xuyen`` with a core command (so its feed is the
    programme, and the floor segment is recorded to a temporary directory),
    the receivers signaling as hall displays of the other bridge points in
    turn; the programme decodes the feed once and encodes it once (VP8, and
    Opus per listener group), and every display's sender only packetises
    (the manager's ``changed`` callback, which makes the web hub re-render
    the moderator's link panel, does nothing here);
- the **client** (``bench/_media_client.py``): the publisher and the N
  receivers. Load-generator shortcuts, on the client side only: the
  publisher sends a feed encoded once by this parent (150 frames of moving
  bars over a shifting gradient with sensor-like noise, about 800 kbit/s, a
  keyframe at the start of each 10 s loop; a 440 Hz tone as 20 ms Opus
  packets) instead of encoding live, and the receivers' decoders are
  replaced by ones that count the encoded frames the jitter buffer
  completes and decode nothing. The relay's process is untouched.

Signaling (SDP with the candidates gathered) goes between the two over a
``multiprocessing`` pipe; ICE uses 127.0.0.1 only, with no STUN server.
After the receivers all get video and sound, ``--warmup`` seconds (3), then
a window of ``--seconds`` (8): the relay's CPU time (user + system, all its
threads: ``getrusage(RUSAGE_SELF)`` inside it) over its wall time, as a
percentage of one core; and what each receiver got: video frames/s (15 when
the relay keeps up) and milliseconds of sound a second (1000: every packet,
whatever its duration; the programme sends 60 ms packets, the feed 20 ms).
A point where a receiver gets fewer than 10 frames/s (or 200 ms of sound a
second) makes the run fail (exit status 2): a relay that drops the feed must
not look cheap. A point where a receiver gets fewer than 14 frames/s or 900
ms of sound a second is marked ``!``
in the table: the relay fell behind the feed (what it relays queues up
unboundedly, in aiortc's ``MediaRelay``), so its CPU figure is a lower bound
of what relaying in real time takes; ``ours`` falling behind at 12
receivers fails the target.

Prints one table and the verdict against the target: at 12 receivers,
``ours`` under 25 % of one core and at least 3× cheaper than ``stock``.

Then the **on-air row** (``--onair``, default 12; 0 leaves it out): the
``ours`` relay with that many displays, and the same with the programme on
air (``media/onair.py``: one H.264 and one AAC encode at 640×360, muxed to
two RTMP destinations, local receivers in this parent process, to HLS and to
the day's fragmented MP4), ``--runs`` times each, alternately; the relay's
CPU counts its destinations' relay processes. Target: the outputs add under
15 % of one core (medians).

Then the **national row** (``--publishers``, default 63; 0 leaves it out):
every bridge point of a dialogue of that many publishes the feed and one
display per bridge point views the programme, a district holding the floor
and another at the head of the floor-request queue. The relay is the
``MediaManager`` of this checkout (which decodes only the floor holder, the
main venue and the head of the queue) or, as the same run's baseline, of
``--before`` (the last commit that decoded every feed, checked out in a
temporary worktree and put first on the relay's ``sys.path``), alternately,
``--runs`` times each; the medians are printed with every run. After each
window the floor goes to ``--switches`` districts the new code does not
decode, one after another: floor command to that district's first picture
in the programme. The load generator answers a keyframe request (PLI) by
restarting its loop on the keyframe, as a browser would send one. Target:
under 40 % of one core, every switch under a second. The load generator's
consoles also do what the browser does when the relay tells them to stand
by (``quality standby``: a 160×90 picture at 5 fps, 40 kbit/s, no sound)
and to come back (``quality full``); ``--before none`` leaves the baseline
out (to explore; a published figure needs it).
``--json PATH`` writes every figure (CPU by thread too); ``--verbose`` prints
the CPU by thread of every point; ``--profile DIR`` keeps a cProfile of the
relay's event-loop thread over the window (``DIR/<mode>-<n>.prof``; the
profiler itself costs that thread about half again as much, so a profiled
run's figures are not the benchmark's, and its times are wall times, which
include waiting for the GIL).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import math
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from fractions import Fraction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _media_client import (
    Channel,
    client_main,
    cpu_seconds,
    loopback_only,
    new_pc,
    run,
    thread_cpu,
)

WIDTH, HEIGHT, FPS = 640, 360, 15
LOOP_FRAMES = 10 * FPS
PUBLISHER = "long-xuyen"
MIN_FPS = 10.0
MIN_AUDIO = 200.0
"""Below these (the worst receiver's video frames/s, ms of sound a second) the relay
is broken: the run fails."""
KEEPS_UP_FPS = 14.0
KEEPS_UP_AUDIO = 900.0
"""Below these the relay fell behind the feed: its CPU figure is a lower bound
of what relaying in real time would take."""
TARGET_RECEIVERS = 12
NATIONAL_TARGET_PCT = 40.0
"""The national row's target: 63 publishers and 63 displays under this, % of one core."""
SWITCH_TARGET_S = 1.0
ROOT = Path(__file__).resolve().parents[1]
BEFORE = "dec63b0"
"""The last commit before decoding only the feeds the programme may need next."""
HOLDER, REQUESTER = "long-xuyen", "chau-doc"
TARGET_PCT = 25.0
ONAIR_SIZE = "640x360"
ONAIR_TARGET_PCT = 15.0
"""The on-air row: what the outputs add, at most (% of one core)."""
TARGET_RATIO = 3.0
STEP_TIMEOUT = 60.0
TICK = os.sysconf("SC_CLK_TCK")
Feed = tuple[list[bytes], list[bytes], tuple[list[bytes], int] | None]
"""The published video and sound, each a loop of packets, and the standby
video's loop with its frames a second."""


# --- the feed, encoded once -------------------------------------------------------


def _vp8_loop(width: int, height: int, fps: int, kbps: int) -> list[bytes]:
    """10 s of moving bars over a shifting gradient with sensor-like noise
    (drawn at 640×360, scaled to the size asked), VP8 at ``kbps``, one
    keyframe at the start."""
    import av
    import numpy as np

    codec: Any = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = kbps * 1000
    codec.time_base = Fraction(1, fps)
    codec.framerate = Fraction(fps, 1)
    codec.gop_size = 100_000
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "4",
        "lag-in-frames": "0",
        "error-resilient": "1",
        "minrate": str(kbps * 1000),
        "maxrate": str(kbps * 1000),
        "bufsize": str(kbps * 1000),
    }
    rng = np.random.default_rng(7)
    x = np.arange(WIDTH)[None, :]
    y = np.arange(HEIGHT)[:, None]
    cx = np.arange(WIDTH // 2)[None, :]
    cy = np.arange(HEIGHT // 2)[:, None]
    frames = 10 * fps
    video: list[bytes] = []
    for n in range(frames):
        i = n * FPS // fps  # the same motion whatever the frame rate
        bars = ((x + 6 * i) // 40 % 2) * 90
        gradient = (x + 2 * y + 5 * i) % 256 * 0.4
        luma = np.clip(40 + bars + gradient + rng.normal(0, 4, (HEIGHT, WIDTH)), 16, 235)
        u = (cx + cy + 3 * i) % 200 + 28
        v = 128 + (2 * cy + 2 * i + 0 * cx) % 60
        planes = [
            luma.astype(np.uint8),
            u.astype(np.uint8).reshape(-1, WIDTH),
            v.astype(np.uint8).reshape(-1, WIDTH),
        ]
        frame = av.VideoFrame.from_ndarray(np.concatenate(planes), format="yuv420p")
        if (width, height) != (WIDTH, HEIGHT):  # a browser scales the camera down
            frame = frame.reformat(width=width, height=height)
        frame.pts = n
        frame.time_base = Fraction(1, fps)
        if n == 0:
            frame.pict_type = av.video.frame.PictureType.I
        video.extend(bytes(p) for p in codec.encode(frame))
    video.extend(bytes(p) for p in codec.encode(None))
    assert len(video) == frames, len(video)
    return video


def standby_of(code: Path) -> tuple[int, int] | None:
    """What a console of the checkout at ``code`` sends on standby: (frames
    a second, kbit/s), as its ``static/media.js`` sets them; None for a
    checkout from before standby (its server never asks for it)."""
    script = (code / "static" / "media.js").read_text()
    fps = re.search(r"maxFramerate = standby \? (\d+)", script)
    bitrate = re.search(r"maxBitrate = standby \? (\d+)", script)
    if fps is None or bitrate is None:
        return None
    return int(fps[1]), int(bitrate[1]) // 1000


def standby_loop(code: Path) -> tuple[list[bytes], int] | None:
    """The standby picture of the checkout at ``code``: the feed's picture
    at a quarter of the size, at its console's frame rate and bitrate."""
    settings = standby_of(code)
    if settings is None:
        return None
    fps, kbps = settings
    return _vp8_loop(WIDTH // 4, HEIGHT // 4, fps, kbps), fps


def make_feed(kbps: int) -> Feed:
    """(VP8 packets of a 10 s loop starting on a keyframe, 50 Opus packets of
    a 440 Hz tone: one second, a whole number of periods, and the standby
    loop this checkout's console sends while the programme does not need
    its camera)."""
    import av
    import numpy as np

    video = _vp8_loop(WIDTH, HEIGHT, FPS, kbps)
    standby = standby_loop(ROOT)

    opus: Any = av.CodecContext.create("libopus", "w")
    opus.bit_rate = 64_000
    opus.sample_rate = 48_000
    opus.layout = "stereo"
    opus.format = "s16"
    opus.time_base = Fraction(1, 48_000)
    opus.options = {"application": "voip", "frame_duration": "20"}
    audio: list[bytes] = []
    for n in range(60):  # ten more than kept: the encoder's look-ahead
        t = (np.arange(960) + n * 960) / 48_000
        mono = (8000 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(np.repeat(mono, 2).tobytes())
        frame.sample_rate = 48_000
        frame.pts = n * 960
        frame.time_base = Fraction(1, 48_000)
        audio.extend(bytes(p) for p in opus.encode(frame))
    return video, audio[-50:], standby


# --- the relay process ----------------------------------------------------------------


def relay_main(
    ctl: Connection,
    sig: Connection,
    mode: str,
    loop_kind: str,
    profile: str | None,
    code: str | None = None,
    bridges: list[str] | None = None,
) -> None:
    if code is not None:  # the --before checkout's session_server, not this one
        sys.path.insert(0, code)
    loopback_only()
    run(lambda: _relay(ctl, sig, mode, profile, bridges or []), loop_kind)


class StockRelay:
    """aiortc's MediaRelay: decode once, each receiver's sender encodes."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaRelay

        self.relay = MediaRelay()
        self.tracks: dict[str, Any] = {}
        self.pcs: list[Any] = []

    async def publish(self, bridge: str, offer: str) -> str:
        from aiortc import RTCSessionDescription

        pc = new_pc()
        self.pcs.append(pc)

        @pc.on("track")
        def on_track(track: Any) -> None:
            self.tracks[track.kind] = track

        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def view(self, bridge: str, offer: str) -> str:
        from aiortc import RTCRtpSender, RTCSessionDescription

        pc = new_pc()
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        for transceiver in pc.getTransceivers():
            kind = transceiver.kind
            transceiver.setCodecPreferences(
                [
                    codec
                    for codec in RTCRtpSender.getCapabilities(kind).codecs
                    if codec.mimeType.lower() in ("video/vp8", "video/rtx", "audio/opus")
                ]
            )
            pc.addTrack(self.relay.subscribe(self.tracks[kind]))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    def stats(self) -> dict[str, Any]:
        return {}

    async def stop(self) -> None:
        await _gather_closed(self.pcs)


class OurRelay:
    """The project's MediaManager, set up as ``web/registry.py`` does."""

    def __init__(
        self, recordings: str, bridges: list[str], floor_on_publish: bool, onair: bool = False
    ) -> None:
        from session_server.demo import DEMO_DIALOGUE_ID
        from session_server.media.manager import MediaManager
        from session_server.runtime.session import DialogueSession
        from session_server.store.memory import MemoryEventLog

        self.session = DialogueSession(MemoryEventLog(), DEMO_DIALOGUE_ID)
        settings = None
        if onair:  # the on-air row: H.264/AAC to RTMP destinations, HLS, the day's video
            from session_server.media.broadcast import OnAirSettings

            settings = OnAirSettings(size=ONAIR_SIZE, keys_dir=str(Path(recordings) / "keys"))
        # only when asked: the national row's baseline (--before) predates the setting
        extra: dict[str, Any] = {"onair": settings} if onair else {}
        self.manager = MediaManager(
            DEMO_DIALOGUE_ID,
            recordings_dir=recordings,
            execute=self._execute,
            changed=lambda: None,
            **extra,
        )
        self.bridges = bridges
        """Bridge points the dialogue needs beyond the demo's (the national row)."""
        self.floor_on_publish = floor_on_publish

    async def _execute(self, command: Any) -> None:
        await self.session.execute(command, datetime.now(UTC))

    async def start(self) -> None:
        from session_server.core import commands as c
        from session_server.demo import ORGANISER, demo_commands

        session, manager = self.session, self.manager
        await session.load()
        now = datetime.now(UTC)
        commands = demo_commands(now)
        present = {cmd.bridge_id for cmd in commands if isinstance(cmd, c.SetBridgePoint)}
        commands += [
            c.SetBridgePoint(ORGANISER, bridge, f"Điểm cầu {bridge}")
            for bridge in self.bridges
            if bridge not in present
        ]
        await session.execute_all(commands, now)
        session.listeners.append(
            lambda records, rebuilt: manager.on_records(records, rebuilt, session.state)
        )
        manager.start(session.state)

    async def publish(self, bridge: str, offer: str) -> str:
        from session_server.core import commands as c
        from session_server.core.model import Actor, Role

        reply = await self.manager.signal(
            Actor(Role.BRIDGE_OPERATOR, bridge_id=bridge),
            f"link-{bridge}",
            {"type": "media", "op": "publish", "sdp": offer},
        )
        if self.floor_on_publish:
            # the moderator confirms giving the floor before the picture is live
            await self._execute(c.GiveFloor(Actor(Role.MODERATOR), bridge, without_feed=True))
        return str(reply["sdp"])

    async def floor(self, holder: str, requester: str) -> None:
        """The national row's steady state: a district holds the floor and
        another one waits at the head of the floor-request queue."""
        from session_server.core import commands as c
        from session_server.core.model import Actor, Role

        await self._execute(c.GiveFloor(Actor(Role.MODERATOR), holder, without_feed=True))
        await self._execute(
            c.RequestFloor(Actor(Role.BRIDGE_OPERATOR, bridge_id=requester), requester)
        )

    async def switch(self, bridge: str, timeout: float = 5.0) -> float | None:
        """Give the floor to ``bridge``; seconds until the programme encodes
        its first picture (None: not within ``timeout``)."""
        import asyncio

        from session_server.core import commands as c
        from session_server.core.model import Actor, Role

        moderator = Actor(Role.MODERATOR)
        if self.session.state.floor.holder is not None:
            await self._execute(c.ReleaseFloor(moderator))
        program = self.manager.program
        assert program is not None
        given = time.monotonic()
        await self._execute(c.GiveFloor(moderator, bridge, without_feed=True))
        # ``_shown``: whose picture the programme last encoded, in this code and
        # in the --before code alike (``showing()`` names a new holder before
        # its first picture is there)
        while program._shown != bridge:
            if time.monotonic() - given > timeout:
                return None
            await asyncio.sleep(0.002)
        return time.monotonic() - given

    async def view(self, bridge: str, offer: str) -> str:
        from session_server.core.model import Actor, Role

        reply = await self.manager.signal(
            Actor(Role.DISPLAY, bridge_id=bridge),
            f"display-{bridge}",
            {"type": "media", "op": "view", "sdp": offer},
        )
        return str(reply["sdp"])

    def destinations(self, ports: list[int]) -> None:
        """Stream to local RTMP receivers on ``ports`` (the on-air row)."""
        broadcast = self.manager.broadcast
        assert broadcast is not None and broadcast.onair is not None
        for port in ports:
            added = broadcast.store.add(f"bench {port}", f"rtmp://127.0.0.1:{port}/live", "bench")
            broadcast.start_destination(added.dest_id)

    def children_cpu(self) -> float:
        """CPU seconds of the destinations' relay processes (``media/relay.py``)."""
        broadcast = getattr(self.manager, "broadcast", None)  # --before: none
        onair = broadcast.onair if broadcast is not None else None
        total = 0.0
        for destination in list(onair.destinations.values()) if onair is not None else []:
            child = destination._child
            if child is None:
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICK
        return total

    def stats(self) -> dict[str, Any]:
        program = self.manager.program
        if program is None:
            return {}
        decoding = [
            bridge_id
            for bridge_id, source in program.sources.items()
            # the --before code has no gates: it decodes every source
            if not getattr(source, "gates", None) or any(g.decoding for g in source.gates)
        ]
        return {
            "encoded_frames": program.encoded_frames,
            "encoded_audio": program.encoded_audio,
            "showing": program.showing(),
            "recording": self.manager.segment is not None,
            "sources": len(program.sources),
            "decoding": len(decoding),
            "children_cpu": self.children_cpu(),
            "onair_states": [
                onair.status(d).state
                + (f" ({onair.status(d).reason})" if onair.status(d).reason else "")
                for broadcast in [getattr(self.manager, "broadcast", None)]
                for onair in [broadcast.onair if broadcast is not None else None]
                if onair is not None
                for d in onair.destinations
            ],
        }

    async def stop(self) -> None:
        await self.manager.stop()


async def _gather_closed(pcs: list[Any]) -> None:
    import asyncio

    await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)


async def _relay(
    ctl_conn: Connection, sig_conn: Connection, mode: str, profile: str | None, bridges: list[str]
) -> None:
    import asyncio

    ctl = Channel(ctl_conn)
    sig = Channel(sig_conn)
    with tempfile.TemporaryDirectory(prefix="bench-media-") as recordings:
        relay: StockRelay | OurRelay
        if mode == "stock":
            relay = StockRelay()
        else:
            relay = OurRelay(
                recordings, bridges, floor_on_publish=mode != "national", onair=mode == "onair"
            )
            await relay.start()
        tasks: set[asyncio.Task[None]] = set()

        async def handle(message: dict[str, Any]) -> None:
            try:
                if message["op"] == "publish":
                    sdp = await relay.publish(message["bridge"], message["sdp"])
                else:
                    sdp = await relay.view(message["bridge"], message["sdp"])
                sig.send({"id": message["id"], "sdp": sdp})
            except Exception as error:
                sig.send({"id": message["id"], "error": f"{type(error).__name__}: {error}"})

        async def signaling() -> None:
            while (message := await sig.get()) is not None:
                task = asyncio.create_task(handle(message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        reader = asyncio.create_task(signaling())
        profiler = cProfile.Profile() if profile else None
        import session_server

        ctl.send(("ready", {"code": str(Path(session_server.__file__).parents[1])}))
        try:
            while True:
                command = await ctl.get()
                if command is None or command[0] == "close":
                    break
                if command[0] == "floor" and isinstance(relay, OurRelay):
                    await relay.floor(command[1], command[2])
                    ctl.send(("floor", {}))
                if command[0] == "destinations" and isinstance(relay, OurRelay):
                    relay.destinations(command[1])
                    ctl.send(("destinations", {}))
                if command[0] == "switch" and isinstance(relay, OurRelay):
                    ctl.send(("switched", {"seconds": await relay.switch(command[1])}))
                if command[0] == "snap":
                    if profiler is not None and command[1] == "start":
                        profiler.enable()
                    elif profiler is not None and command[1] == "end":
                        profiler.disable()
                        profiler.dump_stats(profile)
                    ctl.send(
                        (
                            "snap",
                            {
                                "t": time.monotonic(),
                                "cpu": cpu_seconds(),
                                "threads": thread_cpu(),
                                **relay.stats(),
                            },
                        )
                    )
        finally:
            reader.cancel()
            await relay.stop()
            sig.close()
            with contextlib.suppress(Exception):
                ctl.send(("closed", {}))
            ctl.close()


# --- the parent ------------------------------------------------------------------------


class PointFailed(RuntimeError):
    pass


def _expect(conn: Connection, kind: str, who: str, timeout: float = STEP_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not conn.poll(left):
            raise PointFailed(f"{who}: no '{kind}' within {timeout:.0f} s")
        try:
            message = conn.recv()
        except EOFError:
            raise PointFailed(f"{who}: the process ended before '{kind}'") from None
        if message[0] == "error":
            raise PointFailed(message[1])
        if message[0] == kind:
            return message[1]


def _machine_busy() -> tuple[float, float]:
    """(CPU seconds all cores spent busy, wall seconds) so far, from /proc/stat."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / TICK, time.monotonic()


def run_point(
    mode: str,
    receivers: int,
    args: argparse.Namespace,
    feed: Feed,
    viewers: list[str],
    *,
    publishers: list[str] | None = None,
    code: str | None = None,
    floor: tuple[str, str] | None = None,
    switches: list[str] | None = None,
    rtmp_ports: list[int] | None = None,
) -> dict[str, Any]:
    """One point: the relay's CPU over the window, what the receivers got.
    The national row passes every bridge point as ``publishers``, ``code``
    (the --before checkout, or None for this one), the ``floor`` (holder, head
    of the request queue) set before anything connects, and ``switches``: bridge
    points the floor goes to, one after another, after the window."""
    publishers = publishers or [PUBLISHER]
    ctx = mp.get_context("spawn")
    relay_ctl, relay_ctl_child = ctx.Pipe()
    client_ctl, client_ctl_child = ctx.Pipe()
    sig_relay, sig_client = ctx.Pipe()
    profile = None
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profile = str(Path(args.profile) / f"{mode}-{receivers}.prof")
    relay = ctx.Process(
        target=relay_main,
        name=f"relay-{mode}",
        args=(relay_ctl_child, sig_relay, mode, args.loop, profile, code, publishers),
    )
    client = ctx.Process(
        target=client_main,
        name="media-client",
        args=(
            client_ctl_child,
            sig_client,
            receivers,
            publishers,
            viewers,
            feed[0],
            feed[1],
            feed[2],
            args.loop,
        ),
    )
    processes = [relay, client]
    try:
        relay.start()
        relay_ctl_child.close()
        sig_relay.close()
        ready = _expect(relay_ctl, "ready", "relay")
        if floor is not None:  # before the displays connect: each has someone to hear
            relay_ctl.send(("floor", *floor))
            _expect(relay_ctl, "floor", "relay")
        client.start()
        client_ctl_child.close()
        sig_client.close()
        _expect(client_ctl, "ready", "client", STEP_TIMEOUT + 2 * len(publishers) + receivers)
        if rtmp_ports:
            relay_ctl.send(("destinations", rtmp_ports))
            _expect(relay_ctl, "destinations", "relay")
        time.sleep(args.warmup)
        m0 = _machine_busy()
        relay_ctl.send(("snap", "start"))
        client_ctl.send(("snap", "start"))
        r0 = _expect(relay_ctl, "snap", "relay")
        c0 = _expect(client_ctl, "snap", "client")
        time.sleep(args.seconds)
        relay_ctl.send(("snap", "end"))
        client_ctl.send(("snap", "end"))
        r1 = _expect(relay_ctl, "snap", "relay")
        c1 = _expect(client_ctl, "snap", "client")
        m1 = _machine_busy()
        switched: list[float | None] = []
        for bridge in switches or []:
            relay_ctl.send(("switch", bridge))
            switched.append(_expect(relay_ctl, "switched", "relay")["seconds"])
            time.sleep(1.0)
        client_ctl.send(("close",))
        _expect(client_ctl, "closed", "client", 20)
        relay_ctl.send(("close",))
        _expect(relay_ctl, "closed", "relay", 20)
    finally:
        for conn in (relay_ctl, client_ctl):
            with contextlib.suppress(Exception):
                conn.send(("close",))
        for process in processes:
            if process.pid is not None:
                process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)
        for conn in (
            relay_ctl,
            client_ctl,
            relay_ctl_child,
            client_ctl_child,
            sig_relay,
            sig_client,
        ):
            conn.close()

    wall = r1["t"] - r0["t"]
    cwall = c1["t"] - c0["t"]
    per_receiver: dict[str, list[float]] = {}
    for kind in ("video", "audio"):
        before, after = c0["counts"][kind], c1["counts"][kind]
        rates = [(b - a) / cwall for a, b in zip(before, after, strict=True)]
        rates += [0.0] * (receivers - len(rates))
        per_receiver[kind] = rates
    threads = {
        name: 100 * (r1["threads"].get(name, 0.0) - r0["threads"].get(name, 0.0)) / wall
        for name in r1["threads"]
    }
    children = r1.get("children_cpu", 0.0) - r0.get("children_cpu", 0.0)
    result = {
        "mode": mode,
        "receivers": receivers,
        "window_s": round(wall, 3),
        "relay_cpu_pct": 100 * (r1["cpu"] - r0["cpu"] + children) / wall,
        "relay_children_cpu_pct": 100 * children / wall,
        "onair_states": r1.get("onair_states", []),
        "relay_cpu_by_thread_pct": {
            k: round(v, 2) for k, v in sorted(threads.items(), key=lambda kv: -kv[1])
        },
        "client_cpu_pct": 100 * (c1["cpu"] - c0["cpu"]) / cwall,
        "machine_busy_pct": 100 * (m1[0] - m0[0]) / (m1[1] - m0[1]),
        "video_fps_min": min(per_receiver["video"]),
        "video_fps_mean": sum(per_receiver["video"]) / receivers,
        "audio_ms_min": min(per_receiver["audio"]),
        "audio_ms_mean": sum(per_receiver["audio"]) / receivers,
        "published_fps": (c1["sent"][0] - c0["sent"][0]) / cwall,
        "published_audio_pps": (c1["sent"][1] - c0["sent"][1]) / cwall,
    }
    result["other_cpu_pct"] = max(
        0.0, result["machine_busy_pct"] - result["relay_cpu_pct"] - result["client_cpu_pct"]
    )
    result["behind"] = (
        result["video_fps_min"] < KEEPS_UP_FPS or result["audio_ms_min"] < KEEPS_UP_AUDIO
    )
    if "encoded_frames" in r1:
        result["programme_fps"] = (r1["encoded_frames"] - r0["encoded_frames"]) / wall
        result["programme_opus_per_s"] = (r1["encoded_audio"] - r0["encoded_audio"]) / wall
        result["showing"] = r1["showing"]
        result["recording"] = r1["recording"]
        result["sources"] = r1["sources"]
        result["decoding"] = r1["decoding"]
    result["code"] = ready["code"]
    result["publishers"] = len(publishers)
    result["keyframes_asked"] = c1["keyframes_asked"] - c0["keyframes_asked"]
    result["standby"] = c1["standby"]
    if switches:
        result["switch_s"] = switched
    return result


def _cpu(result: dict[str, Any] | None) -> str:
    if result is None:
        return "      - "
    mark = "!" if result["behind"] else " "
    return f"{result['relay_cpu_pct']:7.1f}{mark}"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> tuple[str, bool | None]:
    by = {(r["mode"], r["receivers"]): r for r in results}
    lines = [
        f"relay CPU, % of one core ({WIDTH}x{HEIGHT} {FPS} fps VP8 + Opus), "
        f"{args.seconds:g} s window after {args.warmup:g} s warm-up, {args.loop}",
        "receivers    stock     ours   stock/ours   video fps/receiver   sound ms/s/receiver",
        "                                              (stock, ours)         (stock, ours)",
    ]
    for n in args.receivers:
        stock, ours = by.get(("stock", n)), by.get(("ours", n))
        ratio = (
            f"{stock['relay_cpu_pct'] / ours['relay_cpu_pct']:7.1f}×"
            if stock and ours and ours["relay_cpu_pct"] > 0
            else "       -"
        )
        fps = " ".join(f"{r['video_fps_min']:5.1f}" if r else "    -" for r in (stock, ours))
        pps = " ".join(f"{r['audio_ms_min']:5.0f}" if r else "    -" for r in (stock, ours))
        lines.append(f"{n:6d}    {_cpu(stock)} {_cpu(ours)}  {ratio}        {fps}           {pps}")
    lines.append(f"(fps and ms/s: the worst receiver; the feed sends {FPS} fps and 1000 ms/s)")
    if any(r["behind"] for r in results):
        lines.append(
            f"! fell behind the feed (a receiver below {KEEPS_UP_FPS:g} fps or "
            f"{KEEPS_UP_AUDIO:g} ms of sound a second): the CPU figure is a lower bound"
        )
    client = ", ".join(f"{r['mode']} {r['receivers']}: {r['client_cpu_pct']:.0f}" for r in results)
    lines.append(f"load generator's CPU, % of one core: {client}")
    other = ", ".join(f"{r['mode']} {r['receivers']}: {r['other_cpu_pct']:.0f}" for r in results)
    lines.append(f"other processes' CPU meanwhile, % of one core: {other}")
    ours, stock = by.get(("ours", TARGET_RECEIVERS)), by.get(("stock", TARGET_RECEIVERS))
    verdict: bool | None = None
    if ours and stock:
        ratio_12 = stock["relay_cpu_pct"] / max(ours["relay_cpu_pct"], 1e-9)
        verdict = (
            ours["relay_cpu_pct"] < TARGET_PCT and ratio_12 >= TARGET_RATIO and not ours["behind"]
        )
        at_least = "at least " if stock["behind"] else ""
        behind = ", but ours fell behind" if ours["behind"] else ""
        lines.append(
            f"target at {TARGET_RECEIVERS}: ours < {TARGET_PCT:g} % "
            f"({ours['relay_cpu_pct']:.1f} %) and >= {TARGET_RATIO:g}x cheaper "
            f"({at_least}{ratio_12:.1f}x){behind}: {'PASS' if verdict else 'FAIL'}"
        )
    else:
        lines.append(
            f"target at {TARGET_RECEIVERS}: not measured "
            f"(needs --receivers with {TARGET_RECEIVERS} and --modes stock,ours)"
        )
    return "\n".join(lines), verdict


def national_bridges(count: int) -> list[str]:
    """The demo's bridge points, then as many more as the row needs."""
    from session_server.demo import DEMO_BRIDGES

    bridges = [b[0] for b in DEMO_BRIDGES]
    bridges += [f"diem-cau-{n}" for n in range(len(bridges) + 1, count + 1)]
    return bridges[:count]


def run_national(
    args: argparse.Namespace,
    feed: Feed,
    failures: list[str],
    count: int,
) -> list[dict[str, Any]]:
    """The national row: every bridge point publishes, one display per
    bridge point; ``--runs`` times against the --before checkout and this
    one, alternately."""
    from session_server.demo import MAIN_BRIDGE

    bridges = national_bridges(count)
    others = [b for b in bridges if b not in (MAIN_BRIDGE, HOLDER, REQUESTER)]
    step = max(1, len(others) // max(1, args.switches))
    targets = others[::step][: args.switches]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-media-before-") as tmp:
        before = Path(tmp) / "before"
        if args.before != "none":
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "--detach",
                    "-q",
                    str(before),
                    args.before,
                ],
                check=True,
            )
        # each side's consoles stand by as that checkout's browser code says
        feeds = {"now": feed}
        if args.before != "none":
            feeds["before"] = (feed[0], feed[1], standby_loop(before))
        try:
            for i in range(args.runs):
                sides = [("before", str(before)), ("now", None)]
                if args.before == "none":  # exploring: no baseline, not for publishing
                    sides = sides[1:]
                for side, code in sides:
                    try:
                        result = run_point(
                            "national",
                            count,
                            args,
                            feeds[side],
                            bridges,
                            publishers=bridges,
                            code=code,
                            floor=(HOLDER, REQUESTER),
                            switches=targets,
                        )
                    except PointFailed as error:
                        failures.append(f"national {count} {side}, run {i + 1}: {error}")
                        results.append({"side": side, "failed": str(error)})
                        print(
                            f"  national {count} {side:6} run {i + 1}: FAILED: {error}",
                            flush=True,
                        )
                        continue
                    result["side"] = side
                    results.append(result)
                    switched = ", ".join(
                        f"{t * 1000:.0f}" if t is not None else "none"
                        for t in result.get("switch_s", [])
                    )
                    print(
                        f"  national {count} {side:6} run {i + 1}: relay "
                        f"{result['relay_cpu_pct']:5.1f} %, "
                        f"decoding {result.get('decoding', '?')} of {result.get('sources', '?')} "
                        f"feeds, {result['standby']} on standby, client "
                        f"{result['client_cpu_pct']:5.1f} %, other "
                        f"{result['other_cpu_pct']:.0f} %, displays "
                        f"{result['video_fps_min']:.1f} fps {result['audio_ms_min']:.0f} ms/s, "
                        f"publishers sent {result['published_fps']:.1f} fps; switches (ms): "
                        f"{switched}",
                        flush=True,
                    )
                    if result["video_fps_min"] < MIN_FPS or result["audio_ms_min"] < MIN_AUDIO:
                        failures.append(
                            f"national {count} {side}, run {i + 1}: a display got "
                            f"{result['video_fps_min']:.1f} fps and "
                            f"{result['audio_ms_min']:.0f} ms/s of sound"
                        )
        finally:
            if args.before != "none":
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
                    check=False,
                )
    return results


class RtmpSink:
    """A local RTMP server (PyAV listening, in this parent, not measured)
    that reads what a destination sends and counts the pictures."""

    def __init__(self) -> None:
        import socket
        import threading

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.video = 0
        self.errors = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import av

        url = f"rtmp://127.0.0.1:{self.port}/live/bench"
        options = {"listen": "1", "timeout": "60", "analyzeduration": "0", "fpsprobesize": "0"}
        while not self.closed:  # a destination that drops comes back
            try:
                with av.open(url, format="flv", options=options) as source:
                    for packet in source.demux():
                        if packet.stream.type == "video" and packet.size:
                            self.video += 1
            except Exception as error:
                self.errors.append(str(error)[:80])
                time.sleep(0.1)

    closed = False
    errors: list[str]

    def join(self) -> None:
        self.closed = True
        self._thread.join(5)


def run_onair(
    args: argparse.Namespace,
    feed: Feed,
    viewers: list[str],
    failures: list[str],
) -> list[dict[str, Any]]:
    """The on-air row: the programme with ``--onair`` displays, without and
    with its outputs (two RTMP destinations, HLS, the day's video), ``--runs``
    times each, alternately, in one run."""
    results: list[dict[str, Any]] = []
    for i in range(args.runs):
        for mode in ("ours", "onair"):
            sinks = [RtmpSink(), RtmpSink()] if mode == "onair" else []
            try:
                result = run_point(
                    mode, args.onair, args, feed, viewers, rtmp_ports=[s.port for s in sinks]
                )
            except PointFailed as error:
                failures.append(f"on air, {mode}, run {i + 1}: {error}")
                print(f"  on air {mode:5} run {i + 1}: FAILED: {error}", flush=True)
                continue
            finally:
                for sink in sinks:
                    sink.join()
            result["rtmp_pictures"] = [sink.video for sink in sinks]
            results.append(result)
            print(
                f"  on air {mode:5} run {i + 1}: relay {result['relay_cpu_pct']:5.1f} % "
                f"(relay processes {result['relay_children_cpu_pct']:.1f} %), displays "
                f"{result['video_fps_min']:.1f} fps, destinations {result['onair_states']} "
                f"got {result['rtmp_pictures']} pictures, other {result['other_cpu_pct']:.0f} %",
                flush=True,
            )
            if mode == "onair" and (
                result["onair_states"] != ["live", "live"] or min(result["rtmp_pictures"]) < 30
            ):
                failures.append(f"on air, run {i + 1}: a destination was not live")
    return results


def onair_report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    without = [r["relay_cpu_pct"] for r in results if r["mode"] == "ours"]
    with_outputs = [r["relay_cpu_pct"] for r in results if r["mode"] == "onair"]
    if not without or not with_outputs:
        return "on air: no figures"
    a, b = statistics.median(without), statistics.median(with_outputs)
    added = b - a
    verdict = "PASS" if added < ONAIR_TARGET_PCT else "FAIL"
    return (
        f"on air ({ONAIR_SIZE} H.264 + AAC, 2 RTMP destinations, HLS, the day's video), "
        f"{args.onair} displays, median of {len(without)}/{len(with_outputs)} runs:\n"
        f"  programme alone {a:5.1f} % of one core, with the outputs {b:5.1f} %: "
        f"the outputs add {added:.1f} % (target under {ONAIR_TARGET_PCT:g} %): {verdict}"
    )


def national_report(results: list[dict[str, Any]], args: argparse.Namespace, count: int) -> str:
    sides = {
        side: [r for r in results if r["side"] == side and "failed" not in r]
        for side in ("before", "now")
    }
    failed = {
        side: [r["failed"] for r in results if r["side"] == side and "failed" in r]
        for side in ("before", "now")
    }
    if not sides["before"] or not sides["now"]:
        lines = [f"national row, {count} publishers and {count} displays:"]
        for side in ("before", "now"):
            for r in sides[side]:
                lines.append(
                    f"  {side}: relay {r['relay_cpu_pct']:.1f} % of one core, decoding "
                    f"{r.get('decoding', '?')} of {r.get('sources', '?')} feeds, displays' worst "
                    f"{r['video_fps_min']:.1f} fps {r['audio_ms_min']:.0f} ms/s of sound, load "
                    f"generator {r['client_cpu_pct']:.0f} %, other processes "
                    f"{r['other_cpu_pct']:.0f} %"
                )
            if failed[side] and not sides[side]:
                lines.append(
                    f"  {side}: could not be measured on this machine, in any run: "
                    f"{failed[side][0]}"
                )
        lines.append(
            "  (the relay, the load generator's publishers and displays and everything else "
            "share this machine's cores: a side that fails here needs more CPU than is left)"
        )
        return "\n".join(lines)

    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in sides[side])

    def runs(side: str) -> str:
        return " ".join(f"{r['relay_cpu_pct']:.1f}" for r in sides[side])

    now, before = median("now", "relay_cpu_pct"), median("before", "relay_cpu_pct")
    behind = [side for side in ("before", "now") if any(r["behind"] for r in sides[side])]
    lines = [
        f"national row: {count} publishers ({WIDTH}x{HEIGHT} {FPS} fps VP8 + Opus "
        f"each), {count} displays; media node CPU, % of one core, median of "
        f"{args.runs} (runs in brackets)",
        f"  before ({args.before}{', decodes every feed' if args.before == BEFORE else ''}):"
        f"      {before:6.1f}  [{runs('before')}]",
        f"  now (floor, main venue, head of the queue):   {now:6.1f}  [{runs('now')}]  "
        f"decoding {sides['now'][-1].get('decoding', '?')} of "
        f"{sides['now'][-1].get('sources', '?')} feeds",
        f"  saving: {before - now:.1f} points of a core ({before / max(now, 1e-9):.1f}x)",
    ]
    for side in ("before", "now"):
        times = [t for r in sides[side] for t in r.get("switch_s", [])]
        landed = sorted(t for t in times if t is not None)
        if landed:
            lines.append(
                f"  switch to a district outside the three ({side}): floor command -> its first "
                f"picture encoded, ms: median {statistics.median(landed) * 1000:.0f}, "
                f"max {landed[-1] * 1000:.0f}, {len(times) - len(landed)} of {len(times)} "
                f"not within 5 s"
            )
    lines.append(
        "  displays' worst fps / sound ms/s (median): "
        f"before {median('before', 'video_fps_min'):.1f} / "
        f"{median('before', 'audio_ms_min'):.0f}, now {median('now', 'video_fps_min'):.1f} / "
        f"{median('now', 'audio_ms_min'):.0f}; publishers sent "
        f"{median('before', 'published_fps'):.1f} / {median('now', 'published_fps'):.1f} fps "
        "each (before / now)"
    )
    lines.append(
        f"  load generator ({count} publishers + {count} displays, one "
        f"process), % of one core: before {median('before', 'client_cpu_pct'):.0f}, "
        f"now {median('now', 'client_cpu_pct'):.0f}"
        f"; other processes meanwhile: before {median('before', 'other_cpu_pct'):.0f}, "
        f"now {median('now', 'other_cpu_pct'):.0f}"
    )
    if behind:
        lines.append(
            f"  ! a display fell behind the feed in some run of {' and '.join(behind)}: with the "
            "load generator on the same two cores, the relay's figure there is a lower bound"
        )
    switch_ok = all(
        t is not None and t < SWITCH_TARGET_S for r in sides["now"] for t in r.get("switch_s", [])
    )
    verdict = now < NATIONAL_TARGET_PCT and switch_ok and "now" not in behind
    lines.append(
        f"  target: now < {NATIONAL_TARGET_PCT:g} % of one core ({now:.1f} %) and every switch "
        f"< {SWITCH_TARGET_S:g} s: {'PASS' if verdict else 'FAIL'}"
    )
    return "\n".join(lines)


def _threads_line(result: dict[str, Any]) -> str:
    parts = ", ".join(
        f"{name} {pct:.1f}"
        for name, pct in result["relay_cpu_by_thread_pct"].items()
        if pct >= 0.05
    )
    side = f" {result['side']}" if "side" in result else ""
    return f"  {result['mode']:5} {result['receivers']:3d}{side}: {parts}"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--receivers",
        default="1,4,12",
        help="numbers of receivers, comma-separated (default 1,4,12)",
    )
    parser.add_argument("--modes", default="stock,ours", help="stock, ours or both")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring window")
    parser.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds after every receiver gets media, before the window",
    )
    parser.add_argument("--kbps", type=int, default=800, help="the published video's bitrate")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default=None,
        help="the processes' event loop (default uvloop when installed)",
    )
    parser.add_argument(
        "--publishers",
        default="16,63",
        help="national rows: publishers and displays (one per bridge point), comma-separated "
        "(default 16,63; 0: none)",
    )
    parser.add_argument("--runs", type=int, default=3, help="national row: runs per side")
    parser.add_argument(
        "--onair",
        type=int,
        default=12,
        help="on-air row: displays of the programme, with and without its outputs (0: no row)",
    )
    parser.add_argument(
        "--switches", type=int, default=5, help="national row: floor switches timed per run"
    )
    parser.add_argument(
        "--before",
        default=BEFORE,
        help="national row: the commit to compare with ('none': no baseline, to explore)",
    )
    parser.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile the relay's event-loop thread over each window"
    )
    parser.add_argument("--verbose", action="store_true", help="CPU by thread, every point")
    args = parser.parse_args(argv)
    args.receivers = [int(n) for n in args.receivers.split(",") if n.strip() and n.strip() != "0"]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    args.publishers = [int(n) for n in args.publishers.split(",") if n.strip() and n.strip() != "0"]
    if args.publishers and min(args.publishers) < 3:
        parser.error("--publishers: at least 3 (the main venue, the floor, the queue's head)")
    if args.receivers and min(args.receivers) < 1:
        parser.error("--receivers: positive numbers (0: no relay rows)")
    if not args.modes or set(args.modes) - {"stock", "ours"}:
        parser.error("--modes: stock, ours")
    if args.loop is None:
        try:
            import uvloop  # noqa: F401

            args.loop = "uvloop"
        except ImportError:
            args.loop = "asyncio"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from session_server.demo import DEMO_BRIDGES

    viewers = [b[0] for b in DEMO_BRIDGES if b[0] != PUBLISHER]
    started = time.monotonic()
    feed = make_feed(args.kbps)
    kbps = sum(len(p) for p in feed[0]) * 8 / (LOOP_FRAMES / FPS) / 1000
    print(
        f"feed: {len(feed[0])} VP8 frames looped ({kbps:.0f} kbit/s), "
        f"{len(feed[1])} Opus packets looped; publisher {PUBLISHER}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for n in args.receivers:
        for mode in args.modes:
            try:
                result = run_point(mode, n, args, feed, viewers)
            except PointFailed as error:
                failures.append(f"{mode} with {n} receivers: {error}")
                print(f"  {mode:5} {n:3d} receivers: FAILED: {error}", flush=True)
                continue
            results.append(result)
            extra = ""
            if "programme_fps" in result:
                extra = (
                    f", programme {result['programme_fps']:.1f} fps "
                    f"{result['programme_opus_per_s']:.0f} opus/s"
                )
            print(
                f"  {mode:5} {n:3d} receivers: relay {result['relay_cpu_pct']:5.1f} %, "
                f"client {result['client_cpu_pct']:5.1f} %, video "
                f"{result['video_fps_min']:.1f}-{result['video_fps_mean']:.1f} fps, audio "
                f"{result['audio_ms_min']:.0f} ms/s{extra}",
                flush=True,
            )
            if result["video_fps_min"] < MIN_FPS or result["audio_ms_min"] < MIN_AUDIO:
                failures.append(
                    f"{mode} with {n} receivers: a receiver got "
                    f"{result['video_fps_min']:.1f} fps and {result['audio_ms_min']:.0f} "
                    f"ms/s of sound (at least {MIN_FPS:g} and {MIN_AUDIO:g} needed)"
                )
    national: dict[int, list[dict[str, Any]]] = {}
    for count in args.publishers:
        national[count] = run_national(args, feed, failures, count)
    onair = run_onair(args, feed, viewers, failures) if args.onair else []
    print()
    table, verdict = report(results, args) if results else ("", None)
    if table:
        print(table)
    for count, rows in national.items():
        print(national_report(rows, args, count))
    if onair:
        print(onair_report(onair, args))
    largest = max(args.receivers, default=0)
    shown = results if args.verbose else [r for r in results if r["receivers"] == largest]
    for rows in national.values():
        shown += [r for r in rows if r["side"] == "now" and "failed" not in r][-1:]
    if shown:
        print("relay CPU by thread, % of one core:")
        for result in shown:
            print(_threads_line(result))
    print(f"({time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "width": WIDTH,
                    "height": HEIGHT,
                    "fps": FPS,
                    "feed_kbps": round(kbps),
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "loop": args.loop,
                    "target": {
                        "receivers": TARGET_RECEIVERS,
                        "ours_below_pct": TARGET_PCT,
                        "stock_over_ours_at_least": TARGET_RATIO,
                        "pass": verdict,
                    },
                    "results": results,
                    "national": {str(k): v for k, v in national.items()},
                    "onair": onair,
                    "failures": failures,
                },
                indent=2,
            )
            + "\n"
        )
    if failures:
        print("\nFAILED, the figures above are not valid:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
