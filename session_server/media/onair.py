"""On air: the programme encoded once more, as H.264 and AAC, for everything
that leaves the hall: RTMP(S) destinations (Facebook Live, YouTube, a
portal's media server), HLS for the portal's own player, and the day's video.

One H.264 and one AAC encode, whatever the number of outputs. The encoder
runs in its own thread; each output has its own thread and a bounded queue
of the *same* encoded packets (their bytes and timestamps), and only muxes
them: nothing per output scales with pixels or samples, and an output that
is slow or gone never holds the others back.

- **RTMP destinations** (FLV): each connects, streams, and on a failure is
  retried with a capped backoff (1 s, 2 s, 4 s … 30 s) without touching the
  others; it starts on the next keyframe (at most 2 s away). Its state:
  ``connecting``, ``live`` (with its bitrate), ``retrying`` (with the
  reason), ``failed`` (with the reason, after :data:`MAX_FAILURES`
  attempts in a row), ``stopped``. The stream key is part of the URL the
  muxer opens and of nothing else: errors are reported by their reason only
  (never the URL), and nothing here logs a URL.
- **HLS** (``live/index.m3u8`` and 2 s segments, a sliding playlist of
  six): the portal's player is about three segments behind, under 10 s.
- **The day's video** (``programme.mp4``): fragmented MP4, a fragment per
  keyframe (2 s), flushed as it is written, so the file plays while it grows
  and a ``kill -9`` loses at most the fragment being built. When the day
  ends it is rewritten once (the packets copied, nothing re-encoded) with
  its chapters (:func:`finish_recording`).

Timestamps are the programme's (its clock, not a source's), so a switch of
the floor keeps them continuous; a switch forces a keyframe.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.audio.resampler import AudioResampler
from av.video.frame import PictureType, VideoFrame

from session_server.catalogue import UI
from session_server.core.chapters import PROGRAMME_CHAPTERS, PROGRAMME_VIDEO, Chapter, webvtt

__all__ = [
    "HLS_LIST_SIZE",
    "HLS_SEGMENT",
    "MAX_FAILURES",
    "SIZES",
    "DestinationStatus",
    "OnAir",
    "backoff",
    "finish_recording",
    "reason_of",
    "write_chapters",
]

logger = logging.getLogger(__name__)

SIZES: dict[str, tuple[int, int]] = {"640x360": (640, 360), "1280x720": (1280, 720)}
FPS = 15
KEYFRAME_SECONDS = 2.0
"""A keyframe at least this often: each HLS segment and MP4 fragment starts
on one, and a destination that (re)connects starts on the next."""
HLS_SEGMENT = 2
HLS_LIST_SIZE = 6
VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
MIX_SAMPLES = 960
"""The programme's sound comes in 20 ms chunks of 16-bit stereo."""
MIX_BYTES = MIX_SAMPLES * 4
AUDIO_SLACK = 0.2
"""Sound more than this behind the clock is padded with silence; more than
this ahead is dropped, so sound and picture stay together."""
ENCODER_QUEUE = 64
OUTPUT_QUEUE = 300
"""Packets an output may have waiting (about 8 s at 15 fps with sound)."""
MAX_FAILURES = 12
BACKOFF_CAP = 30.0
STALL_SECONDS = 20.0
CONNECT_SECONDS = 15.0
STABLE_AFTER = 30.0
"""A destination live this long starts its backoff again from 1 s."""

LIVE_DIR = "live"
PLAYLIST = "index.m3u8"


def backoff(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` in a row (1, 2, 4 … 30)."""
    return float(min(BACKOFF_CAP, 2 ** max(0, failures - 1)))


def reason_of(error: BaseException) -> str:
    """What went wrong, without the URL (it carries the stream key)."""
    if isinstance(error, av.FFmpegError):
        text = error.strerror or type(error).__name__
    elif isinstance(error, OSError):
        text = os.strerror(error.errno) if error.errno else type(error).__name__
    else:
        text = type(error).__name__
    return re.sub(r"\w+://\S*", "…", str(text))[:120]


@dataclass(frozen=True)
class _Packet:
    """One encoded packet, as every output gets it."""

    video: bool
    data: bytes
    pts: int
    dts: int
    keyframe: bool


@dataclass
class DestinationStatus:
    state: str = "stopped"
    """``stopped``, ``connecting``, ``live``, ``retrying``, ``failed``."""
    kbps: float | None = None
    reason: str = ""
    attempts: int = 0


class _Encoders:
    """The one H.264 and the one AAC encoder, and the template streams the
    outputs copy their parameters from."""

    def __init__(self, width: int, height: int, video_bitrate: int, audio_bitrate: int) -> None:
        self.template = av.open(os.devnull, "w", format="null")
        video: Any = self.template.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = VIDEO_TIME_BASE
        ctx: Any = video.codec_context
        ctx.time_base = VIDEO_TIME_BASE
        ctx.bit_rate = video_bitrate
        ctx.gop_size = int(KEYFRAME_SECONDS * FPS)
        ctx.flags |= 1 << 22  # AV_CODEC_FLAG_GLOBAL_HEADER: SPS/PPS for FLV and MP4
        ctx.thread_count = 1
        ctx.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "profile": "main",
            "x264-params": (
                f"vbv-maxrate={video_bitrate // 1000}:vbv-bufsize={video_bitrate // 1000}"
                ":scenecut=0:keyint-min=1"
            ),
        }
        audio: Any = self.template.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "stereo"
        audio.time_base = AUDIO_TIME_BASE
        audio.codec_context.bit_rate = audio_bitrate
        audio.codec_context.time_base = AUDIO_TIME_BASE
        audio.codec_context.flags |= 1 << 22
        self.video, self.audio = video, audio
        self.template.start_encoding()  # opens both encoders: extradata is known
        self.width, self.height = width, height
        self.resampler = AudioResampler("fltp", "stereo", AUDIO_RATE, frame_size=1024)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.template.close()


class _Output(abc.ABC):
    """One place the packets go, in its own thread with its own queue."""

    name = "output"

    def __init__(self, encoders: _Encoders) -> None:
        self._encoders = encoders
        self.queue: queue.Queue[_Packet | None] = queue.Queue(OUTPUT_QUEUE)
        self.status = DestinationStatus()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"onair-{self.name}", daemon=True)
        self._bytes: list[tuple[float, int]] = []
        self.dropped = 0

    def start(self) -> None:
        self._thread.start()

    def put(self, packet: _Packet) -> None:
        try:
            self.queue.put_nowait(packet)
        except queue.Full:
            self.dropped += 1  # behind: it waits for the next keyframe (see _stream)
            self._lagging = True

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        if self._thread.is_alive():
            self._thread.join(wait)

    # --- the thread ----------------------------------------------------------

    _lagging = False

    @abc.abstractmethod
    def _open(self) -> Any:
        """The output container, opened (each kind of output its own)."""

    def _streams(self, container: Any) -> tuple[Any, Any]:
        video = container.add_stream_from_template(self._encoders.video)
        audio = container.add_stream_from_template(self._encoders.audio, opaque=True)
        return video, audio

    def _stream(self) -> None:
        """Open the output and mux what comes until stopped (raises on a failure)."""
        self.status.state = "connecting"
        container = self._open()
        try:
            video, audio = self._streams(container)
            started = False
            while True:
                item = self.queue.get()
                if item is None or self._stop.is_set():
                    return
                if self._lagging:  # packets were dropped: go on from a keyframe
                    started, self._lagging = False, False
                if not started:
                    if not (item.video and item.keyframe):
                        continue
                    started = True
                packet = av.Packet(item.data)
                stream = video if item.video else audio
                packet.stream = stream
                packet.time_base = VIDEO_TIME_BASE if item.video else AUDIO_TIME_BASE
                packet.pts, packet.dts = item.pts, item.dts
                packet.is_keyframe = item.keyframe
                container.mux_one(packet)
                self._count(len(item.data))
        finally:
            self._close(container)

    def _close(self, container: Any) -> None:
        with contextlib.suppress(Exception):
            container.close()

    def _count(self, size: int) -> None:
        now = time.monotonic()
        self._bytes.append((now, size))
        if self._bytes[0][0] < now - 3.0:
            self._bytes = [(t, s) for t, s in self._bytes if t >= now - 2.0]
        if self.status.state != "live":
            self.status.state = "live"
            self.status.reason = ""
            self._live_since = now

    def kbps(self) -> float:
        now = time.monotonic()
        recent = sum(s for t, s in self._bytes if t >= now - 2.0)
        return recent * 8 / 2.0 / 1000

    _live_since = 0.0

    def _run(self) -> None:
        try:
            self._stream()
        except Exception as error:
            self.status.state = "failed"
            self.status.reason = reason_of(error)
            logger.warning("on-air %s failed: %s", self.name, self.status.reason)
        else:
            self.status.state = "stopped"


class _Destination(_Output):
    """An RTMP(S) destination: retried with a capped backoff when it drops."""

    name = "destination"

    def __init__(self, encoders: _Encoders, dest_id: str, url: str) -> None:
        self.dest_id = dest_id
        self.name = f"destination-{dest_id}"
        self._url = url
        super().__init__(encoders)

    def _open(self) -> Any:
        """Start the destination's relay (``media/relay.py``) and mux FLV into it."""
        child = subprocess.Popen(
            [sys.executable, "-m", "session_server.media.relay"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self._child = child
        self._child_said = ""
        self._progress = self._opened = time.monotonic()
        assert child.stdin is not None
        child.stdin.write(self._url.encode("ascii", "replace") + b"\n")
        child.stdin.flush()
        threading.Thread(target=self._listen, args=(child,), daemon=True).start()
        return av.open(
            child.stdin,
            "w",
            format="flv",
            container_options={"flvflags": "no_duration_filesize", "flush_packets": "1"},
        )

    _child: subprocess.Popen[bytes] | None = None
    _child_said = ""
    _progress = 0.0
    _opened = 0.0

    def _listen(self, child: subprocess.Popen[bytes]) -> None:
        """The relay's word: ``live`` once connected, or why it failed."""
        assert child.stdout is not None
        for raw in child.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if line == "live" and self._child is child and not self._stop.is_set():
                self.status.state = "live"
                self.status.reason = ""
                self._live_since = time.monotonic()
            elif line.startswith("error "):
                self._child_said = line[6:126]
        child.stdout.close()

    def _count(self, size: int) -> None:
        now = time.monotonic()
        self._progress = now
        self._bytes.append((now, size))
        if self._bytes[0][0] < now - 3.0:
            self._bytes = [(t, s) for t, s in self._bytes if t >= now - 2.0]

    def watch(self) -> None:
        """Kill a relay not connected within :data:`CONNECT_SECONDS`, or that
        took no packet for :data:`STALL_SECONDS` (a destination that stopped
        reading): the next write fails, and it is retried."""
        child = self._child
        if child is None or child.poll() is not None:
            return
        now = time.monotonic()
        connecting = self.status.state == "connecting"
        if (connecting and now - self._opened > CONNECT_SECONDS) or (
            now - self._progress > STALL_SECONDS
        ):
            self._child_said = self._child_said or (
                "no answer from the server" if connecting else "the server stopped reading"
            )
            child.kill()

    def stop(self, wait: float = 10.0) -> None:
        """Stop; a relay that does not take what is left is killed."""
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        if self._thread.is_alive():
            self._thread.join(wait / 2)
        child = self._child
        if self._thread.is_alive() and child is not None:
            child.kill()  # the thread was stuck writing to it: the write fails now
            self._thread.join(wait / 2)

    def _close(self, container: Any) -> None:
        child, self._child = self._child, None
        with contextlib.suppress(Exception):
            container.close()
        if child is None:
            return
        with contextlib.suppress(Exception):
            assert child.stdin is not None
            child.stdin.close()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self.status.attempts += 1
            self._live_since = 0.0
            try:
                self._stream()
                return
            except Exception as error:
                if self._stop.is_set():
                    return
                if self._live_since and time.monotonic() - self._live_since >= STABLE_AFTER:
                    failures = 0
                failures += 1
                self.status.reason = self._child_said or reason_of(error)
                if failures >= MAX_FAILURES:
                    self.status.state = "failed"
                    logger.warning("destination %s failed: %s", self.dest_id, self.status.reason)
                    return
                self.status.state = "retrying"
                logger.info(
                    "destination %s dropped (%s); retrying in %.0f s",
                    self.dest_id,
                    self.status.reason,
                    backoff(failures),
                )
                self._bytes.clear()
                if self._stop.wait(backoff(failures)):
                    return
                self._drain()
            finally:
                if self._stop.is_set():
                    self.status.state = "stopped"

    def _drain(self) -> None:
        """What waited during the backoff is stale: start from what comes next."""
        with contextlib.suppress(queue.Empty):
            while True:
                if self.queue.get_nowait() is None:
                    self._stop.set()
                    return


class _Hls(_Output):
    name = "hls"

    def __init__(self, encoders: _Encoders, folder: Path) -> None:
        self.folder = folder
        super().__init__(encoders)

    def _open(self) -> Any:
        folder = self.folder
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        for old in folder.iterdir():  # a previous run's: not this stream's
            if old.suffix in (".ts", ".m3u8", ".tmp"):
                old.unlink(missing_ok=True)
        return av.open(
            str(folder / PLAYLIST),
            "w",
            format="hls",
            container_options={
                "hls_time": str(HLS_SEGMENT),
                "hls_list_size": str(HLS_LIST_SIZE),
                "hls_flags": "delete_segments+independent_segments+temp_file",
                "hls_segment_filename": str(folder / "segment%05d.ts"),
            },
        )


class _Recording(_Output):
    name = "recording"

    def __init__(self, encoders: _Encoders, path: Path) -> None:
        self.path = path
        super().__init__(encoders)

    def _open(self) -> Any:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return av.open(
            str(self.path),
            "w",
            format="mp4",
            container_options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "flush_packets": "1",
            },
        )


class OnAir:
    """One dialogue's outputs. :meth:`frame` and :meth:`sound` are called
    from the event loop (cheap: they only queue); the encoding runs in a
    thread. ``folder`` is the dialogue's recordings folder."""

    def __init__(
        self,
        folder: Path,
        *,
        size: str = "640x360",
        video_bitrate: int = 1_000_000,
        audio_bitrate: int = 128_000,
        hls: bool = True,
        record: bool = True,
    ) -> None:
        width, height = SIZES[size]
        self.folder = folder
        self._encoders = _Encoders(width, height, video_bitrate, audio_bitrate)
        self._input: queue.Queue[tuple[str, Any, float] | None] = queue.Queue(ENCODER_QUEUE)
        self._outputs: list[_Output] = []
        self.destinations: dict[str, _Destination] = {}
        self._lock = threading.Lock()
        self.hls = _Hls(self._encoders, folder / LIVE_DIR) if hls else None
        self.recording = _Recording(self._encoders, folder / PROGRAMME_VIDEO) if record else None
        self._t0 = time.monotonic()
        self.started_at = time.time()
        """The wall-clock time of timestamp zero (the recording's start)."""
        self._samples = 0
        self._last_video = -1.0
        self._last_pts = -1
        self._next_key = 0.0
        self._first_video: float | None = None
        self._keyframe = True
        self.frames = 0
        self.dropped = 0
        self._watched = 0.0
        for output in (self.hls, self.recording):
            if output is not None:
                self._add(output)
        self._thread = threading.Thread(target=self._encode_loop, name="onair-encode", daemon=True)
        self._thread.start()

    # --- from the event loop ----------------------------------------------------

    def frame(self, frame: VideoFrame) -> None:
        """The programme's picture (any size: scaled here)."""
        now = time.monotonic() - self._t0
        if now - self._last_video < 1 / FPS * 0.8:
            return  # a faster source: at most FPS frames a second
        self._last_video = now
        self._put(("v", frame, now))

    def sound(self, pcm: bytes | None) -> None:
        """20 ms of the programme's sound (16-bit stereo, 48 kHz), or None: silence."""
        self._put(("a", pcm, time.monotonic() - self._t0))

    def switched(self) -> None:
        """The floor moved: the next picture is a keyframe."""
        self._keyframe = True

    def _put(self, item: tuple[str, Any, float]) -> None:
        try:
            self._input.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    # --- destinations -------------------------------------------------------------

    def start_destination(self, dest_id: str, url: str) -> None:
        """Start streaming to ``url`` (its stream key included); a running
        one is left as it is."""
        with self._lock:
            current = self.destinations.get(dest_id)
            if current is not None and current.status.state not in ("failed", "stopped"):
                return
            destination = _Destination(self._encoders, dest_id, url)
            self.destinations[dest_id] = destination
            self._outputs.append(destination)
        destination.start()

    def stop_destination(self, dest_id: str) -> None:
        with self._lock:
            destination = self.destinations.pop(dest_id, None)
            if destination is not None:
                self._outputs.remove(destination)
        if destination is not None:
            threading.Thread(target=destination.stop, daemon=True).start()

    def status(self, dest_id: str) -> DestinationStatus:
        destination = self.destinations.get(dest_id)
        if destination is None:
            return DestinationStatus()
        status = destination.status
        kbps = destination.kbps() if status.state == "live" else None
        return DestinationStatus(status.state, kbps, status.reason, status.attempts)

    def _add(self, output: _Output) -> None:
        with self._lock:
            self._outputs.append(output)
        output.start()

    # --- the encoder thread -----------------------------------------------------

    def _encode_loop(self) -> None:
        while True:
            item = self._input.get()
            if item is None:
                break
            kind, value, at = item
            try:
                packets = (
                    self._encode_video(value, at) if kind == "v" else self._encode_audio(value, at)
                )
            except Exception:
                logger.exception("on-air encoding failed")
                continue
            if time.monotonic() - self._watched >= 1.0:
                self._watched = time.monotonic()
                for destination in list(self.destinations.values()):
                    destination.watch()
            if packets:
                with self._lock:
                    outputs = list(self._outputs)
                for packet in packets:
                    for output in outputs:
                        output.put(packet)

    def _encode_video(self, frame: VideoFrame, at: float) -> list[_Packet]:
        encoders = self._encoders
        if (frame.width, frame.height, frame.format.name) != (
            encoders.width,
            encoders.height,
            "yuv420p",
        ):
            frame = frame.reformat(width=encoders.width, height=encoders.height, format="yuv420p")
        else:
            frame = VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        pts = max(int(at * VIDEO_TIME_BASE.denominator), self._last_pts + 1)
        self._last_pts = pts
        # keyframes on a fixed 2 s grid (HLS segments and MP4 fragments of 2 s),
        # and one more at each switch of the floor
        if self._first_video is None:
            self._first_video = self._next_key = at  # the grid starts with the picture
        keyframe = self._keyframe or at >= self._next_key
        self._keyframe = False
        if at >= self._next_key:
            steps = int((at - self._first_video) / KEYFRAME_SECONDS) + 1
            self._next_key = self._first_video + steps * KEYFRAME_SECONDS
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        frame.pict_type = PictureType.I if keyframe else PictureType.NONE
        self.frames += 1
        return [
            _Packet(
                True,
                bytes(p),
                p.pts or 0,
                p.dts if p.dts is not None else p.pts or 0,
                p.is_keyframe,
            )
            for p in encoders.video.encode(frame)
        ]

    def _encode_audio(self, pcm: bytes | None, at: float) -> list[_Packet]:
        expected = int(at * AUDIO_RATE)
        if self._samples > expected + AUDIO_SLACK * AUDIO_RATE:
            return []  # ahead of the clock: drop
        chunks = [pcm if pcm is not None and len(pcm) == MIX_BYTES else bytes(MIX_BYTES)]
        while self._samples + MIX_SAMPLES * len(chunks) < expected - AUDIO_SLACK * AUDIO_RATE:
            chunks.insert(0, bytes(MIX_BYTES))  # behind (the loop stalled): silence
        out: list[_Packet] = []
        for chunk in chunks:
            frame = av.AudioFrame(format="s16", layout="stereo", samples=MIX_SAMPLES)
            frame.planes[0].update(chunk)
            frame.sample_rate = AUDIO_RATE
            frame.pts = self._samples
            frame.time_base = AUDIO_TIME_BASE
            self._samples += MIX_SAMPLES
            for resampled in self._encoders.resampler.resample(frame):
                for p in self._encoders.audio.encode(resampled):
                    pts = p.pts or 0
                    out.append(
                        _Packet(False, bytes(p), pts, p.dts if p.dts is not None else pts, True)
                    )
        return out

    # --- the end -------------------------------------------------------------------

    def stop(self) -> None:
        """End every output (blocking: call it from a thread). The HLS
        playlist gets its end; the recording is left as it is (see
        :func:`finish_recording`)."""
        with contextlib.suppress(queue.Full):
            self._input.put(None, timeout=5)
        self._thread.join(10)
        with self._lock:
            outputs, self._outputs = list(self._outputs), []
            self.destinations.clear()
        for output in outputs:
            output.stop()
        self._encoders.close()


def write_chapters(folder: Path, chapters: Sequence[Chapter]) -> None:
    """Write ``programme.vtt`` atomically."""
    path = folder / PROGRAMME_CHAPTERS
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(webvtt(chapters), encoding="utf-8")
    temporary.replace(path)


def finish_recording(folder: Path, chapters: Sequence[Chapter]) -> bool:
    """Rewrite the day's video once with its chapters (the packets copied,
    nothing re-encoded), still fragmented; atomically. False if there is
    nothing to finish. The WebVTT chapters are the floor segments only; the
    MP4's start with the opening when the first segment starts later."""
    path = folder / PROGRAMME_VIDEO
    if not path.is_file() or path.stat().st_size == 0:
        return False
    if chapters and chapters[0].start > 0.5:
        # MP4 (QuickTime) chapters run from zero without a gap: what comes
        # before the first floor segment is a chapter of its own
        opening = Chapter(0.0, chapters[0].start, UI["onair.chapter.opening"][0])
        chapters = [opening, *chapters]
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with (
            av.open(str(path)) as source,
            av.open(
                str(temporary),
                "w",
                format="mp4",
                container_options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
            ) as target,
        ):
            mapping = {
                stream.index: target.add_stream_from_template(stream)
                for stream in source.streams
                if stream.type in ("video", "audio")
            }
            base = Fraction(1, 1000)
            target.set_chapters(
                [
                    {
                        "id": number,
                        "start": round(chapter.start * 1000),
                        "end": round(max(chapter.end, chapter.start + 0.001) * 1000),
                        "time_base": base,
                        "metadata": {"title": chapter.title},
                    }
                    for number, chapter in enumerate(chapters, 1)
                ]
            )
            for packet in source.demux(*[source.streams[i] for i in mapping]):
                if packet.dts is None:
                    continue
                packet.stream = mapping[packet.stream.index]
                target.mux(packet)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(path)
    except Exception:
        temporary.unlink(missing_ok=True)
        raise
    return True
