"""The demo app on a real uvicorn server inside the test's own event loop.

Unlike ``tests/_server.py`` (a ``session-server`` subprocess), the server
runs in the test's process, so a test can look at the hub, its connections
and their transports while real TCP clients talk to it.

- ``serving()`` builds the demo app (``tests/webapp.py``), serves it on a
  free port of 127.0.0.1 and stops it afterwards.
- ``raw_socket()`` opens a WebSocket by hand on a plain socket (its receive
  buffer can be made small before it connects, and it reads only when told
  to): a screen that stops reading.
- ``read_frames()`` reads the server's frames off such a socket.
- ``socket_inodes()`` lists the sockets this process holds descriptors for.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from tests._server import free_port
from tests.webapp import build_app

__all__ = ["Frame", "masked", "raw_socket", "read_frames", "serving", "socket_inodes"]


@contextlib.asynccontextmanager
async def serving(**changes: object) -> AsyncIterator[tuple[Starlette, int]]:
    """The demo app (settings changed by ``changes``) on a real uvicorn server."""
    app = await asyncio.to_thread(build_app, **changes)  # it seeds the log with asyncio.run
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    serving_task = asyncio.create_task(server.serve())
    for _ in range(250):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield app, port
    finally:
        # a graceful stop: the open sockets are closed and the app's lifespan
        # ends (the hubs stop); forced only if that takes too long
        server.should_exit = True
        done, _ = await asyncio.wait({serving_task}, timeout=8)
        if not done:
            server.force_exit = True
            await asyncio.wait_for(serving_task, 5)


def masked(opcode: int, payload: bytes) -> bytes:
    """A client's frame (RFC 6455: a client masks what it sends)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = bytes([0x80 | opcode, 0x80 | length])
    elif length < 1 << 16:
        header = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", length)
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def raw_socket(
    port: int,
    path: str,
    *,
    cookie: str = "",
    receive_buffer: int = 0,
    hello: dict[str, Any] | None = None,
) -> socket.socket:
    """A WebSocket opened by hand: handshake, then ``hello`` (default: a
    position the server cannot vouch for, so it sends every fragment).
    ``receive_buffer``: SO_RCVBUF set before connecting (a slow reader)."""
    loop = asyncio.get_running_loop()
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    raw.setblocking(False)
    await loop.sock_connect(raw, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    await loop.sock_sendall(
        raw,
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"{cookie_line}\r\n"
        ).encode(),
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = await loop.sock_recv(raw, 1)
        assert chunk, f"the server closed during the handshake: {response!r}"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response
    message = hello if hello is not None else {"type": "hello", "epoch": "", "seq": 0}
    await loop.sock_sendall(raw, masked(0x1, json.dumps(message).encode()))
    return raw


class Frame:
    """One server frame: its opcode and payload."""

    __slots__ = ("opcode", "payload")

    def __init__(self, opcode: int, payload: bytes) -> None:
        self.opcode = opcode
        self.payload = payload

    @property
    def close_code(self) -> int | None:
        if self.opcode != 0x8 or len(self.payload) < 2:
            return None
        code: int = struct.unpack("!H", self.payload[:2])[0]
        return code


async def read_frames(
    raw: socket.socket, until_close: bool = True, timeout: float = 5.0
) -> list[Frame]:
    """Read the server's (unmasked) frames until a close frame, the end of
    the stream or ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    buffer = b""
    frames: list[Frame] = []
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            chunk = await asyncio.wait_for(
                loop.sock_recv(raw, 1 << 16), max(0.01, deadline - loop.time())
            )
        except (TimeoutError, ConnectionError):
            break
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buffer) < 4:
                    break
                length, offset = struct.unpack("!H", buffer[2:4])[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    break
                length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
            if len(buffer) < offset + length:
                break
            frames.append(Frame(opcode, buffer[offset : offset + length]))
            buffer = buffer[offset + length :]
            if until_close and opcode == 0x8:
                return frames
    return frames


def socket_inodes() -> set[str]:
    """``socket:[inode]`` of every socket this process holds a descriptor for."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:"):
                found.add(target)
    return found
