"""On a real uvicorn server, a socket that stops reading is closed and the
others go on: the hub writes each audience's frame straight to the sockets'
transports, and a transport whose write buffer is over its bound has fallen
behind (``web/frames.py``). It is closed with 1013 and, when it cannot even
take the close frame, aborted within ``CLOSE_GRACE_SECONDS``, so its
descriptor is released (the event-day finding: a slow socket cut off but
never closed, ESTABLISHED with ~2.8 MB queued, its descriptor held for
minutes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.web.live.hub import CLOSE_GRACE_SECONDS, CLOSE_LAGGING, COALESCE_SECONDS, Hub
from tests._uvicorn import masked, raw_socket, read_frames, serving, socket_inodes
from tests.webapp import token


@pytest.fixture
async def served() -> AsyncIterator[tuple[Starlette, int]]:
    async with serving() as running:
        yield running


async def open_phone(port: int, path: str, cookie: str, read: bool) -> socket.socket:
    """A phone's socket: handshake and hello; a stalled one never reads again."""
    return await raw_socket(port, path, cookie=cookie, receive_buffer=0 if read else 4096)


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


TCP_STATES = {
    "01": "ESTABLISHED",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0B": "CLOSING",
}


def tcp_state(local_port: int, remote_port: int) -> tuple[str, int] | None:
    """The kernel's state of a loopback TCP connection and the bytes it
    still has to send (``/proc/net/tcp``), or None when it is gone."""
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if (int(local.split(":")[1], 16), int(remote.split(":")[1], 16)) == (
                local_port,
                remote_port,
            ):
                return TCP_STATES.get(state, state), int(fields[4].split(":")[0], 16)
    return None


def server_socket(conn: object) -> str:
    """The ``socket:[inode]`` of the server's descriptor of a hub connection."""
    transport = conn.direct._transport  # type: ignore[attr-defined]
    return os.readlink(f"/proc/self/fd/{transport.get_extra_info('socket').fileno()}")


async def test_a_socket_that_stops_reading_is_closed_within_seconds_and_its_descriptor_freed(
    served: tuple[Starlette, int],
) -> None:
    """Two moderator screens stop reading (a 4 KB receive buffer, nothing
    read): one for good, the other starts reading again once it has fallen
    behind. A third moderator screen and a hall display read everything.
    The queue holds 60 long questions, and the moderator moves the last
    to the top again and again (every card's position changes, so each
    move carries the queue) until the frames overfill the two slow sockets.
    Both are closed: the one that reads again gets the 1013 close frame;
    the one that never reads is aborted, its descriptor released once the
    close grace is over (well within 5 s of falling behind). The others go
    on."""
    app, port = served
    registry = app.state.registry
    hub: Hub = await registry.get(DEMO_DIALOGUE_ID)
    loop = asyncio.get_running_loop()
    fell_behind: dict[int, float] = {}  # client port -> when the hub found it behind
    lagging = hub._lagging

    def timed_lagging(conn: object) -> None:
        fell_behind.setdefault(conn.websocket.scope["client"][1], loop.time())  # type: ignore[attr-defined]
        lagging(conn)  # type: ignore[arg-type]

    hub._lagging = timed_lagging  # type: ignore[method-assign]
    moderator = f"/ws/{token(app, 'moderator01')}"
    stalled = await raw_socket(port, moderator, receive_buffer=4096)
    late = await raw_socket(port, moderator, receive_buffer=4096)
    healthy = await raw_socket(port, moderator)
    display = await raw_socket(port, f"/ws/{token(app, 'display0001')}")
    received = {"moderator": 0, "display": 0}

    async def drain(raw: socket.socket, who: str) -> None:
        with contextlib.suppress(OSError):
            while chunk := await loop.sock_recv(raw, 1 << 16):
                received[who] += len(chunk)

    readers = [
        asyncio.create_task(drain(healthy, "moderator")),
        asyncio.create_task(drain(display, "display")),
    ]
    try:
        for _ in range(100):
            if hub.connection_count() == 4:
                break
            await asyncio.sleep(0.02)
        assert hub.connection_count() == 4
        by_port = {conn.websocket.scope["client"][1]: conn for conn in hub.connections}
        stalled_port, late_port = stalled.getsockname()[1], late.getsockname()[1]
        stalled_inode = server_socket(by_port[stalled_port])
        assert stalled_inode in socket_inodes()

        freed_at: float | None = None

        async def watch() -> None:
            nonlocal freed_at
            while stalled_inode in socket_inodes():
                await asyncio.sleep(0.01)
            freed_at = loop.time()

        watcher = asyncio.create_task(watch())
        readers.append(watcher)
        phone = Actor(Role.ATTENDEE, "chau-doc", device_id="laggard-test")
        filler = "Thanh niên nông thôn cần vốn vay ưu đãi để khởi nghiệp. " * 16  # ~900 chars
        moderator_actor = Actor(Role.MODERATOR)
        for n in range(60):
            key = f"laggard-{n:04d}"
            await hub.execute(c.SubmitQuestion(phone, f"#{n} {filler}", key, "chau-doc"))
            await hub.execute(
                c.ApproveQuestion(moderator_actor, hub.session.state.next_question_id - 1)
            )
        started = loop.time()
        moves = 0
        while len(fell_behind) < 2 and moves < 400:
            moves += 1
            last = hub.session.state.queue[-1]
            await hub.execute(c.MoveQuestion(moderator_actor, last, 0))
            await asyncio.sleep(COALESCE_SECONDS * 1.5)  # one render, one frame per move
        assert set(fell_behind) == {stalled_port, late_port}, (
            f"after {moves} moves the hub found behind: {sorted(fell_behind)}"
        )
        queued = tcp_state(port, stalled_port)
        print(
            f"\n{moves} moves in {loop.time() - started:.1f}s overfilled the slow "
            f"sockets; the kernel held {queued} for the stalled one"
        )

        # the late reader reads again: everything queued, then 1013
        frames = await read_frames(late, timeout=CLOSE_GRACE_SECONDS + 3)
        closing = frames[-1] if frames else None
        assert closing is not None and closing.close_code == CLOSE_LAGGING, (
            f"the slow screen that reads again gets 1013, got {frames[-1:]}"
        )
        got_close = loop.time() - fell_behind[late_port]
        await loop.sock_sendall(late, masked(0x8, closing.payload[:2]))

        # the stalled one never reads: aborted, its descriptor released
        await asyncio.wait({watcher}, timeout=max(0.1, fell_behind[stalled_port] + 6 - loop.time()))
        assert freed_at is not None, (
            f"the server still holds {stalled_inode} 6 s after the socket fell behind; "
            f"the kernel shows {tcp_state(port, stalled_port)}"
        )
        freed_after = freed_at - fell_behind[stalled_port]
        assert freed_after < min(5.0, CLOSE_GRACE_SECONDS + 1.0), (
            f"the server held {stalled_inode} for {freed_after:.1f}s after the socket fell "
            f"behind (grace {CLOSE_GRACE_SECONDS}s)"
        )
        after = tcp_state(port, stalled_port)
        assert after is None or after[0] != "ESTABLISHED", after
        print(
            f"1013 reached the screen that read again {got_close:.2f}s after it fell behind; "
            f"the stalled socket's descriptor was released after {freed_after:.2f}s "
            f"(grace {CLOSE_GRACE_SECONDS}s); the kernel now shows {after}"
        )

        # the others go on
        for _ in range(100):
            if hub.connection_count() == 2:
                break
            await asyncio.sleep(0.02)
        assert hub.connection_count() == 2, "the healthy moderator and the display stay"
        assert hub.dropped == 2
        before = dict(received)
        await hub.execute(c.GiveFloor(Actor(Role.MODERATOR), "chau-doc", question_seconds=90))
        for _ in range(100):
            if all(received[who] > before[who] for who in received):
                break
            await asyncio.sleep(0.02)
        assert all(received[who] > before[who] for who in received), (before, received)
    finally:
        for task in readers:
            task.cancel()
        for raw in (stalled, late, healthy, display):
            raw.close()
