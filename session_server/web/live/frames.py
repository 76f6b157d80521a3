"""Writing one prepared WebSocket frame to many sockets.

Fan-out to thousands of phones is dominated by per-socket work: encoding
the same text again, framing it again, and waking one task per socket. Like
``websockets.broadcast``, the hub builds the frame once per audience and
writes the same bytes straight to each socket's transport; the transport's
write buffer is the socket's bounded queue, and a socket whose buffer is
over the limit has fallen behind.

This needs the server's transport. ``KeepRawSend`` (an ASGI middleware)
keeps the server's own ``send`` in the scope; when it belongs to uvicorn's
sans-I/O WebSocket protocol, :func:`direct_writer` reaches its transport
and protocol state. Under any other server (or a test client) it returns
``None`` and the hub uses its per-socket queues instead.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.protocol import State

__all__ = ["RAW_SEND", "DirectWriter", "KeepRawSend", "direct_writer", "text_frame"]

RAW_SEND = "session_server.raw_send"
WRITE_BUFFER_LIMIT = 256 * 1024
"""Bytes a socket may have waiting in its transport before it counts as
fallen behind (a few full-screen updates)."""


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked text frame (RFC 6455 §5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class DirectWriter:
    """Writes prepared frames to one uvicorn WebSocket connection."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, protocol: Any, transport: Any) -> None:
        self._protocol = protocol
        self._transport = transport

    def open(self) -> bool:
        protocol = self._protocol
        return (
            not protocol.close_sent
            and not self._transport.is_closing()
            and protocol.conn.state is State.OPEN
        )

    async def closed_within(self, seconds: float) -> None:
        """Wait up to ``seconds`` for the connection to finish closing (its
        buffered bytes sent); abort it if it has not, so a peer that stopped
        reading cannot hold the descriptor and the buffer any longer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if self._transport.is_closing() and self._transport.get_write_buffer_size() == 0:
                return
            await asyncio.sleep(0.05)
        self._transport.abort()

    def write(self, frame: bytes) -> bool:
        """Write ``frame``; ``False`` when the socket is closed or behind."""
        if not self.open():
            return False
        if self._transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            return False
        self._transport.write(frame)
        return True


def direct_writer(scope: Scope) -> DirectWriter | None:
    """The direct writer of this WebSocket, when the server allows one."""
    send = scope.get(RAW_SEND)
    protocol = getattr(send, "__self__", None)
    if protocol is None or not any(
        # uvicorn's sans-I/O protocol, or a subclass (web/connections.py's)
        cls.__name__ == "WebSocketsSansIOProtocol"
        for cls in type(protocol).__mro__
    ):
        return None
    transport = getattr(protocol, "transport", None)
    # uvloop's transports do not derive from asyncio's classes: check the methods
    if not all(
        callable(getattr(transport, name, None))
        for name in ("write", "is_closing", "get_write_buffer_size")
    ):
        return None
    if not hasattr(protocol, "close_sent") or not hasattr(protocol, "conn"):
        return None
    if getattr(protocol.conn, "extensions", None):  # compression on: frames differ
        return None
    return DirectWriter(protocol, transport)


class KeepRawSend:
    """Keeps the server's ``send`` of each WebSocket in its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        return self.app(scope, receive, send)  # not awaited here: no frame kept per socket
