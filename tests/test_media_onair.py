"""On air, with real parts on loopback: aiortc bridge points publish, the
floor (core commands) switches the programme, and the server streams it as
H.264/AAC over RTMP to two local receivers (PyAV listening), writes HLS and
the day's fragmented MP4 with chapters. One receiver is killed mid-stream:
its destination is retried while the other goes on. A real subprocess is
killed with SIGKILL while recording: its file plays up to its last fragment.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import pytest

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.model import Actor, Conditions, Phase, Role
from session_server.demo import DEMO_DIALOGUE_ID, MAIN_BRIDGE, demo_commands
from session_server.export.archive import archive_zip
from session_server.media.broadcast import OnAirSettings
from session_server.media.manager import MediaManager
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from tests.conftest import MODERATOR
from tests.media_peers import Publisher, loopback_only, wait_for

pytestmark = pytest.mark.slow

DISTRICT = "long-xuyen"
BRIGHT, DARK = 200, 60
KEY_A = "live_12345_streamkeyA-secret"
KEY_B = "Xk9-streamkeyB?s_bl=1&s_psm=1"
ORGANISER = Actor(Role.ORGANISER)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A local RTMP server (PyAV listening) that keeps what it receives:
    each packet's kind and time, and each picture's brightness."""

    def __init__(self, port: int, key: str) -> None:
        self.url = f"rtmp://127.0.0.1:{port}/live/{key}"
        self.packets: list[tuple[str, float]] = []
        self.lumas: list[tuple[float, float]] = []
        self.codecs: set[str] = set()
        self.kill_at: float | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            options = {"listen": "1", "timeout": "30", "analyzeduration": "0", "fpsprobesize": "0"}
            with av.open(self.url, format="flv", options=options, timeout=30) as container:
                for packet in container.demux():
                    if packet.dts is None or packet.pts is None or packet.time_base is None:
                        continue
                    stream = packet.stream
                    self.codecs.add(stream.codec_context.name)
                    seconds = float(packet.pts * packet.time_base)
                    self.packets.append((stream.type, seconds))
                    if stream.type == "video":
                        for frame in packet.decode():
                            luma = frame.to_ndarray()[: frame.height].mean()  # type: ignore[union-attr]
                            self.lumas.append((seconds, float(luma)))
                    if self.kill_at is not None and time.monotonic() >= self.kill_at:
                        break  # closing the connection: the sender sees it dropped
        except (av.FFmpegError, OSError):
            pass  # the sender went away
        finally:
            self.done.set()

    def times(self, kind: str) -> list[float]:
        return [t for k, t in self.packets if k == kind]


class Day:
    def __init__(self, session: DialogueSession, manager: MediaManager) -> None:
        self.session = session
        self.media = manager
        self.peers: list[Publisher] = []

    async def run(self, command: c.Command) -> None:
        conditions = Conditions(feeds=self.media.feeds())
        await self.session.execute(command, datetime.now(UTC), lambda: conditions)

    async def publish(self, bridge: str, luma: int, hz: float) -> None:
        peer = Publisher(luma, hz)
        self.peers.append(peer)
        actor = Actor(Role.BRIDGE_OPERATOR, bridge_id=bridge)

        async def send(message: dict[str, Any]) -> dict[str, Any]:
            return await self.media.signal(actor, None, message)

        await peer.start(send)
        await wait_for(lambda: self.media.health_of(bridge).live, 10, f"{bridge} live")


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Day]:
    loopback_only()
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)

    async def execute(command: c.Command) -> None:
        await session.execute(command, datetime.now(UTC))

    settings = OnAirSettings(size="640x360", video_bitrate=600_000, keys_dir=str(tmp_path / "keys"))
    manager = MediaManager(
        DEMO_DIALOGUE_ID, recordings_dir=tmp_path / "rec", execute=execute, onair=settings
    )
    session.listeners.append(
        lambda records, rebuilt: manager.on_records(records, rebuilt, session.state)
    )
    manager.start(session.state)
    the_day = Day(session, manager)
    try:
        yield the_day
    finally:
        for peer in the_day.peers:
            await peer.close()
        await manager.stop()


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_the_programme_goes_out_once_to_rtmp_hls_and_the_days_video(
    day: Day, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="session_server")
    broadcast = day.media.broadcast
    assert broadcast is not None and broadcast.onair is not None
    await day.publish(MAIN_BRIDGE, DARK, 1500.0)
    await day.publish(DISTRICT, BRIGHT, 440.0)

    port_a, port_b = free_port(), free_port()
    receiver_a, receiver_b = Receiver(port_a, KEY_A), Receiver(port_b, KEY_B)
    await asyncio.sleep(0.3)  # both listening
    dest_a = broadcast.store.add("YouTube", f"rtmp://127.0.0.1:{port_a}/live", KEY_A)
    dest_b = broadcast.store.add("Facebook", f"rtmp://127.0.0.1:{port_b}/live/", KEY_B)
    broadcast.start_destination(dest_a.dest_id)
    broadcast.start_destination(dest_b.dest_id)
    onair = broadcast.onair

    def state_of(dest_id: str) -> str:
        return onair.status(dest_id).state

    await wait_for(lambda: state_of(dest_a.dest_id) == "live", 10, "destination A live")
    await wait_for(lambda: state_of(dest_b.dest_id) == "live", 10, "destination B live")
    seen_b: list[str] = []

    async def watch_b() -> None:
        while True:
            status = state_of(dest_b.dest_id)
            if not seen_b or seen_b[-1] != status:
                seen_b.append(status)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_b())

    state = day.session.state
    first, second = state.queue[0], state.queue[1]
    # segment 1: a district asks
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, question_id=first))
    await asyncio.sleep(3.5)
    await day.run(c.MarkAnswered(MODERATOR, first))
    # segment 2: the hall; receiver B is killed, then listens again
    await day.run(c.GiveFloor(MODERATOR, MAIN_BRIDGE))
    receiver_b.kill_at = time.monotonic()
    await asyncio.to_thread(receiver_b.done.wait, 5)
    await wait_for(lambda: "retrying" in seen_b, 10, "destination B retrying")
    receiver_b2 = Receiver(port_b, KEY_B)
    await asyncio.sleep(3.0)
    await day.run(c.ReleaseFloor(MODERATOR))
    # segment 3: the district again, with the second question
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, question_id=second))
    await wait_for(lambda: seen_b[-1] == "live", 10, "destination B live again")

    # HLS while it goes on: a sliding playlist whose segments decode
    live = tmp_path / "rec" / DEMO_DIALOGUE_ID / "live"
    playlist = (live / "index.m3u8").read_text()
    names = [line for line in playlist.splitlines() if line.endswith(".ts")]
    durations = [
        float(line[8:].rstrip(",")) for line in playlist.splitlines() if line.startswith("#EXTINF:")
    ]
    # short segments (a keyframe every 2 s, and at each switch): a player three
    # segments behind is well under 10 s late
    assert names and len(names) <= 6 and max(durations) <= 2.5, playlist
    for name in names[-2:]:
        with av.open(str(live / name)) as segment:
            kinds = {s.type for s in segment.streams}
            assert kinds == {"video", "audio"}
            assert sum(1 for _ in segment.decode(video=0)) >= 10

    await asyncio.sleep(3.5)
    await day.run(c.ReleaseFloor(MODERATOR))
    watcher.cancel()
    await day.run(c.ChangePhase(ORGANISER, Phase.CLOSED))
    await wait_for(
        lambda: broadcast.onair is None and broadcast._stopping is None, 30, "the day ended"
    )
    await asyncio.to_thread(receiver_a.done.wait, 10)
    await asyncio.to_thread(receiver_b2.done.wait, 10)

    # A got the whole day: H.264 and AAC, over 10 s, steady timestamps, both pictures
    assert receiver_a.codecs == {"h264", "aac"}
    video, audio = receiver_a.times("video"), receiver_a.times("audio")
    assert video[-1] - video[0] >= 10.0
    assert all(0 < g < 0.6 for g in gaps(video)), max(gaps(video))
    assert all(0 < g < 0.1 for g in gaps(audio)), max(gaps(audio))
    lumas = [luma for _, luma in receiver_a.lumas]
    assert any(v > 170 for v in lumas) and any(v < 90 for v in lumas)
    # B dropped, was retried and came back; A never noticed
    assert seen_b.index("retrying") < len(seen_b) - 1
    assert receiver_b2.codecs == {"h264", "aac"} and len(receiver_b2.times("video")) > 20
    assert len(receiver_b.times("video")) > 10

    # the day's video: decodes end to end, three chapters at the floor's moments
    folder = tmp_path / "rec" / DEMO_DIALOGUE_ID
    started = state.programme_started_at
    assert started is not None and state.programme_file == "programme.mp4"
    records = await day.session.log.read(DEMO_DIALOGUE_ID, 0)
    given = [
        (r.event.at - started).total_seconds()
        for r in records
        if isinstance(r.event, e.FloorGiven) and r.event.at >= started
    ]
    assert len(given) == 3
    with av.open(str(folder / "programme.mp4")) as video_file:
        chapters = video_file.chapters()
        packets = sum(1 for p in video_file.demux(video=0) if p.size)
    with av.open(str(folder / "programme.mp4")) as video_file:
        duration = (video_file.duration or 0) / 1_000_000
        frames = [float(f.time or 0) for f in video_file.decode(video=0)]
    # end to end: every picture decodes, up to the end, and more than A received
    assert len(frames) == packets >= len(receiver_a.times("video"))
    assert frames[-1] >= duration - 1.0 and duration >= 12
    # MP4 chapters run from zero: the opening, then one per floor segment
    opening, *chapters = chapters
    assert opening["start"] == 0 and opening["metadata"]["title"] == "Khai mạc"
    assert len(chapters) == 3
    for chapter, at in zip(chapters, given, strict=True):
        assert abs(float(chapter["start"] * chapter["time_base"]) - at) < 0.5
    assert "Long Xuyên" in chapters[0]["metadata"]["title"] or DISTRICT in str(chapters[0])
    assert chapters[0]["metadata"]["title"].startswith(f"Câu {first}:")
    vtt = (folder / "programme.vtt").read_text(encoding="utf-8")
    cues = [line for line in vtt.splitlines() if " --> " in line]
    assert len(cues) == 3
    for cue, chapter in zip(cues, chapters, strict=True):
        h, m, s = cue.split(" --> ")[0].split(":")
        cue_start = int(h) * 3600 + int(m) * 60 + float(s)
        assert abs(cue_start - float(chapter["start"] * chapter["time_base"])) < 0.01
    assert "#EXT-X-ENDLIST" in (live / "index.m3u8").read_text()

    # the archive holds the video and its chapters; no stream key anywhere
    out = io.BytesIO()
    archive_zip(out, DEMO_DIALOGUE_ID, day.session.epoch, state, records, folder)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert f"{DEMO_DIALOGUE_ID}/programme.mp4" in names
        assert f"{DEMO_DIALOGUE_ID}/programme.vtt" in names
    for key in (KEY_A, KEY_B):
        assert key.encode() not in out.getvalue()
        assert key not in caplog.text
        for destination, status in broadcast.destinations():
            assert key not in status.reason and key not in destination.masked_key()
    keys_file = tmp_path / "keys" / f"{DEMO_DIALOGUE_ID}.json"
    assert keys_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700


CHILD = """
import sys, time
from pathlib import Path
import av
from session_server.media.onair import OnAir
onair = OnAir(Path(sys.argv[1]), size="640x360", video_bitrate=400_000, hls=False)
frames = [av.VideoFrame(640, 360, "yuv420p") for _ in range(2)]
for frame, luma in zip(frames, (60, 200)):
    for plane, value in zip(frame.planes, (luma, 128, 128)):
        plane.update(bytes([value]) * plane.buffer_size)
start = time.monotonic()
n = 0
print("recording", flush=True)
while True:
    n += 1
    onair.frame(frames[(n // 30) % 2])
    for _ in range(3):
        onair.sound(bytes(3840))
    time.sleep(max(0.0, start + n / 15 - time.monotonic()))
"""


def test_a_kill_9_while_recording_leaves_a_video_that_plays_to_its_last_fragment(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == b"recording"
        time.sleep(6.5)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    path = tmp_path / "programme.mp4"
    assert path.stat().st_size > 1000
    decoded = 0
    with av.open(str(path)) as video:
        assert {s.type for s in video.streams} == {"video", "audio"}
        with contextlib.suppress(av.FFmpegError):  # the fragment being built is cut
            for frame in video.decode(video=0):
                decoded += 1
                last = float(frame.time or 0)
    # everything but the last fragment (2 s) plays
    print(f"decoded {decoded} frames, the last at {last:.2f} s, of 6.5 s recorded")
    assert decoded >= 15 * (6.5 - 2.0 - 1.0), decoded
    assert last >= 6.5 - 2.0 - 1.0


def test_a_destination_that_stops_reading_is_cut_and_retried_without_stalling_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from session_server.media import onair as onair_module

    monkeypatch.setattr(onair_module, "CONNECT_SECONDS", 2.0)
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers the handshake
    port = silent.getsockname()[1]
    onair = onair_module.OnAir(tmp_path, size="640x360", hls=False, record=False)
    try:
        onair.start_destination("d1", f"rtmp://127.0.0.1:{port}/live/SILENT-KEY")
        frame = av.VideoFrame(640, 360, "yuv420p")
        ticks: list[float] = []
        start = time.monotonic()
        states: list[str] = []
        while time.monotonic() - start < 8 and "retrying" not in states:
            onair.frame(frame)
            for _ in range(3):
                onair.sound(None)
            ticks.append(time.monotonic())
            states.append(onair.status("d1").state)
            time.sleep(1 / 15)
        # this thread never waited on the destination: the handshake is in its own process
        assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.5
        assert "connecting" in states and "retrying" in states
        reason = onair.status("d1").reason
        assert reason == "no answer from the server" and "SILENT-KEY" not in reason
    finally:
        onair.stop()
        silent.close()


async def test_a_restart_on_a_live_day_keeps_the_earlier_video_and_starts_a_new_one(
    tmp_path: Path,
) -> None:
    session = DialogueSession(MemoryEventLog(), DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    folder = tmp_path / DEMO_DIALOGUE_ID
    folder.mkdir()
    (folder / "programme.mp4").write_bytes(b"earlier run")
    (folder / "programme.vtt").write_text("WEBVTT\n")

    async def execute(command: c.Command) -> None:
        await session.execute(command, datetime.now(UTC))

    settings = OnAirSettings(keys_dir=str(tmp_path / "keys"))
    manager = MediaManager(
        DEMO_DIALOGUE_ID, recordings_dir=tmp_path, execute=execute, onair=settings
    )
    manager.start(session.state)
    try:
        await wait_for(
            lambda: session.state.programme_started_at is not None, 5, "the start logged"
        )
        kept = sorted(p.name for p in folder.glob("programme-*"))
        assert [name.rsplit(".", 1)[1] for name in kept] == ["mp4", "vtt"]
        assert (folder / kept[0]).read_bytes() == b"earlier run"
        await wait_for(lambda: (folder / "programme.mp4").exists(), 5, "a new video")
    finally:
        await manager.stop()
    assert (folder / "programme.vtt").read_text().startswith("WEBVTT")
