"""On a real uvicorn server, a phone that stops reading is closed and the
others go on: the hub writes each audience's frame straight to the sockets'
transports, and a transport whose write buffer is over its bound has fallen
behind (``web/frames.py``)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette

from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.web.hub import COALESCE_SECONDS, Hub
from tests._server import free_port
from tests.webapp import build_app, token


@pytest.fixture
async def served() -> AsyncIterator[tuple[Starlette, int]]:
    app = await asyncio.to_thread(build_app)  # it seeds the log with asyncio.run
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws_per_message_deflate=False,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield app, port
    finally:
        server.should_exit = True
        server.force_exit = True
        await asyncio.wait_for(serving, 10)


async def open_phone(port: int, path: str, cookie: str, read: bool) -> socket.socket:
    """A phone's socket: handshake and hello; a stalled one never reads again."""
    loop = asyncio.get_running_loop()
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if not read:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await loop.sock_connect(raw, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(raw, (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Cookie: {cookie}\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += await loop.sock_recv(raw, 1)
    assert response.startswith(b"HTTP/1.1 101"), response
    hello = json.dumps({"type": "hello", "epoch": "", "seq": 0}).encode()
    mask = os.urandom(4)
    await loop.sock_sendall(raw, bytes([0x81, 0x80 | len(hello)]) + mask
                            + bytes(b ^ mask[i % 4] for i, b in enumerate(hello)))
    return raw


async def test_a_phone_that_stops_reading_is_closed_and_others_go_on(
    served: tuple[Starlette, int],
) -> None:
    app, port = served
    registry = app.state.registry
    path = f"/ws/{token(app, 'phchaudoc01')}"
    stalled = await open_phone(port, path, f"ssd={registry.access.new_device()[1]}", read=False)
    healthy = await open_phone(port, path, f"ssd={registry.access.new_device()[1]}", read=True)
    loop = asyncio.get_running_loop()
    received = 0

    async def drain() -> None:
        nonlocal received
        while chunk := await loop.sock_recv(healthy, 65536):
            received += len(chunk)

    reader = asyncio.create_task(drain())
    try:
        await asyncio.sleep(0.3)
        hub: Hub = registry.hubs[DEMO_DIALOGUE_ID]
        assert hub.connection_count() == 2
        moderator = Actor(Role.MODERATOR)
        updates = 0
        while hub.dropped == 0 and updates < 3000:
            updates += 1
            await hub.execute(c.SetPublicList(moderator, updates % 2 == 1))
            await asyncio.sleep(COALESCE_SECONDS * 1.5)  # one render, one frame per update
        assert hub.dropped == 1, f"the stalled phone was not closed after {updates} updates"
        await asyncio.sleep(0.2)
        assert hub.connection_count() == 1, "the healthy phone stays"
        before = received
        await hub.execute(c.SetPublicList(moderator, updates % 2 == 0))
        await asyncio.sleep(0.3)
        assert received > before, "the healthy phone still gets updates"
    finally:
        reader.cancel()
        stalled.close()
        healthy.close()
