"""End to end with pictures: headless Chromium with fake camera and
microphone. A bridge console publishes its camera, the hall display of
another bridge point plays the programme (its video element has a size and
its time advances), the moderator gives the floor to the publishing bridge
point and the display shows its camera; the moderator's screen shows the
link live.

ICE stays on 127.0.0.1: the server offers only that address
(``MEDIA_ADDRESSES``) and Chromium is allowed loopback candidates, with its
host addresses not hidden behind mDNS names. Needs ``/usr/bin/chromium``
(skipped without it, failed under ``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from session_server.catalogue import LANGUAGES, UI
from tests._server import RunningServer, start_server
from tests.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, DOCS_SHOTS, SHOTS

pytestmark = pytest.mark.slow

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]
DISTRICT = "TP. Long Xuyên"
ELSEWHERE = "TP. Châu Đốc"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("e2e-media"),
        env={"MEDIA": "1", "MEDIA_ADDRESSES": "127.0.0.1", "LOG_LEVEL": "WARNING"},
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: the media browser test needs the system Chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Any, name: str, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SHOTS / path.name)


PLAYING = """() => {
  const v = document.getElementById('program');
  return v ? {w: v.videoWidth, h: v.videoHeight, t: v.currentTime, paused: v.paused} : null;
}"""

# the page's peer connections, kept for their statistics
PEERS = """(() => {
  const Original = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__peers.push(this); }
  };
})();"""
SOUND = """async () => {
  let out = null;
  for (const pc of window.__peers) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out = {packets: s.packetsReceived, samples: s.totalSamplesReceived,
               concealed: s.concealedSamples, energy: s.totalAudioEnergy};
      }
    });
  }
  return out;
}"""
# how varied the picture is: the fake camera draws a moving pattern, the
# programme's slate (no picture) is one flat dark colour
VARIETY = """() => {
  const v = document.getElementById('program');
  if (!v || !v.videoWidth) { return 0; }
  const c = document.createElement('canvas');
  c.width = 160; c.height = 90;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, 160, 90);
  const d = g.getImageData(0, 0, 160, 90).data;
  let min = 255, max = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = (d[i] + d[i + 1] + d[i + 2]) / 3;
    if (y < min) { min = y; }
    if (y > max) { max = y; }
  }
  return max - min;
}"""


# the district's row in the moderator's link panel: its bitrate cell
LINK_ROW = """(bridge) => {
  const row = document.querySelector(`#media-health tr[data-bridge="${bridge}"]`);
  if (!row) { return null; }
  const cell = row.lastElementChild;
  const label = cell.querySelector('.muted');
  return {state: row.dataset.state, kbps: parseFloat(cell.textContent),
          label: label ? label.textContent.trim() : null};
}"""


def ui(page: Any, key: str) -> str:
    """The catalogue's text for ``key`` in the page's language."""
    return dict(zip(LANGUAGES, UI[key], strict=True))[
        page.evaluate("document.documentElement.lang")
    ]


def test_a_bridge_console_publishes_and_a_hall_display_plays_it(
    server: RunningServer, browser: Any
) -> None:
    console_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    display_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    display_ctx.add_init_script(PEERS)
    moderator_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        console = console_ctx.new_page()
        console.goto(server.base_url + server.link("bridge operator", DISTRICT).path)
        console.wait_for_selector("body[data-link=online]", timeout=10_000)
        console.click("#camera-start")
        console.wait_for_selector("body[data-media-state=live]", timeout=20_000)
        # nobody holds the floor, nobody asks, and it is not the main venue:
        # the console is asked for its standby picture and says so
        console.wait_for_selector("body[data-media-quality=standby]", timeout=5_000)
        assert console.inner_text("#media-state") == ui(console, "camera.state.standby")

        display = display_ctx.new_page()
        display.goto(server.base_url + server.link("hall display", ELSEWHERE).path)
        display.wait_for_function(
            "() => { const v = document.getElementById('program');"
            " return v && v.videoWidth > 0 && v.currentTime > 0; }",
            timeout=20_000,
        )
        first = display.evaluate(PLAYING)
        time.sleep(1.5)
        later = display.evaluate(PLAYING)
        assert first["w"] == 640 and first["h"] == 360, first
        assert later["t"] > first["t"] + 0.5, (first, later)
        assert not later["paused"]

        moderator = moderator_ctx.new_page()
        moderator.goto(server.base_url + server.link("moderator").path)
        moderator.wait_for_selector(
            '#media-health tr[data-bridge="long-xuyen"][data-state="live"]', timeout=10_000
        )
        # the panel marks the district's link standby, and little arrives from it
        standby_label = "· " + ui(moderator, "media.standby")
        moderator.wait_for_function(
            f"() => {{ const r = ({LINK_ROW})('long-xuyen');"
            f" return r && r.label === {standby_label!r} && r.kbps < 150; }}",
            timeout=8_000,
        )
        # two small pictures a second keep the link live: it stays so
        for _ in range(6):
            time.sleep(0.5)
            row = moderator.evaluate(f"({LINK_ROW})('long-xuyen')")
            assert row["state"] == "live" and row["label"] == standby_label, row
        # in one step: the panel is swapped at every measurement
        moderator.evaluate("document.getElementById('media-health').scrollIntoView()")
        shot(moderator, "moderator-links-standby")
        moderator.select_option("#mod-floor select[name=bridge_id]", "long-xuyen")
        moderator.click("#mod-floor button.primary")
        moderator.wait_for_selector("#mod-floor.floor-held", timeout=10_000)
        given = time.monotonic()

        # the display now shows the district's camera, not the flat slate
        display.wait_for_function(f"() => ({VARIETY})() > 40", timeout=10_000)
        assert time.monotonic() - given < 5
        moving = display.evaluate(PLAYING)
        time.sleep(1.0)
        assert display.evaluate(PLAYING)["t"] > moving["t"] + 0.5
        # the district's sound plays (its microphone back from standby), in
        # 60 ms packets: about 17 a second, each decoded whole (48,000
        # samples a second, next to none concealed)
        deadline = time.monotonic() + 5
        while (heard := display.evaluate(SOUND)) is None or heard["packets"] <= 10:
            assert time.monotonic() < deadline, f"no sound on the display: {heard}"
            time.sleep(0.2)
        time.sleep(2.0)
        later = display.evaluate(SOUND)
        assert heard is not None and later is not None
        packets = later["packets"] - heard["packets"]
        samples = later["samples"] - heard["samples"]
        assert 25 <= packets <= 45, (heard, later)
        assert samples > 80_000, (heard, later)
        assert samples / packets > 2_000  # 2,880 a packet, not 960
        assert later["concealed"] - heard["concealed"] < 0.1 * samples, (heard, later)
        assert later["energy"] > heard["energy"]
        moderator.wait_for_selector(".badge.on-screen", timeout=5_000)
        # the floor wants the district's picture and sound: full again
        console.wait_for_selector("body[data-media-quality=full]", timeout=5_000)
        assert console.inner_text("#media-state") == ui(console, "camera.state.live")
        moderator.wait_for_function(
            f"() => {{ const r = ({LINK_ROW})('long-xuyen');"
            " return r && r.state === 'live' && r.label === null; }",
            timeout=5_000,
        )
        shot(display, "display-with-picture")
        shot(moderator, "moderator-links", full=True)
        shot(console, "bridge-console-camera")
    finally:
        for context in (console_ctx, display_ctx, moderator_ctx):
            context.close()
