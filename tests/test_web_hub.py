"""The hub's fan-out, with in-memory sockets: one render per audience, the
same bytes for every socket of an audience, control screens first, laggards
closed so they resume, and resume by position."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketState

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core import events as e
from session_server.core import events_registration as rev
from session_server.core.errors import SessionError
from session_server.core.model import Actor, Phase, Role
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.live.fanout import Rendered
from session_server.web.live.hub import (
    CLOSE_LAGGING,
    CLOSE_REPLACED,
    CLOSE_SILENT,
    COALESCE_SECONDS,
    SEND_QUEUE,
    Connection,
    Hub,
)
from session_server.web.render import Renderer
from session_server.web.screens import SCREENS, VIEWS, Audience, screen_for
from session_server.web.screens.base import FREQUENT
from session_server.web.screens.moderator import ModeratorContext
from tests import oob
from tests.rosterdemo import roster_commands

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

    def fragment(self, name: str, view: Any) -> str:
        self.calls.append((name, view.aud))
        return super().fragment(name, view)


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


def connect(
    hub: Hub,
    audience: Audience,
    log: list[tuple[int, str]],
    stalled: bool = False,
    device: str | None = None,
) -> tuple[Connection, FakeSocket]:
    """A screen whose page shows the log's head opens its socket and says so."""
    socket = FakeSocket(log, stalled)
    conn = Connection(socket, audience, device)  # type: ignore[arg-type]
    hub.attach(conn)
    hub.resume(conn, hub.session.epoch, hub.session.seq)
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
    order.clear()
    await hub.execute(c.GiveFloor(MODERATOR, "chau-doc", 1, question_seconds=90))
    await settle()
    phone_renders = [call for call in renderer.calls if call[1].role is Role.ATTENDEE]
    assert len(phone_renders) == len(SCREENS[Role.ATTENDEE].live()), "rendered once, not per phone"
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
    _, display = connect(hub, Audience(Role.DISPLAY), order)
    _, moderator = connect(hub, Audience(Role.MODERATOR), order)
    await settle()
    display.sent.clear()
    moderator.sent.clear()
    await hub.execute(c.RejectQuestion(MODERATOR, 3, "Trùng lặp"))  # not on the display
    await settle()
    assert display.sent == []
    (message,) = moderator.sent
    assert '<div id="mi-3" hx-swap-oob="delete"></div>' in message, "the card goes"
    assert 'id="mod-inbox-head"' in message, "the count with it"
    assert 'id="mod-inbox"' not in message, "not the rest of the inbox"
    assert 'id="programme"' not in message, "unchanged: not resent"
    await hub.stop()


async def test_the_moderators_lists_change_card_by_card() -> None:
    """A phone's question adds its card and the inbox's count; a vote sends
    the card it changes; an approval moves one card from the inbox to the
    queue: never a whole list (at 200 questions a second the tablet took
    148 KiB a push)."""
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    _, moderator = connect(hub, Audience(Role.MODERATOR), order)
    await settle()
    state = hub.session.state
    queued = state.queue[0]
    phone = Actor(Role.ATTENDEE, bridge_id="chau-doc", device_id="phone-1")

    async def sent(command: c.Command) -> str:
        moderator.sent.clear()
        await hub.execute(command)
        await settle()
        return "".join(moderator.sent)

    asked = await sent(c.SubmitQuestion(phone, "Câu hỏi mới về việc làm?", "k-000001", "chau-doc"))
    new_id = state.next_question_id - 1
    assert f'hx-swap-oob="beforeend:#mi-list"><li id="mi-{new_id}"' in asked
    assert 'id="mod-inbox-head"' in asked
    assert 'id="mod-inbox"' not in asked and 'id="mod-queue"' not in asked
    assert len(asked) < 4000, len(asked)

    await hub.execute(c.SetPublicList(MODERATOR, True))
    await settle()
    voted = await sent(c.Vote(phone, queued))
    assert f'<li hx-swap-oob="true" id="mq-{queued}"' in voted and "mod-queue" not in voted
    assert len(voted) < 4000, len(voted)

    approved = await sent(c.ApproveQuestion(MODERATOR, new_id))
    assert f'<div id="mi-{new_id}" hx-swap-oob="delete"></div>' in approved
    assert f'<li id="mq-{new_id}"' in approved
    assert 'id="mod-inbox"' not in approved and 'id="mod-queue"' not in approved
    await hub.stop()


async def test_a_phone_asking_renders_only_what_asking_can_change() -> None:
    hub, renderer = await make_hub()
    order: list[tuple[int, str]] = []
    for audience in (
        Audience(Role.MODERATOR),
        Audience(Role.DISPLAY),
        Audience(Role.ATTENDEE, bridge_id="chau-doc"),
        Audience(Role.BRIDGE_OPERATOR, bridge_id="chau-doc"),
    ):
        connect(hub, audience, order)
    await hub.execute(c.SetPublicList(MODERATOR, True))  # the first render is whole
    await settle()
    renderer.calls.clear()
    phone = Actor(Role.ATTENDEE, bridge_id="chau-doc", device_id="phone-1")
    await hub.execute(c.SubmitQuestion(phone, "Câu hỏi về nhà ở xã hội?", "k-000001", "chau-doc"))
    await settle()
    rendered = {name for name, _ in renderer.calls}
    assert rendered == {
        "_mod_alerts.html",
        "_mod_inbox_head.html",
        "_mod_inbox.html",
        "_fairness.html",
        "_bridge_queue.html",
    }, rendered
    await hub.stop()


async def test_a_socket_silent_past_its_heartbeat_is_closed_and_one_that_pings_stays() -> None:
    """The one heartbeat: a screen whose link went away without a word (a
    phone that left the Wi-Fi) sends no more pings and is closed; a screen
    that pings stays, however long."""
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    hub = Hub(session, Renderer(), silence=0.4)
    hub.start()
    order: list[tuple[int, str]] = []
    gone, gone_socket = connect(hub, Audience(Role.ATTENDEE), order, device="gone")
    alive, alive_socket = connect(hub, Audience(Role.ATTENDEE), order, device="alive")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.5
    while loop.time() < deadline:
        alive.heard = time.monotonic()  # what the socket's loop does on every message
        await asyncio.sleep(0.05)
    assert gone_socket.closed == CLOSE_SILENT and gone not in hub.connections
    assert alive_socket.closed is None and alive in hub.connections
    await hub.stop()


async def test_a_socket_that_falls_behind_is_closed_and_the_others_go_on() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    lagging, stuck = connect(hub, Audience(Role.ATTENDEE), order, stalled=True, device="slow")
    _, healthy = connect(hub, Audience(Role.ATTENDEE), order, device="fast")
    await settle()
    healthy.sent.clear()
    for n in range(SEND_QUEUE + 3):
        await hub.execute(c.SetPublicList(MODERATOR, n % 2 == 0))
        await settle()
    await settle()
    assert stuck.closed == CLOSE_LAGGING, "closed with 1013 so the client reconnects"
    assert lagging not in hub.connections
    assert len(healthy.sent) == SEND_QUEUE + 3
    assert hub.dropped >= 1
    await hub.stop()


async def test_resume_sends_only_what_changes_outside_the_log_at_the_head() -> None:
    hub, _ = await make_hub()
    order: list[tuple[int, str]] = []
    conn, socket = connect(hub, Audience(Role.MODERATOR), order)
    await settle()
    (volatile,) = socket.sent  # the log's link and the media links: not in the log
    assert 'id="status"' in volatile and 'id="mod-queue"' not in volatile
    socket.sent.clear()
    hub.resume(conn, hub.session.epoch, hub.session.seq - 5)  # a position never sent
    await settle()
    (full,) = socket.sent
    for fragment_id in ("mod-floor", "mod-inbox", "mod-queue", "programme", "fairness"):
        assert f'id="{fragment_id}"' in full
    assert f'data-seq="{hub.session.seq}"' in full
    hub.resume(conn, "another-epoch", hub.session.seq)
    await settle()
    assert len(socket.sent) == 2, "a different epoch always gets a full render"
    assert 'id="mod-queue"' in socket.sent[1]
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
        conn = Connection(socket, Audience(Role.DISPLAY), None, link)  # type: ignore[arg-type]
        hub.attach(conn)
        hub.resume(conn, None, None)
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


async def test_a_phone_has_one_socket_per_screen_the_newest() -> None:
    """A second tab of the same phone replaces the first (closed with 4001,
    it does not reconnect): a script cannot hold hundreds of sockets with
    one cookie, and the phone's own questions are rendered once."""
    hub, renderer = await make_hub()
    order: list[tuple[int, str]] = []
    _, first = connect(hub, Audience(Role.ATTENDEE), order, device="me")
    _, second = connect(hub, Audience(Role.ATTENDEE), order, device="me")  # a second tab
    await settle()
    assert first.closed == CLOSE_REPLACED and second.closed is None
    assert hub.connection_count() == 1
    renderer.calls.clear()
    phone = Actor(Role.ATTENDEE, bridge_id="tinh", device_id="me")
    await hub.execute(c.SubmitQuestion(phone, "Hai thẻ, một câu hỏi", "two-tabs-0001", "tinh"))
    await settle()
    assert [name for name, _ in renderer.calls].count("_phone_mine.html") == 1
    assert any("Hai thẻ" in m for m in second.sent)
    assert not any("Hai thẻ" in m for m in first.sent)
    await hub.stop()


# --- every screen ends on what the log says ---------------------------------------------


class Recorder:
    """Stands in for a socket's transport: keeps each frame's text, in order."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def open(self) -> bool:
        return True

    def write(self, frame: bytes) -> bool:
        length = frame[1] & 0x7F
        offset = {126: 4, 127: 10}.get(length, 2)
        self.messages.append(frame[offset:].decode())
        return True

    async def closed_within(self, seconds: float) -> None:
        return None


class Tab:
    """A browser tab of one screen: its page, its socket, what it shows."""

    def __init__(self, hub: Hub, audience: Audience, device: str | None) -> None:
        self.hub = hub
        self.audience = audience
        self.device = device
        self.screen = oob.Screen()
        self.screen.load(self.render(), (hub.session.epoch, hub.session.seq))
        self.conn: Connection | None = None
        self.recorder: Recorder | None = None

    def render(self) -> list[Rendered]:
        fragments = self.hub.render(self.audience)
        if self.device:
            fragments += self.hub.render_personal(self.audience, self.device)
        return fragments

    def connect(self) -> None:
        self.cut()
        socket = FakeSocket([])
        self.conn = Connection(socket, self.audience, self.device)  # type: ignore[arg-type]
        self.recorder = Recorder()
        self.conn.direct = self.recorder  # type: ignore[assignment]
        self.hub.attach(self.conn)

    def hello(self) -> None:
        if self.conn is not None:
            position = self.screen.position or (None, None)
            self.hub.resume(self.conn, *position)
            self.read()

    def cut(self) -> None:
        self.read()
        if self.conn is not None:
            self.hub.detach(self.conn)
            self.conn = None

    def read(self) -> None:
        if self.recorder is not None:
            for message in self.recorder.messages:
                self.screen.apply(message)
            self.recorder.messages.clear()


PHONE_VI = Audience(Role.ATTENDEE)
DISPLAY = Audience(Role.DISPLAY)
HUB_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("approve"), st.integers(1, 40)),
        st.tuples(st.just("vote"), st.integers(1, 40), st.integers(0, 5)),
        st.tuples(st.just("public"), st.booleans()),
        st.tuples(
            st.just("floor"), st.sampled_from(["tinh", "chau-doc", "an-phu"]), st.integers(1, 40)
        ),
        st.tuples(st.just("release")),
        st.tuples(st.just("store"), st.booleans()),
        st.tuples(st.just("submit"), st.integers(0, 5)),
        st.tuples(st.just("broadcast")),
        st.tuples(st.just("page"), st.sampled_from(["display", "display", "phone", "moderator"])),
        st.tuples(st.just("hello"), st.integers(0, 9)),
        st.tuples(st.just("cut"), st.integers(0, 9)),
        st.tuples(st.just("reconnect"), st.integers(0, 9)),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HUB_OPS)
async def test_every_screen_of_an_audience_ends_on_what_the_log_says(
    ops: list[tuple[object, ...]],
) -> None:
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    await session.execute(
        c.ChangePhase(Actor(Role.ORGANISER), Phase.LIVE), now
    ) if session.state.dialogue.phase is not Phase.LIVE else None
    hub = Hub(session, Renderer())  # not started: broadcasts happen when the test says
    audiences = {"display": DISPLAY, "phone": PHONE_VI, "moderator": Audience(Role.MODERATOR)}
    tabs = [Tab(hub, DISPLAY, None), Tab(hub, DISPLAY, None), Tab(hub, PHONE_VI, "dev0")]
    devices = iter(range(1, 1000))  # each phone tab its own device: one socket per device
    for tab in tabs:
        tab.connect()
        tab.hello()
    for op in ops:
        kind = op[0]
        tab = tabs[int(op[-1]) % len(tabs)] if kind in ("hello", "cut", "reconnect") else None
        try:
            if kind == "approve":
                await session.execute(c.ApproveQuestion(MODERATOR, int(op[1])), now)  # type: ignore[call-overload]
            elif kind == "vote":
                voter = Actor(Role.ATTENDEE, "tinh", device_id=f"dev{op[2]}")
                await session.execute(c.Vote(voter, int(op[1])), now)  # type: ignore[call-overload]
            elif kind == "public":
                await session.execute(c.SetPublicList(MODERATOR, bool(op[1])), now)
            elif kind == "floor":
                await session.execute(c.GiveFloor(MODERATOR, str(op[1]), int(op[2])), now)  # type: ignore[call-overload]
            elif kind == "release":
                await session.execute(c.ReleaseFloor(MODERATOR), now)
            elif kind == "submit":
                phone = Actor(Role.ATTENDEE, "tinh", device_id=f"dev{op[1]}")
                key = f"key-{len(session.state.questions):06d}"
                await session.execute(c.SubmitQuestion(phone, f"Câu hỏi {key}", key, "tinh"), now)
        except SessionError:
            pass
        if kind == "store":
            hub.set_store_ok(bool(op[1]))
        elif kind == "broadcast":
            hub.broadcast()
        elif kind == "page":
            audience = audiences[str(op[1])]
            tabs.append(Tab(hub, audience, f"dev{next(devices)}" if audience is PHONE_VI else None))
            tabs[-1].connect()
        elif tab is not None and kind == "hello":
            tab.hello()
        elif tab is not None and kind == "cut":
            tab.cut()
        elif tab is not None and kind == "reconnect":
            tab.connect()
            tab.hello()
        for each in tabs:
            each.read()
    # quiescence: every tab's link is back, the last events are broadcast
    for tab in tabs:
        if tab.conn is None:
            tab.connect()
        tab.hello()
    hub.broadcast()
    for tab in tabs:
        tab.read()
        for fragment in tab.render():
            assert tab.screen.shows(fragment), (tab.audience, fragment.name)


async def test_no_fragment_changes_on_a_frequent_event_it_does_not_name() -> None:
    """``Fragment.changed_by``: a phone asking or voting renders only the
    fragments that name it. Played over a day of asking and voting mixed
    with screening, moves, merges, holds and floor changes, every fragment
    of every audience that does not name the event renders the same bytes
    after it as before."""
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all([*demo_commands(now), *roster_commands()], now)
    hub = Hub(session, Renderer())  # never started: rendered by hand
    state = session.state
    audiences = [
        Audience(role, bridge_id=bridge, speaker_id=speaker, lang=lang)
        for role, screen in SCREENS.items()
        for bridge in (state.bridges if screen.scope == "bridge" else [None])
        for speaker in (state.speakers if screen.scope == "speaker" else [None])
        for lang in (("vi", "en") if role is Role.ATTENDEE else ("vi",))
    ] + [Audience(role, lang="vi", view=view) for role, view in VIEWS]
    rng = random.Random(20261206)
    bridges = sorted(state.bridges)
    checked: dict[type, int] = {}

    def command(n: int) -> c.Command:
        phone = Actor(
            Role.ATTENDEE, bridge_id=rng.choice(bridges), device_id=f"phone-{rng.randrange(40)}"
        )
        waiting = [q.question_id for q in state.questions.values() if q.status.value == "submitted"]
        if rng.random() < 0.15:  # people arriving at a door
            door = Actor(Role.CHECK_IN, bridge_id=rng.choice(bridges))
            absent = [d for d in state.roster.delegates if d not in state.roster.check_ins]
            if absent and rng.random() < 0.5:
                return rc.CheckInDelegate(door, rng.choice(absent), door.bridge_id or "")
            return rc.CountWalkIns(door, door.bridge_id or "", rng.randrange(1, 4))
        pick = rng.random()
        if pick < 0.3 or not waiting:
            return c.SubmitQuestion(
                phone, f"Câu hỏi {n} về việc làm?", f"k-{n:06d}", phone.bridge_id or ""
            )
        if pick < 0.55 and state.queue:
            return c.Vote(phone, rng.choice(list(state.queue)))
        if pick < 0.7:
            return c.ApproveQuestion(MODERATOR, rng.choice(waiting))
        if pick < 0.75:
            return c.RejectQuestion(MODERATOR, rng.choice(waiting), "Trùng lặp")
        if pick < 0.8 and state.queue:
            return c.MergeQuestion(MODERATOR, rng.choice(waiting), rng.choice(list(state.queue)))
        if pick < 0.85 and state.queue:
            return c.MoveQuestion(MODERATOR, rng.choice(list(state.queue)), 0)
        if pick < 0.9:
            return c.HoldSubmissions(MODERATOR, rng.choice(bridges), rng.random() < 0.5)
        if pick < 0.95:
            return c.SetPublicList(MODERATOR, rng.random() < 0.8)
        if state.floor.holder:
            return c.ReleaseFloor(MODERATOR)
        return c.GiveFloor(MODERATOR, rng.choice(bridges), rng.choice([None, *state.queue]))

    for n in range(160):
        before = {audience: hub.render(audience) for audience in audiences}
        try:
            outcome = await session.execute(command(n), datetime.now(UTC))
        except SessionError:
            continue
        kinds = {type(record.event) for record in outcome.records}
        if not kinds or not kinds <= FREQUENT:
            continue
        for audience, fragments in before.items():
            declared = {f.template: f.changed_by for f in screen_for(audience).fragments}
            for old, new in zip(fragments, hub.render(audience), strict=True):
                if not kinds & declared[old.name]:
                    assert new.html == old.html, (
                        f"{old.name} for {audience} changed on {kinds} it does not name"
                    )
        for kind in kinds:
            checked[kind] = checked.get(kind, 0) + 1
    assert checked.get(e.QuestionSubmitted, 0) > 20 and checked.get(e.VoteCast, 0) > 20, checked
    assert checked.get(rev.CheckedIn, 0) > 2 and checked.get(rev.WalkInsCounted, 0) > 5, checked


async def test_a_full_inbox_is_not_rendered_for_questions_asked_after_it() -> None:
    """At 200 questions a second the moderator's inbox, full of the oldest
    waiting questions, re-rendered its hundred cards for every burst of new
    ones it does not show (``Fragment.kept_when_asked``). Now such a burst
    renders only the inbox's head; a held question, or one that still fits,
    renders the inbox; and the moderator's screen, kept up to date by the
    pushes, is at every step what a fresh render of the log shows."""
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    renderer = CountingRenderer()
    hub = Hub(session, renderer)  # never started: broadcast by hand
    moderator = Tab(hub, Audience(Role.MODERATOR), None)
    moderator.connect()
    moderator.hello()
    state = session.state
    shown = ModeratorContext.INBOX_SHOWN
    asked = 0

    async def ask(count: int, bridge: str = "chau-doc") -> set[str]:
        nonlocal asked
        for _ in range(count):
            asked += 1
            phone = Actor(Role.ATTENDEE, bridge_id=bridge, device_id=f"phone-{asked}")
            await session.execute(
                c.SubmitQuestion(phone, f"Câu hỏi số {asked}?", f"k-{asked:06d}", bridge), now
            )
        renderer.calls.clear()
        hub.broadcast()
        rendered = {name for name, _ in renderer.calls}
        moderator.read()
        for fragment in moderator.render():  # what a fresh page of the log shows
            assert moderator.screen.shows(fragment), fragment.name
        return rendered

    waiting = sum(1 for q in state.questions.values() if q.status.value == "submitted")
    assert "_mod_inbox.html" in await ask(shown - waiting - 1)  # one card short of full
    assert "_mod_inbox.html" in await ask(3)  # the first of them fills it
    rendered = await ask(25)  # all after the last card
    assert "_mod_inbox.html" not in rendered and "_mod_inbox_head.html" in rendered
    await session.execute(c.HoldSubmissions(MODERATOR, "an-phu"), now)
    hub.broadcast()
    moderator.read()
    assert "_mod_inbox.html" in await ask(1, "an-phu")  # held: listed below the cards
    assert "_mod_inbox.html" not in await ask(5)
    first = next(q for q in state.questions.values() if q.status.value == "submitted")
    await session.execute(c.ApproveQuestion(MODERATOR, first.question_id), now)
    hub.broadcast()  # a card leaves: the next waiting one joins the window
    moderator.read()
    assert "_mod_inbox.html" not in await ask(2)
