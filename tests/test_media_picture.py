"""The programme's picture encoder (``media/program.py``): what the hall
displays see is the floor's camera encoded once more, at 640×360 and
600 kbit/s. Its speed is fixed for the CPU it costs (``bench/media.py``
measures that); this checks the detail it keeps, on a picture as hard to
encode as a camera's after its own encoder: moving edges, a shifting
gradient, a little noise."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from session_server.media.program import FPS, HEIGHT, WIDTH, _VideoEncoder

SECONDS = 3


def camera_like(n: int, rng: np.random.Generator) -> av.VideoFrame:
    x = np.arange(WIDTH)[None, :]
    y = np.arange(HEIGHT)[:, None]
    bars = ((x + 6 * n) // 40 % 2) * 90
    gradient = (x + 2 * y + 5 * n) % 256 * 0.4
    luma = np.clip(40 + bars + gradient + rng.normal(0, 1, (HEIGHT, WIDTH)), 16, 235)
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)
    return av.VideoFrame.from_ndarray(
        np.concatenate([luma.astype(np.uint8), chroma]), format="yuv420p"
    )


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * float(np.log10(255 * 255 / max(mse, 1e-9)))


def test_the_programme_keeps_a_cameras_detail_at_its_bitrate() -> None:
    encoder = _VideoEncoder(600_000)
    decoder = av.CodecContext.create("libvpx", "r")
    rng = np.random.default_rng(7)
    step = 90_000 // FPS
    scores: list[float] = []
    size = 0
    for n in range(SECONDS * FPS):
        frame = camera_like(n, rng)
        luma = frame.to_ndarray()[:HEIGHT]
        for packet in encoder.encode(frame, n * step, keyframe=n == 0):
            size += packet.size
            decoded = decoder.decode(av.Packet(bytes(packet)))
            for picture in decoded:
                if n >= FPS:  # after the first second: the rate control has settled
                    scores.append(psnr(luma, picture.to_ndarray()[:HEIGHT]))
    assert len(scores) == (SECONDS - 1) * FPS
    # within its bitrate (an easy picture takes a little less) ...
    assert size * 8 / SECONDS < 660_000, size
    # ... and the picture keeps its detail: about 45 dB at the speed chosen,
    # as at the slow speed libvpx picked itself before ("8"); the fastest
    # ("-16") gives about 42
    assert float(np.mean(scores)) > 44.0, scores
    assert min(scores) > 43.0, scores
    assert Fraction(step, 90_000) == Fraction(1, FPS)
