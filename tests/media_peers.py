"""Real aiortc peers for the media tests: a bridge point that publishes a
synthetic camera (a flat picture of a chosen brightness, so a display can
tell whose picture it gets) and microphone (a sine of a chosen pitch), and
a hall display that receives the programme and keeps what it decoded.

ICE runs on 127.0.0.1 only, with no STUN server."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import AudioFrame, VideoFrame

from session_server.media.ice import restrict_host_addresses

Signal = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def loopback_only() -> None:
    """aioice leaves 127.0.0.1 out by default; the tests use nothing else."""
    restrict_host_addresses(["127.0.0.1"])


class FlatCamera(VideoStreamTrack):
    """640×360 at 15 fps, every pixel of brightness ``luma``."""

    def __init__(self, luma: int, width: int = 640, height: int = 360) -> None:
        super().__init__()
        self.luma = luma
        self.width = width
        self.height = height

    async def recv(self) -> VideoFrame:
        # 15 fps on aiortc's 90 kHz video clock
        if not hasattr(self, "_start"):
            self._start = time.time()
            self._count = 0
        self._count += 1
        wait = self._start + self._count / 15 - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        frame = VideoFrame(self.width, self.height, "yuv420p")
        for plane, value in zip(frame.planes, (self.luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = self._count * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class Tone(AudioStreamTrack):
    """A sine of ``hz`` (16-bit stereo, 48 kHz, 20 ms frames)."""

    def __init__(self, hz: float, amplitude: int = 8000) -> None:
        super().__init__()
        self.hz = hz
        self.amplitude = amplitude
        self._n = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.time()
        self._n += 1
        wait = self._start + self._n * 0.02 - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(960) + (self._n - 1) * 960) / 48000
        mono = (self.amplitude * np.sin(2 * math.pi * self.hz * t)).astype(np.int16)
        stereo = np.repeat(mono, 2)
        frame = AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(stereo.tobytes())
        frame.sample_rate = 48000
        frame.pts = (self._n - 1) * 960
        frame.time_base = fractions.Fraction(1, 48000)
        return frame


async def _offer(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
    return str(pc.localDescription.sdp)


class Publisher:
    """A bridge point's console: camera + microphone + the health channel."""

    def __init__(self, luma: int, hz: float) -> None:
        self.camera = FlatCamera(luma)
        self.mic = Tone(hz)
        self.pc = RTCPeerConnection()
        self.pings = 0
        self.told: list[str] = []
        """The qualities the server asked for, in order ("full", "standby");
        kept only: this synthetic camera sends its full picture whatever."""
        self.replaced = False

    async def start(self, signal: Signal) -> None:
        self.pc.addTrack(self.camera)
        self.pc.addTrack(self.mic)
        channel = self.pc.createDataChannel("health")

        @channel.on("message")
        def on_message(message: Any) -> None:
            if isinstance(message, str) and message.startswith("ping "):
                self.pings += 1
                channel.send("pong " + message[5:])
            elif isinstance(message, str) and message.startswith("quality "):
                self.told.append(message[8:])
            elif message == "replaced":
                self.replaced = True

        reply = await signal({"type": "media", "op": "publish", "sdp": await _offer(self.pc)})
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))

    async def close(self) -> None:
        await self.pc.close()


class Display:
    """A hall display: keeps each decoded picture's brightness and arrival
    time, and the decoded sound. ``kinds`` is the order of its offer's
    sections; without ``rtx`` it offers no retransmission stream."""

    def __init__(self, kinds: tuple[str, str] = ("video", "audio"), rtx: bool = True) -> None:
        self.pc = RTCPeerConnection()
        self.kinds = kinds
        self.rtx = rtx
        self.frames: list[tuple[float, float, int, int]] = []
        """(arrival, mean brightness, width, pts) of every decoded picture."""
        self.audio = bytearray()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, signal: Signal) -> None:
        for kind in self.kinds:
            transceiver = self.pc.addTransceiver(kind, direction="recvonly")
            if not self.rtx and kind == "video":
                capabilities = RTCRtpReceiver.getCapabilities(kind)
                assert capabilities is not None
                transceiver.setCodecPreferences(
                    [c for c in capabilities.codecs if c.mimeType.lower() != "video/rtx"]
                )

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

        reply = await signal({"type": "media", "op": "view", "sdp": await _offer(self.pc)})
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))

    async def _consume(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, VideoFrame):
                luma = np.frombuffer(frame.planes[0], np.uint8).mean()
                self.frames.append(
                    (time.monotonic(), float(luma), frame.width, int(frame.pts or 0))
                )
            elif isinstance(frame, AudioFrame):
                self.audio += bytes(frame.planes[0])[: frame.samples * 4]

    def brightness_since(self, moment: float) -> list[float]:
        return [luma for at, luma, _, _ in self.frames if at >= moment]

    def audio_power(self, hz: float, seconds: float = 1.0) -> float:
        """Relative power at ``hz`` in the last ``seconds`` of sound."""
        samples = np.frombuffer(bytes(self.audio), np.int16)[::2].astype(np.float64)
        samples = samples[-int(48000 * seconds) :]
        if len(samples) < 4800:
            return 0.0
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        freqs = np.fft.rfftfreq(len(samples), 1 / 48000)
        band = (freqs > hz - 20) & (freqs < hz + 20)
        return float(spectrum[band].max() / len(samples))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pc.close()


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
