"""On a real uvicorn server, a hall display that keeps reconnecting never
silences the other displays of its audience (``web/fanout.py``: a resume is
the socket's own catch-up and never changes the audience's record).

The event-day finding: two hall displays kept showing "Đang phát biểu: Hội
trường UBND tỉnh" 12 s after the floor was released, because a third
display's hello, arriving between a floor event and its broadcast, was
recorded as what the whole audience had been sent. Here the moderator moves
the floor over its own socket dozens of times while one display closes,
reopens and says hello in a loop, some hellos timed to land just after a
move; after every move each steady display must show the new floor, and at
the end every display shows what a fresh page load shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from markupsafe import escape
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.web.live.fanout import Rendered
from session_server.web.live.hub import Hub
from session_server.web.screens import Audience
from tests import oob
from tests._uvicorn import serving
from tests.webapp import token

MOVES = 48
"""Floor moves (gives and releases): the old bug showed within 8 to 31."""
MOVE_SECONDS = 3.0
"""How long a steady display may take to show a move (it takes milliseconds)."""


@pytest.fixture
async def served() -> AsyncIterator[tuple[Starlette, int]]:
    # every hello and command counts against the socket's rate: this test sends many
    async with serving(rate_socket="100000/10") as running:
        yield running


def element(html: str, ident: str) -> str:
    """The ``<div id="ident">`` element of a page, nested divs and all."""
    start = html.index(f'<div id="{ident}"')
    depth = 0
    for tag in re.finditer(r"<(/?)div\b[^>]*>", html[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return html[start : start + tag.end()]
    raise AssertionError(f"#{ident} is not closed")


def holder_shown(fragment_html: str) -> str | None:
    """The "Đang phát biểu: …" line of a #display fragment (None: the floor is free)."""
    match = re.search(r'class="display-holder">(.*?)</(?:div|h2)>', fragment_html, re.S)
    return match.group(1).strip() if match else None


class Display:
    """A hall display tab: its page, its socket, what it shows (applied as
    htmx applies the out-of-band swaps, ``tests/oob.py``)."""

    def __init__(self, name: str, port: int, link_token: str) -> None:
        self.name = name
        self.port = port
        self.token = link_token
        self.screen = oob.Screen()
        self.socket: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.messages = 0
        self.odd: list[str] = []
        """Messages a display should never get (refusals, non-pong JSON)."""

    async def load(self, client: httpx.AsyncClient) -> None:
        page = await client.get(f"/s/{self.token}")
        assert page.status_code == 200, page.text[:300]
        pos = re.search(r'<div id="pos" data-epoch="([^"]*)" data-seq="(\d+)"', page.text)
        assert pos, "the page carries its position"
        self.screen = oob.Screen()
        self.screen.load(
            [
                Rendered("_display.html", element(page.text, "display")),
                Rendered("_display_slate.html", element(page.text, "display-slate")),
            ],
            (pos.group(1), int(pos.group(2))),
        )

    async def open(self) -> None:
        """Open the socket (nothing is sent to it before its hello)."""
        self.socket = await connect(
            f"ws://127.0.0.1:{self.port}/ws/{self.token}",
            compression=None,
            max_size=None,
            open_timeout=5,
        )
        self.reader = asyncio.create_task(self._read(self.socket))

    async def hello(self) -> None:
        assert self.socket is not None
        epoch, seq = self.screen.position or (None, None)
        await self.socket.send(json.dumps({"type": "hello", "epoch": epoch, "seq": seq}))

    async def ping(self) -> None:
        assert self.socket is not None
        await self.socket.send(json.dumps({"type": "ping"}))

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        self.socket = self.reader = None

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in socket:
                assert isinstance(message, str)
                self.messages += 1
                if message.startswith("{"):
                    if json.loads(message).get("type") != "pong":
                        self.odd.append(message)
                    continue
                if 'id="flash"' in message:
                    self.odd.append(message)
                self.screen.apply(message)

    def fragment(self) -> str:
        return self.screen.fragments["display"].html

    def holder(self) -> str | None:
        return holder_shown(self.fragment())


class Moderator:
    """The moderator's socket: sends commands, keeps the acks and refusals."""

    def __init__(self, port: int, link_token: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/{link_token}"
        self.socket: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.acks: set[str] = set()
        self.refusals: list[dict[str, Any]] = []
        self.sent = 0

    async def open(self) -> None:
        self.socket = await connect(self.url, compression=None, max_size=None, open_timeout=5)
        self.reader = asyncio.create_task(self._read(self.socket))
        await self.socket.send(json.dumps({"type": "hello", "epoch": None, "seq": None}))

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in socket:
                if isinstance(message, str) and message.startswith("{"):
                    data = json.loads(message)
                    if data.get("type") == "ack":
                        self.acks.add(data["key"])
                    elif data.get("type") == "refused":
                        self.refusals.append(data)

    async def send(self, action: str, **fields: object) -> None:
        assert self.socket is not None
        self.sent += 1
        key = f"move-{self.sent:04d}"
        await self.socket.send(json.dumps({"action": action, "command_id": key, **fields}))

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            await self.reader


async def wait_for(check: Any, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


async def test_a_reconnecting_display_never_silences_the_other_displays(
    served: tuple[Starlette, int],
) -> None:
    app, port = served
    registry = app.state.registry
    hub: Hub = await registry.get(DEMO_DIALOGUE_ID)
    await hub.execute(c.IssueLink(Actor(Role.ORGANISER), "display0002", Role.DISPLAY, "an-phu"))
    state = hub.session.state
    questions = list(state.queue)[:6]
    bridges = ["tinh", "chau-doc", "long-xuyen", "an-phu", "tan-chau", "tinh"]
    assert all(b in state.bridges for b in bridges)
    moves: list[tuple[str, str | None, int | None]] = []  # (action, bridge, question)
    for n in range(MOVES // 2):
        question = questions[n % len(questions)] if n % 3 else None
        moves.append(("give_floor", bridges[n % len(bridges)], question))
        moves.append(("release_floor", None, None))
    if state.floor.holder:
        moves.insert(0, ("release_floor", None, None))

    main, other = token(app, "display0001"), token(app, "display0002")
    steady = [
        Display("main hall", port, main),
        Display("main hall, 2nd", port, main),
        Display("An Phú", port, other),
    ]
    flapping = Display("reconnecting", port, main)
    moderator = Moderator(port, token(app, "moderator01"))
    rng = random.Random(20240305)
    moved = asyncio.Event()
    stop = asyncio.Event()
    cycles = 0

    async def reconnect_loop() -> None:
        """Close, reopen, hello with the last position shown; half the
        hellos land just after a floor move, before its broadcast."""
        nonlocal cycles
        while not stop.is_set():
            await flapping.open()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), rng.uniform(0.0, 0.015))
            moved.clear()
            await flapping.hello()
            if rng.random() < 0.2:
                await flapping.ping()  # a heartbeat never moves the position
            await asyncio.sleep(rng.uniform(0.0, 0.012))
            await flapping.close()
            cycles += 1

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for display in (*steady, flapping):
            await display.load(client)
        for display in steady:
            await display.open()
            await display.hello()
        await moderator.open()
        flapper = asyncio.create_task(reconnect_loop())
        try:
            for number, (action, bridge, question) in enumerate(moves, 1):
                # one reconnection at least between two moves, however busy the machine
                await wait_for(lambda n=number: cycles >= n - 1, MOVE_SECONDS)
                fields: dict[str, object] = {}
                if action == "give_floor":
                    fields = {"bridge_id": bridge, "question_seconds": 90}
                    if question is not None:
                        fields["question_id"] = question
                await moderator.send(action, **fields)
                moved.set()  # the flapping display says hello now, racing the broadcast
                want = (
                    None
                    if bridge is None
                    else f"Đang phát biểu: {escape(state.bridges[bridge].name)}"
                )
                for display in steady:
                    shown = await wait_for(lambda d=display, w=want: d.holder() == w, MOVE_SECONDS)
                    assert shown, (
                        f"move {number} ({action} {bridge or ''}): the {display.name} display "
                        f"still shows {display.holder()!r} after {MOVE_SECONDS}s, not {want!r} "
                        f"({cycles} reconnections so far)"
                    )
        finally:
            stop.set()
            await flapper
        assert not moderator.refusals, moderator.refusals
        assert await wait_for(lambda: len(moderator.acks) == len(moves), 5), (
            f"{len(moderator.acks)} of {len(moves)} moves acknowledged"
        )
        assert state.floor.holder is None

        # the flapping display comes back once more and settles
        await flapping.open()
        await flapping.hello()
        head = (hub.session.epoch, hub.session.seq)
        truth = hub.render(Audience(Role.DISPLAY))
        page = oob.Screen()
        fresh = await client.get(f"/s/{main}")
        page.load([Rendered("_display.html", element(fresh.text, "display"))], head)
        for display in (*steady, flapping):
            settled = await wait_for(lambda d=display: d.screen.position == head, MOVE_SECONDS)
            assert settled, f"{display.name} shows {display.screen.position}, the log is at {head}"
            assert all(display.screen.shows(f) for f in truth), (
                f"{display.name} does not show the floor the log says:\n{display.fragment()}"
            )
            assert display.fragment() == page.fragments["display"].html, (
                f"{display.name} differs from a fresh page load"
            )
            assert display.holder() is None
            assert not display.odd, display.odd[:3]
        print(
            f"\n{len(moves)} floor moves, {cycles} reconnections of one display, "
            f"{sum(d.messages for d in steady)} messages to the steady displays"
        )
        assert cycles >= len(moves), "the display reconnected at least once per move"
        for display in (*steady, flapping):
            await display.close()
        await moderator.close()
