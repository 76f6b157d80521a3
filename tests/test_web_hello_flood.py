"""A hello flood, as a script with only the QR code runs it, on a real
uvicorn server: a page sends one hello each time its socket opens, and the
catch-up it gets is sent once per socket; a socket that goes on past its
rate limit is told once, then closed. Before, 1,000 hellos on a phone
socket sent back 12.8 MB and stalled an API request for a second; 300 on a
moderator socket sent 50.5 MB and stalled the whole server for 2.7 s."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from tests._uvicorn import masked, raw_socket, serving
from tests.webapp import token

TEXT = 0x1
HELLO = json.dumps({"type": "hello", "epoch": None, "seq": None}).encode()


@pytest.fixture
async def served() -> AsyncIterator[tuple[Starlette, int]]:
    async with serving() as running:
        yield running


async def drain(raw: socket.socket, seconds: float) -> bytes:
    """What the server sends on ``raw`` within ``seconds``."""
    loop = asyncio.get_running_loop()
    received = b""
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(raw, 65536), left)
        except TimeoutError:
            break
        if not chunk:
            break
        received += chunk
    return received


async def settle(raw: socket.socket, quiet: float = 0.5, cap: float = 10.0) -> bytes:
    """What the server sends on ``raw`` until it has been silent for
    ``quiet`` seconds (a catch-up, however slowly a busy machine sends it)."""
    received = b""
    deadline = asyncio.get_running_loop().time() + cap
    while chunk := await drain(raw, quiet):
        received += chunk
        if asyncio.get_running_loop().time() > deadline:
            break
    return received


def closed_for_policy(received: bytes) -> bool:
    """Whether the server's last frame closes the socket with 1008."""
    return b"\x88" in received and received[received.rindex(b"\x88") + 2 :][:2] == b"\x03\xf0"


async def request_time(port: int, path: str) -> float:
    """Seconds from sending a GET to its whole answer, on a new connection."""
    loop = asyncio.get_running_loop()
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setblocking(False)
    started = time.perf_counter()
    try:
        await loop.sock_connect(raw, ("127.0.0.1", port))
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        await loop.sock_sendall(raw, request.encode())
        while await loop.sock_recv(raw, 65536):
            pass
    finally:
        raw.close()
    return time.perf_counter() - started


async def flood(port: int, path: str, cookie: str, hellos: int) -> tuple[int, bytes, float]:
    """Open a socket (its one hello and catch-up), then send ``hellos``
    more: the bytes of the catch-up, the bytes the flood brought back, and
    the slowest of the requests another client made meanwhile."""
    loop = asyncio.get_running_loop()
    raw = await raw_socket(port, path, cookie=cookie)
    try:
        first = len(await settle(raw))
        reader = asyncio.create_task(drain(raw, 3.0))
        await loop.sock_sendall(raw, b"".join(masked(TEXT, HELLO) for _ in range(hellos)))
        slowest = 0.0
        for _ in range(10):
            slowest = max(slowest, await request_time(port, "/healthz"))
        return first, await reader, slowest
    finally:
        raw.close()


async def test_a_hello_flood_on_a_phone_socket_brings_back_refusals_not_pages(
    served: tuple[Starlette, int],
) -> None:
    app, port = served
    registry = app.state.registry
    cookie = f"ssd={registry.access.new_device()[1]}"
    first, flooded, slowest = await flood(
        port, f"/ws/{token(app, 'phchaudoc01')}", cookie, hellos=1000
    )
    print(f"phone: catch-up {first} B, 1000 more hellos {len(flooded)} B, slowest {slowest:.3f} s")
    assert first > 500, "the socket's own hello brings its screen"
    assert closed_for_policy(flooded), "the flooding socket is closed"
    assert len(flooded) < 20_000, f"1000 hellos brought back {len(flooded)} B"
    assert slowest < 0.5


async def test_a_hello_flood_on_the_moderators_socket_does_not_stall_the_server(
    served: tuple[Starlette, int],
) -> None:
    app, port = served
    first, flooded, slowest = await flood(port, f"/ws/{token(app, 'moderator01')}", "", hellos=300)
    print(f"moderator: catch-up {first} B, 300 hellos {len(flooded)} B, slowest {slowest:.3f} s")
    assert first > 10_000
    assert closed_for_policy(flooded), "the flooding socket is closed"
    assert len(flooded) < 20_000, f"300 hellos brought back {len(flooded)} B"
    assert slowest < 0.5
