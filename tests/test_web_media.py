"""Media through a real server: signaling over each screen's own WebSocket,
aiortc peers on loopback, the floor refused to a bridge point without a live
picture, the link's health on the moderator's screen, recordings served to
the secretary's link only."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from session_server.demo import DEMO_DIALOGUE_ID
from tests._server import RunningServer, start_server
from tests.media_peers import Display, Publisher, loopback_only, wait_for

pytestmark = pytest.mark.slow

DISTRICT = "TP. Long Xuyên"
ELSEWHERE = "TP. Châu Đốc"
ENV = {
    "MEDIA": "1",
    "MEDIA_ADDRESSES": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
    "RATE_SOCKET": "1000/1",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("media-server"), env=ENV)
    try:
        yield running
    finally:
        running.stop()


def token(server: RunningServer, role: str, label: str | None = None) -> str:
    return server.link(role, label).path.rsplit("/", 1)[1]


class Screen:
    """A role screen's WebSocket: every message it receives, kept."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            self.messages.append(str(message))

    async def send(self, **data: Any) -> None:
        await self.ws.send(json.dumps(data))

    async def expect(self, pattern: str, timeout: float = 10) -> str:
        seen = len(self.messages)
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages[seen - 1 if seen else 0 :]:
                if re.search(pattern, message):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no message matching {pattern!r}")
            await asyncio.sleep(0.05)

    async def signal(self, message: dict[str, Any]) -> dict[str, Any]:
        start = len(self.messages)
        await self.ws.send(json.dumps(message))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for raw in self.messages[start:]:
                if raw.startswith("{"):
                    reply: dict[str, Any] = json.loads(raw)
                    if reply.get("type") == "media":
                        return reply
            await asyncio.sleep(0.05)
        raise AssertionError("no media answer")

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


@pytest.fixture
async def screens(server: RunningServer) -> AsyncIterator[Any]:
    loopback_only()
    opened: list[Screen] = []
    peers: list[Any] = []

    async def open_screen(link_token: str) -> Screen:
        ws = await connect(
            f"ws://127.0.0.1:{server.port}/ws/{link_token}",
            origin=f"http://127.0.0.1:{server.port}",
        )  # type: ignore[arg-type]
        screen = Screen(ws)
        await screen.send(type="hello", epoch=None, seq=None)
        opened.append(screen)
        return screen

    open_screen.peers = peers  # type: ignore[attr-defined]
    try:
        yield open_screen
    finally:
        for peer in peers:
            await peer.close()
        for screen in opened:
            await screen.close()


async def test_publish_view_floor_and_recording_over_the_sockets(
    server: RunningServer, screens: Any
) -> None:
    moderator = await screens(token(server, "moderator"))
    await moderator.expect("media-health")

    # no camera yet: the floor is refused, in both languages, and nothing changes
    await moderator.send(action="give_floor", bridge_id="long-xuyen")
    refusal = await moderator.expect("flash-error")
    assert "chưa có hình trực tiếp" in refusal and "no live picture" in refusal

    # a display may not publish; an operator publishes for its own bridge only
    wall = await screens(token(server, "hall display", ELSEWHERE))
    wrong = await wall.signal({"type": "media", "op": "publish", "sdp": "v=0\r\nm=video"})
    assert wrong["op"] == "error" and wrong["code"] == "role.forbidden"
    assert wrong["vi"] and wrong["en"]

    console = await screens(token(server, "bridge operator", DISTRICT))
    publisher = Publisher(200, 440.0)
    screens.peers.append(publisher)
    await publisher.start(console.signal)
    await moderator.expect(r'data-bridge="long-xuyen" data-state="live"', 15)

    display = Display()
    screens.peers.append(display)
    await display.start(wall.signal)
    await wait_for(lambda: len(display.frames) > 3, 15, "pictures on the display")

    queue = re.findall(
        r'name="question_id">\s*<option value="">[^<]*</option>\s*'
        r'<option value="(\d+)"',
        "".join(moderator.messages),
    )
    question = queue[0] if queue else "1"
    given = time.monotonic()
    await moderator.send(action="give_floor", bridge_id="long-xuyen", question_id=question)
    await wait_for(
        lambda: any(v > 180 for v in display.brightness_since(given)),
        5,
        "the district's picture on the display",
    )
    await asyncio.sleep(1.5)
    await moderator.send(action="mark_answered", question_id=question)

    # the recording is on the secretary's screen and served through its link
    secretary = token(server, "secretary")
    page = ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "data-recording" not in page:
        await asyncio.sleep(0.3)
        with urllib.request.urlopen(f"{server.base_url}/s/{secretary}") as response:
            page = response.read().decode()
    found = re.search(r'data-recording="([^"]+)"', page)
    assert found, "no recording on the secretary's screen"
    file = found.group(1)
    with urllib.request.urlopen(f"{server.base_url}/s/{secretary}/recordings/{file}") as response:
        assert response.headers["Content-Type"] == "audio/ogg"
        body = response.read()
    assert body[:4] == b"OggS" and len(body) > 2000

    def status(url: str) -> int:
        try:
            with urllib.request.urlopen(url) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    display_token = token(server, "hall display", ELSEWHERE)
    assert status(f"{server.base_url}/s/{display_token}/recordings/{file}") == 403
    assert status(f"{server.base_url}/s/{secretary}/recordings/nothing.ogg") == 404
    assert status(f"{server.base_url}/s/{secretary}/recordings/..%2F..%2Fe2e.db") == 404
    recordings = list(Path(server.folder, "data", "recordings").rglob("*.ogg"))
    assert [p.name for p in recordings] == [file]

    # the organiser: the links' health (polled by the setup page) and the archive
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get(f"/o/{DEMO_DIALOGUE_ID}/media")).status_code == 401
        signed = await client.post(
            "/o/login", data={"password": server.password}, headers={"Origin": server.base_url}
        )
        assert signed.status_code in (200, 303)
        health = await client.get(f"/o/{DEMO_DIALOGUE_ID}/media")
        assert 'data-bridge="long-xuyen" data-state="live"' in health.text
        setup = await client.get(f"/o/{DEMO_DIALOGUE_ID}")
        assert f'hx-get="/o/{DEMO_DIALOGUE_ID}/media"' in setup.text
        archive = await client.get(f"/o/{DEMO_DIALOGUE_ID}/export/archive.zip")
        assert archive.status_code == 200
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
            names = zipped.namelist()
            assert f"{DEMO_DIALOGUE_ID}/recordings/{file}" in names
            assert zipped.read(f"{DEMO_DIALOGUE_ID}/recordings/{file}") == body
            index = json.loads(zipped.read(f"{DEMO_DIALOGUE_ID}/recordings.json"))
            assert index[0]["question_id"] == int(question)
            assert index[0]["duration_ms"] > 1000
            assert f"{DEMO_DIALOGUE_ID}/events.json" in names
        own = await client.get(f"/o/{DEMO_DIALOGUE_ID}/recordings/{file}")
        assert own.content == body

    # the link fails: the moderator's screen flags it at once
    await publisher.close()
    await moderator.expect(r'data-bridge="long-xuyen" data-state="(failed|stalled)"', 5)


def _again(html: str) -> dict[str, str]:
    """The hidden fields of the refusal's form that sends its command again."""
    found = re.search(r'<div class="refusal-again"><form [^>]*>(.*?)</form>', html, re.S)
    assert found, "no form to go ahead anyway"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[1]))


async def test_the_floor_refused_for_want_of_a_picture_is_given_with_one_more_tap(
    server: RunningServer, screens: Any
) -> None:
    """Wherever the moderator gave the floor from (the queue's button, a
    floor request, the floor card), a bridge point with no live picture is
    refused with the link's state in words and one button that gives it
    anyway: the same command, confirmed. Over the socket and without
    JavaScript alike."""
    moderator = await screens(token(server, "moderator"))
    await moderator.expect("media-health")
    await moderator.send(action="release_floor")  # whatever an earlier test left
    await moderator.send(action="give_floor", bridge_id="chau-doc", question_seconds="90")
    refusal = await moderator.expect("refusal-again")
    assert "(đường truyền: Chưa phát hình)" in refusal and "(link: Not publishing)" in refusal
    assert ">Vẫn trao quyền khi chưa có hình</button>" in refusal
    fields = _again(refusal)
    assert fields == {
        "action": "give_floor",
        "csrf": "",
        "bridge_id": "chau-doc",
        "question_seconds": "90",
        "without_feed": "true",
    }
    await moderator.send(**fields)
    await moderator.expect('class="card floor-card floor-held"')
    await moderator.send(action="release_floor")
    await moderator.expect(r'<section id="mod-floor" hx-swap-oob="true" class="card floor-card">')

    # a browser without JavaScript: the page comes back with the same button
    path = f"/s/{token(server, 'moderator')}"
    origin = {"Origin": server.base_url}
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        page = (await client.get(f"{path}?lang=en")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        form = {"action": "give_floor", "bridge_id": "chau-doc", "csrf": csrf[1]}
        refused = await client.post(f"{path}/act", data=form, headers=origin)
        assert refused.status_code == 409 and "Give the floor without picture" in refused.text
        again = _again(refused.text)
        assert again["without_feed"] == "true" and again["command_id"]
        given = await client.post(f"{path}/act", data=again, headers=origin)
        assert given.status_code == 303
        assert "floor-held" in (await client.get(path)).text
    await moderator.send(action="release_floor")
