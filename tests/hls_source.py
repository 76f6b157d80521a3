"""A programme for the browser tests: a synthetic H.264 + AAC stream (a
moving colour bar and a tone) written by PyAV, either as a live HLS stream
in real time from a thread (:class:`LiveHls`, where the programme's encoder
writes it: ``RECORDINGS_DIR/<dialogue>/live/``) or as the day's fragmented
MP4 (:func:`write_programme`)."""

from __future__ import annotations

import fractions
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

__all__ = ["LiveHls", "write_programme"]

FPS = 25
WIDTH, HEIGHT = 320, 180
RATE = 48_000
SAMPLES = 1024


def _encode(
    out: Any, seconds: float, *, realtime: bool = False, stop: Callable[[], bool] = lambda: False
) -> int:
    """Encode ``seconds`` of the synthetic programme into ``out``; the
    frames written."""
    video = out.add_stream(
        "libx264",
        rate=FPS,
        options={
            "preset": "ultrafast",
            "tune": "zerolatency",
            "x264-params": "keyint=25:scenecut=0",
        },
    )
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    audio = out.add_stream("aac", rate=RATE)
    audio.layout = "stereo"
    started = time.monotonic()
    frames = samples = 0
    tone = 2 * np.pi * 440 / RATE
    while not stop() and frames < seconds * FPS:
        picture = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        x = (frames * 8) % WIDTH
        picture[:, x : x + 16] = (255, 210, 127)
        picture[: HEIGHT // 2, :, 2] = (frames * 5) % 256
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts = frames
        frame.time_base = fractions.Fraction(1, FPS)
        for packet in video.encode(frame):
            out.mux(packet)
        frames += 1
        while samples < frames * RATE // FPS:
            t = np.arange(samples, samples + SAMPLES)
            wave = (0.2 * np.sin(tone * t)).astype(np.float32)
            sound = av.AudioFrame.from_ndarray(
                np.vstack([wave, wave]), format="fltp", layout="stereo"
            )
            sound.sample_rate = RATE
            sound.pts = samples
            sound.time_base = fractions.Fraction(1, RATE)
            for packet in audio.encode(sound):
                out.mux(packet)
            samples += SAMPLES
        if realtime:  # as a live encoder
            ahead = started + frames / FPS - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    for stream in (video, audio):
        for packet in stream.encode(None):
            out.mux(packet)
    return frames


def write_programme(path: Path, seconds: float) -> None:
    """The day's video as the programme's recorder writes it: fragmented MP4."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(
        str(path),
        "w",
        format="mp4",
        options={"movflags": "frag_keyframe+empty_moov+default_base_moof"},
    ) as out:
        _encode(out, seconds)


class LiveHls(threading.Thread):
    """Writes ``folder/index.m3u8`` and its one-second segments as a live
    encoder would, until ``stop()`` (then the playlist gets its end)."""

    def __init__(self, folder: Path, seconds: float = 60.0) -> None:
        super().__init__(name="live-hls", daemon=True)
        self.folder = folder
        self.seconds = seconds
        self._halt = threading.Event()
        self.error: BaseException | None = None
        self.frames = 0

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def run(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with av.open(
                str(self.folder / "index.m3u8"),
                "w",
                format="hls",
                options={"hls_time": "1", "hls_list_size": "6", "hls_flags": "delete_segments"},
            ) as out:
                self.frames = _encode(out, self.seconds, realtime=True, stop=self._halt.is_set)
        except BaseException as error:  # reported by the test
            self.error = error
