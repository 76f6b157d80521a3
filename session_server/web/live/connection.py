"""One screen's socket as the hub holds it: its audience, its device, how
its messages reach it (the direct write path, or a small queue and a writer
where the server's transport cannot be reached), when it was last heard."""

from __future__ import annotations

import asyncio
import time

from starlette.websockets import WebSocket

from session_server.web.live.frames import DirectWriter, direct_writer, text_frame
from session_server.web.screens import Audience

__all__ = ["SEND_QUEUE", "Connection"]

SEND_QUEUE = 8
"""Messages a socket may have waiting before it counts as fallen behind."""


class Connection:
    __slots__ = (
        "audience",
        "device_id",
        "direct",
        "greeted",
        "heard",
        "link_id",
        "queue",
        "strikes",
        "websocket",
        "writer",
    )

    def __init__(
        self,
        websocket: WebSocket,
        audience: Audience,
        device_id: str | None,
        link_id: str | None = None,
    ) -> None:
        self.websocket = websocket
        self.audience = audience
        self.device_id = device_id
        self.link_id = link_id
        """The role link the socket was opened with: revoking it closes the socket."""
        self.direct: DirectWriter | None = direct_writer(websocket.scope)
        # a queue and a writer only where the server's transport cannot be
        # reached (a test client): thousands of phones need neither
        self.queue: asyncio.Queue[str | None] | None = (
            asyncio.Queue(SEND_QUEUE) if self.direct is None else None
        )
        self.writer: asyncio.Task[None] | None = None
        self.heard = time.monotonic()
        """When the screen last sent anything (its heartbeat every 10 s)."""
        self.greeted = False
        """Whether the screen said where it is (once per socket: its page
        sends one hello each time the socket opens)."""
        self.strikes = 0
        """Messages in a row refused by the socket's rate limit."""

    def offer(self, message: str, frame: bytes | None = None) -> bool:
        """Send ``message`` (already framed as ``frame``, when given);
        ``False`` when the socket is closed or has fallen behind."""
        if self.direct is not None:
            return self.direct.write(frame or text_frame(message.encode()))
        assert self.queue is not None
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    async def write_loop(self) -> None:
        websocket, queue = self.websocket, self.queue
        assert queue is not None
        while True:
            message = await queue.get()
            if message is None:
                return
            await websocket.send_text(message)
