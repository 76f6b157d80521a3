"""A live programme for the browser tests: a synthetic H.264 + AAC stream
written by PyAV's HLS muxer, in real time, from a thread (a moving colour
bar and a tone), into the folder where the programme's encoder writes
(``RECORDINGS_DIR/<dialogue>/live/``)."""

from __future__ import annotations

import fractions
import threading
import time
from pathlib import Path

import av
import numpy as np

__all__ = ["LiveHls"]

FPS = 25
WIDTH, HEIGHT = 320, 180
RATE = 48_000
SAMPLES = 1024


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
            self._write()
        except BaseException as error:  # reported by the test
            self.error = error

    def _write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        out = av.open(
            str(self.folder / "index.m3u8"),
            "w",
            format="hls",
            options={"hls_time": "1", "hls_list_size": "6", "hls_flags": "delete_segments"},
        )
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
        audio.layout = "stereo"  # type: ignore[union-attr]
        started = time.monotonic()
        samples = 0
        tone = 2 * np.pi * 440 / RATE
        while not self._halt.is_set() and self.frames < self.seconds * FPS:
            picture = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
            x = (self.frames * 8) % WIDTH
            picture[:, x : x + 16] = (255, 210, 127)
            picture[: HEIGHT // 2, :, 2] = (self.frames * 5) % 256
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = self.frames
            frame.time_base = fractions.Fraction(1, FPS)
            for packet in video.encode(frame):
                out.mux(packet)
            self.frames += 1
            while samples < self.frames * RATE // FPS:
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
            # in real time, as a live encoder
            ahead = started + self.frames / FPS - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        for stream in (video, audio):
            for packet in stream.encode(None):  # type: ignore[attr-defined]
                out.mux(packet)
        out.close()
