"""End to end: the programme on air, in headless Chromium.

- The broadcast overlay (``/s/{token}/overlay``) at 1920×1080 and 1280×720
  with a transparent background: every pixel outside the lower third is
  transparent (``page.screenshot(omit_background=True)``, decoded by PyAV,
  alpha read with numpy), the lower third's text follows a floor change made through the
  moderator's API within a second, and it leaves when the floor is
  released; axe-core finds nothing serious.
- The public page's live player: a real live HLS stream (H.264 + AAC,
  written in real time by PyAV, ``tests/hls_source.py``) in the server's
  ``RECORDINGS_DIR``; ``/r/{dialogue}`` loads it with hls.js, which loads
  the playlist and its segments, and the <video>'s ``currentTime``
  advances; the same through Chromium's own HLS where hls.js is not used.
  axe-core on the page with the player at 360×740 and 1280×800.
- Once the dialogue is closed, the page offers the day's video (a
  fragmented MP4 written by PyAV) with its chapters as a chapters track,
  and plays from a chapter.

``SCREENSHOTS=1`` copies the overlay's screenshot to ``docs/screenshots/``.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from session_server.store import open_log
from session_server.store.memory import MemoryEventLog
from tests import test_e2e_browser as e2e
from tests import test_e2e_screens as screens
from tests._server import RunningServer, start_server
from tests.hls_source import LiveHls, write_programme
from tests.recorddemo import record_log
from tests.test_e2e_browser import PHONE, PROJECTOR, expect, main_hall_display, wait_online
from tests.test_e2e_screens import (
    DOCS_SHOTS,
    ORDINARY,
    REMOTE,
    REMOTE_NAME,
    SHOTS,
    api,
    axe,
    command,
    free_floor,
    long_question,
    open_page,
    shot,
)

pytestmark = pytest.mark.slow

browser = e2e.browser
pages = screens.pages  # contexts opened by one test, closed after it

DIALOGUE = "an-giang-2024"
HD = {"width": 1280, "height": 720}
DESKTOP = {"width": 1280, "height": 800}
FLOOR_CHANGE_MS = 1000
"""A floor change reaches the overlay within a second."""
SECOND = "Xin hỏi tỉnh có chính sách gì để giữ chân sinh viên giỏi về làm việc tại quê nhà?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("e2e-onair")
    running = start_server(
        folder,
        env={
            "LOG_LEVEL": "WARNING",
            "RECORDINGS_DIR": str(folder / "recordings"),
            "FRAME_ANCESTORS": "http://127.0.0.1",
        },
    )
    try:
        yield running
    finally:
        running.stop()


def recordings(server: RunningServer) -> Path:
    return server.folder / "recordings" / DIALOGUE


# --- the broadcast overlay ------------------------------------------------------------------------


def alpha(page: Any, name: str = "") -> np.ndarray:
    """The page's alpha channel, as a browser source composites it (the
    screenshot kept as ``name``.png when named)."""
    png = page.screenshot(omit_background=True)
    if name:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(png)
        if os.environ.get("SCREENSHOTS") == "1":
            (DOCS_SHOTS / f"{name}.png").write_bytes(png)
    with av.open(io.BytesIO(png), format="png_pipe") as image:  # PyAV decodes the PNG
        frame = next(image.decode(video=0))
        rgba: np.ndarray = frame.to_ndarray(format="rgba")
    return rgba[:, :, 3]


def only_the_lower_third_is_painted(page: Any, name: str = "") -> dict[str, float]:
    """Every pixel outside the lower third's box transparent; the box itself
    opaque (its rounded corners aside)."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    a = alpha(page, name)
    box = page.locator("#overlay .lower-third").bounding_box()
    assert box, "no lower third"
    x0, y0 = int(box["x"]), int(box["y"])
    x1, y1 = int(box["x"] + box["width"]) + 1, int(box["y"] + box["height"]) + 1
    outside = a.copy()
    outside[y0:y1, x0:x1] = 0
    painted = np.argwhere(outside > 0)
    assert painted.size == 0, (
        f"{len(painted)} pixels painted outside the lower third: {painted[:5]}"
    )
    inside = a[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1]
    opaque = float((inside == 255).mean())
    assert opaque > 0.99, f"the lower third is only {opaque:.1%} opaque"
    size = page.viewport_size
    return {"share": (box["width"] * box["height"]) / (size["width"] * size["height"])}


def question(server: RunningServer, text: str, public: bool) -> int:
    made = api(
        server,
        server.link("bridge operator", REMOTE_NAME),
        "/questions",
        {
            "text": text,
            "asker_name": "Nguyễn Thị Thu Hà",
            "asker_unit": "Đoàn phường Châu Phú A",
            "asker_public": public,
            "idempotency_key": f"onair-{time.monotonic_ns()}",
        },
    )
    qid: int = made["question_id"]
    command(server, "approve_question", question_id=qid)
    return qid


def give_floor(server: RunningServer, page: Any, qid: int, text: str, speaker: str) -> float:
    """Give REMOTE the floor with ``qid``; how long until the overlay shows it."""
    started = time.monotonic()
    command(
        server,
        "give_floor",
        bridge_id=REMOTE,
        question_id=qid,
        question_seconds=300,
        speaker_id=speaker,
    )
    expect(page.locator("#overlay .lt-question")).to_have_text(text, timeout=FLOOR_CHANGE_MS)
    return time.monotonic() - started


def test_the_overlay_is_transparent_and_follows_the_floor(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    state = free_floor(server)
    speaker = state["speakers"][0]
    overlay = open_page(browser, pages, main_hall_display(server).url + "/overlay", **PROJECTOR)
    wait_online(overlay)
    # nobody holds the floor: nothing is painted at all
    assert int(alpha(overlay).max()) == 0
    assert axe(overlay) == []

    named = question(server, ORDINARY, public=True)
    took = give_floor(server, overlay, named, ORDINARY, speaker["speaker_id"])
    lower = overlay.locator("#overlay .lower-third")
    expect(lower.locator(".lt-bridge")).to_contain_text(REMOTE_NAME)
    expect(lower.locator(".lt-asker")).to_contain_text("Nguyễn Thị Thu Hà")
    expect(lower.locator(".lt-speaker")).to_contain_text(speaker["name"])
    expect(lower.locator(".countdown")).to_have_text("5:00", timeout=3000)
    share = only_the_lower_third_is_painted(overlay, "broadcast-overlay")
    assert axe(overlay) == []
    overlay.set_viewport_size(HD)
    only_the_lower_third_is_painted(overlay)
    assert axe(overlay) == []
    cut = lower.locator(".lt-question").evaluate("(el) => el.scrollHeight - el.clientHeight")
    assert cut <= 1, f"the question is cut by {cut}px at 1280x720"
    overlay.set_viewport_size(PROJECTOR["viewport"])

    # the next floor, asked by someone who did not agree to be named
    unnamed = question(server, SECOND, public=False)
    command(server, "release_floor")
    took_next = give_floor(server, overlay, unnamed, SECOND, speaker["speaker_id"])
    expect(lower.locator(".lt-asker")).to_have_count(0)
    only_the_lower_third_is_painted(overlay)

    # a question at the length limit fits its box at both sizes
    longest = question(server, long_question(), public=True)
    command(server, "release_floor")
    give_floor(server, overlay, longest, long_question(), speaker["speaker_id"])
    for size in (PROJECTOR["viewport"], HD):
        overlay.set_viewport_size(size)
        overlay.wait_for_function(
            "() => document.querySelector('.lt-question').dataset.fitted"
            " === innerWidth + 'x' + innerHeight"
        )
        box = lower.locator(".lt-question")
        cut = box.evaluate("(el) => el.scrollHeight - el.clientHeight")
        assert cut <= 1, f"the longest question is cut by {cut}px at {size}"
        font = box.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
        print(f"\noverlay: a {len(long_question())}-character question at {font}px, {size}")
        only_the_lower_third_is_painted(overlay)
    overlay.set_viewport_size(PROJECTOR["viewport"])

    # the floor released: the lower third leaves and nothing is painted
    command(server, "release_floor")
    expect(overlay.locator("#overlay .lower-third")).to_have_count(0, timeout=FLOOR_CHANGE_MS)
    overlay.wait_for_function("() => !document.querySelector('#overlay-leaving .lower-third')")
    assert int(alpha(overlay).max()) == 0
    print(
        f"\noverlay: floor change shown after {took * 1000:.0f} ms and {took_next * 1000:.0f} ms;"
        f" the lower third covers {share['share']:.0%} of 1920x1080"
    )


# --- the public page's live player ------------------------------------------------------------


@pytest.fixture
def live_stream(server: RunningServer) -> Iterator[LiveHls]:
    writer = LiveHls(recordings(server) / "live", seconds=90)
    writer.start()
    deadline = time.monotonic() + 15
    while not (recordings(server) / "live" / "index.m3u8").exists():
        assert time.monotonic() < deadline and writer.error is None, writer.error
        time.sleep(0.1)
    try:
        yield writer
    finally:
        writer.stop()
        assert writer.error is None, writer.error


def plays(page: Any) -> tuple[float, float]:
    """Start the live player (muted, as a page without a gesture may) and
    check its ``currentTime`` advances by two seconds of the stream."""
    page.locator("#live-video").evaluate("(v) => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.getElementById('live-video').currentTime > 0", timeout=20_000
    )
    first = float(page.locator("#live-video").evaluate("(v) => v.currentTime"))
    page.wait_for_function(
        f"() => document.getElementById('live-video').currentTime > {first + 2}", timeout=20_000
    )
    later = float(page.locator("#live-video").evaluate("(v) => v.currentTime"))
    return first, later


def test_the_public_page_plays_the_live_stream(
    browser: Any, server: RunningServer, pages: list[Any], live_stream: LiveHls
) -> None:
    url = f"{server.base_url}/r/{DIALOGUE}"
    support = open_page(browser, pages, "about:blank").evaluate(
        """() => ({
            avc: MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'),
            native: document.createElement('video').canPlayType('application/vnd.apple.mpegurl'),
        })"""
    )
    print(
        f"\n/usr/bin/chromium: H.264+AAC through MSE {support['avc']},"
        f" own HLS {support['native']!r}"
    )
    assert support["avc"], "this Chromium cannot decode H.264: see docs/media.md"

    page = open_page(browser, pages, url, viewport=DESKTOP)
    video = page.locator("#live-video")
    expect(video).to_have_attribute("data-player", "manifest")  # hls.js read the playlist
    assert video.get_attribute("data-fragments") is None  # nothing more before play
    first, later = plays(page)
    fragments = int(video.get_attribute("data-fragments") or 0)
    assert fragments >= 2, fragments
    expect(video).to_have_attribute("data-player", "playing")
    print(f"hls.js: {fragments} segments loaded, currentTime {first:.2f} → {later:.2f} s")
    assert axe(page) == []
    shot(page, "report-live-player")
    page.set_viewport_size(PHONE["viewport"])
    assert axe(page) == []
    shot(page, "report-live-player-phone")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the page scrolls sideways: {width}"

    # a browser without Media Source Extensions (iPhone Safari) plays it itself
    context = browser.new_context(viewport=DESKTOP)
    pages.append(context)
    native = context.new_page()
    native.add_init_script("delete window.MediaSource; delete window.ManagedMediaSource;")
    native.goto(url)
    expect(native.locator("#live-video")).to_have_attribute("data-player", "native")
    first, later = plays(native)
    print(f"Chromium's own HLS: currentTime {first:.2f} → {later:.2f} s")


def test_the_ended_broadcast_says_so(
    browser: Any, server: RunningServer, pages: list[Any], live_stream: LiveHls
) -> None:
    page = open_page(browser, pages, f"{server.base_url}/r/{DIALOGUE}", viewport=DESKTOP)
    plays(page)
    live_stream.stop()  # the encoder stops: the playlist gets its end
    expect(page.locator("[data-player-note=ended]")).to_be_visible(timeout=20_000)
    expect(page.locator("#live-video")).to_have_attribute("data-player", "ended")


# --- the day's video, once the dialogue is closed -----------------------------------------------

CHAPTERS = (
    "WEBVTT\n\n"
    "00:00.000 --> 00:02.000\nCâu hỏi 1: việc làm\n\n"
    "00:02.000 --> 00:04.000\nCâu hỏi 2: khởi nghiệp\n\n"
    "00:04.000 --> 00:06.000\nCâu hỏi 3: học nghề\n"
)


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose dialogue the day closed (``tests/recorddemo.py``), with
    the day's video and chapters where the programme's recorder leaves them."""
    folder = tmp_path_factory.mktemp("e2e-onair-closed")

    async def copy(day: MemoryEventLog) -> None:
        log = open_log(f"sqlite:///{folder / 'e2e.db'}")
        try:
            await log.append(DIALOGUE, [r.event for r in await day.read(DIALOGUE)], 0)
        finally:
            await log.close()

    def seed() -> None:  # the browser's loop runs in this thread: seed in another
        asyncio.run(copy(record_log()))

    seeding = threading.Thread(target=seed)
    seeding.start()
    seeding.join(timeout=60)
    assert (folder / "e2e.db").exists()
    write_programme(folder / "recordings" / DIALOGUE / "programme.mp4", seconds=6)
    (folder / "recordings" / DIALOGUE / "programme.vtt").write_text(CHAPTERS, encoding="utf-8")
    running = start_server(
        folder,
        demo=False,
        env={"LOG_LEVEL": "WARNING", "RECORDINGS_DIR": str(folder / "recordings")},
    )
    try:
        yield running
    finally:
        running.stop()


def test_the_closed_dialogue_offers_its_video_with_chapters(
    browser: Any, closed_server: RunningServer, pages: list[Any]
) -> None:
    page = open_page(browser, pages, f"{closed_server.base_url}/r/{DIALOGUE}", viewport=DESKTOP)
    assert page.locator("#live-video").count() == 0
    video = page.locator("#recording-video")
    page.wait_for_function(
        "() => document.getElementById('recording-video').readyState >= 1", timeout=20_000
    )
    duration = float(video.evaluate("(v) => v.duration"))
    assert 5.5 < duration < 6.5, duration
    cues = video.evaluate(
        """(v) => new Promise((done) => {
            const track = v.textTracks[0];
            track.mode = 'hidden';
            const read = () => track.cues && track.cues.length
                ? done({kind: track.kind, cues: [...track.cues].map((c) => [c.startTime, c.text])})
                : setTimeout(read, 50);
            read();
        })"""
    )
    assert cues["kind"] == "chapters"
    assert [c[0] for c in cues["cues"]] == [0, 2, 4]
    assert cues["cues"][1][1] == "Câu hỏi 2: khởi nghiệp"
    # a chapter is a seek (byte ranges: tests/test_web_onair.py)
    video.evaluate("(v) => { v.muted = true; v.currentTime = 4; return v.play(); }")
    page.wait_for_function(
        "() => document.getElementById('recording-video').currentTime > 4.5", timeout=20_000
    )
    print(f"\nthe day's video: {duration:.2f} s, 3 chapters, played from the third")
    assert axe(page) == []
    page.set_viewport_size(PHONE["viewport"])
    assert axe(page) == []
    shot(page, "report-recording-phone")
