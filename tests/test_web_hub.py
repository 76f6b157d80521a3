"""The hub's fan-out, with in-memory sockets: one render per audience, the
same bytes for every socket of an audience, control screens first, laggards
closed so they resume, and resume by position."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocketState

from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.hub import (
    CLOSE_LAGGING,
    COALESCE_SECONDS,
    SEND_QUEUE,
    Connection,
    Hub,
)
from session_server.web.render import FRAGMENTS, Audience, Renderer

MODERATOR = Actor(Role.MODERATOR)


class FakeSocket:
    """Records what the hub writes; ``stalled`` sockets never finish a send."""

    def __init__(self, log: list[tuple[int, str]], stalled: bool = False) -> None:
        self.sent: list[str] = []
        self.log = log
        self.stalled = stalled
        self.closed: int | None = None
        self.application_state = WebSocketState.CONNECTED
        self.scope: dict[str, object] = {}  # no server transport: the queued path

    async def send_text(self, text: str) -> None:
        if self.stalled:
            await asyncio.sleep(3600)
        self.sent.append(text)
        self.log.append((id(self), text))

    async def close(self, code: int = 1000) -> None:
        self.closed = code
        self.application_state = WebSocketState.DISCONNECTED


class CountingRenderer(Renderer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Audience]] = []

    def fragment(self, name: str, view: Any, **extra: Any) -> str:
        self.calls.append((name, view.aud))
        return super().fragment(name, view, **extra)


async def make_hub() -> tuple[Hub, CountingRenderer]:
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    renderer = CountingRenderer()
    hub = Hub(session, renderer)
    hub.start()
    return hub, renderer


def connect(hub: Hub, audience: Audience, log: list[tuple[int, str]], stalled: bool = False,
            device: str | None = None) -> tuple[Connection, FakeSocket]:
    socket = FakeSocket(log, stalled)
    conn = Connection(socket, audience, device)  # type: ignore[arg-type]
    hub.attach(conn)
    return conn, socket


async def settle() -> None:
    """Let the render loop (it waits COALESCE_SECONDS) and the writers run."""
    await asyncio.sleep(COALESCE_SECONDS * 3)
    for _ in range(20):
        await asyncio.sleep(0)


async def test_one_render_per_audience_and_the_same_bytes_for_each_socket() -> None:
    hub, renderer = await make_hub()
    order: list[tuple[int, str]] = []
    phones = [connect(hub, Audience(Role.ATTENDEE), order, device=f"d{i}")[1] for i in range(50)]
    _, moderator = connect(hub, Audience(Role.MODERATOR), order)
    _, display = connect(hub, Audience(Role.DISPLAY), order)
    await settle()  # every socket's writer is waiting, as on a running server
    renderer.calls.clear()
    await hub.execute(c.GiveFloor(MODERATOR, "chau-doc", 1, question_seconds=90))
    await settle()
    phone_renders = [call for call in renderer.calls if call[1].role is Role.ATTENDEE]
    assert len(phone_renders) == len(FRAGMENTS[Role.ATTENDEE]), "rendered once, not per phone"
    messages = {p.sent[-1] for p in phones}
    assert len(messages) == 1, "every phone of the audience gets the same bytes"
    (message,) = messages
    assert 'id="floor-card"' in message and "TP. Châu Đốc" in message
    assert 'data-seq="' in message
    assert moderator.sent and display.sent
    # control screens are served before phones
    first_phone = next(i for i, (sock, _) in enumerate(order) if sock == id(phones[0]))
    assert order.index((id(moderator), moderator.sent[-1])) < first_phone
    assert order.index((id(display), display.sent[-1])) < first_phone
    await hub.stop()


async def test_unchanged_fragments_are_not_sent() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    display_conn, display = connect(hub, Audience(Role.DISPLAY), order)
    moderator_conn, moderator = connect(hub, Audience(Role.MODERATOR), order)
    hub.resume(display_conn, None, None)  # each screen says hello first
    hub.resume(moderator_conn, None, None)
    await settle()
    display.sent.clear()
    moderator.sent.clear()
    await hub.execute(c.RejectQuestion(MODERATOR, 3, "Trùng lặp"))  # not on the display
    await settle()
    assert display.sent == []
    assert any('id="mod-inbox"' in m for m in moderator.sent)
    assert all('id="programme"' not in m for m in moderator.sent), "unchanged: not resent"
    await hub.stop()


async def test_a_socket_that_falls_behind_is_closed_and_the_others_go_on() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    lagging, stuck = connect(hub, Audience(Role.ATTENDEE), order, stalled=True, device="slow")
    _, healthy = connect(hub, Audience(Role.ATTENDEE), order, device="fast")
    for n in range(SEND_QUEUE + 3):
        await hub.execute(c.SetPublicList(MODERATOR, n % 2 == 0))
        await settle()
    await settle()
    assert stuck.closed == CLOSE_LAGGING, "closed with 1013 so the client reconnects"
    assert lagging not in hub.connections.get(Audience(Role.ATTENDEE), set())
    assert len(healthy.sent) == SEND_QUEUE + 3
    assert hub.dropped >= 1
    await hub.stop()


async def test_resume_sends_nothing_at_the_head_and_everything_otherwise() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    conn, socket = connect(hub, Audience(Role.MODERATOR), order)
    hub.resume(conn, hub.session.epoch, hub.session.seq)
    await settle()
    assert socket.sent == []
    hub.resume(conn, hub.session.epoch, hub.session.seq - 5)
    await settle()
    (full,) = socket.sent
    for fragment_id in ("mod-floor", "mod-inbox", "mod-queue", "programme", "fairness"):
        assert f'id="{fragment_id}"' in full
    assert f'data-seq="{hub.session.seq}"' in full
    hub.resume(conn, "another-epoch", hub.session.seq)
    await settle()
    assert len(socket.sent) == 2, "a different epoch always gets a full render"
    await hub.stop()


async def test_revoking_a_link_closes_its_silent_screens() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    organiser = Actor(Role.ORGANISER)
    await hub.execute(c.IssueLink(organiser, "display-link-1", Role.DISPLAY, bridge_id="tinh"))
    await hub.execute(c.IssueLink(organiser, "display-link-2", Role.DISPLAY, bridge_id="an-phu"))
    revoked = FakeSocket(order)
    kept = FakeSocket(order)
    for socket, link in ((revoked, "display-link-1"), (kept, "display-link-2")):
        hub.attach(Connection(socket, Audience(Role.DISPLAY), None, link))  # type: ignore[arg-type]
    await settle()
    await hub.execute(c.RevokeLink(organiser, "display-link-1"))
    await settle()
    assert revoked.closed == 1008
    assert kept.closed is None
    assert hub.connection_count() == 1
    await hub.stop()


async def test_a_phone_gets_its_own_questions_and_not_others() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    _, mine = connect(hub, Audience(Role.ATTENDEE), order, device="me")
    _, other = connect(hub, Audience(Role.ATTENDEE), order, device="other")
    phone = Actor(Role.ATTENDEE, bridge_id="tinh", device_id="me")
    await hub.execute(c.SubmitQuestion(phone, "Câu hỏi riêng của tôi", "mine-key-0001", "tinh"))
    await settle()
    assert any("Câu hỏi riêng của tôi" in m for m in mine.sent)
    assert not any("Câu hỏi riêng của tôi" in m for m in other.sent)
    await hub.stop()


async def test_a_phone_with_two_sockets_gets_its_questions_rendered_once() -> None:
    hub, renderer = await make_hub()
    order: list[tuple[int, str]] = []
    _, first = connect(hub, Audience(Role.ATTENDEE), order, device="me")
    _, second = connect(hub, Audience(Role.ATTENDEE), order, device="me")  # a second tab
    await settle()
    renderer.calls.clear()
    phone = Actor(Role.ATTENDEE, bridge_id="tinh", device_id="me")
    await hub.execute(c.SubmitQuestion(phone, "Hai thẻ, một câu hỏi", "two-tabs-0001", "tinh"))
    await settle()
    assert [name for name, _ in renderer.calls].count("_phone_mine.html") == 1
    assert [m for m in first.sent if "Hai thẻ" in m] == [m for m in second.sent if "Hai thẻ" in m]
    assert any("Hai thẻ" in m for m in first.sent)
    await hub.stop()
