"""The hub: one per dialogue per process. It runs commands through the
dialogue's session and pushes what changed to every open screen.

What to send is decided by the pure fan-out plan (``web/fanout.py``):
after new events each audience's fragments are rendered once, the plan
compares them with what that audience was last sent and returns the
changes; a reconnecting screen's hello gets its own catch-up. The hub only
writes: each message is encoded and framed once and the same bytes go to
every socket it names (``web/frames.py``). Each socket's outgoing buffer is
bounded; a socket over the bound has fallen behind and is closed with 1013
(aborted when it cannot even take the close frame), on which it reconnects
and resumes. (Where the server's transport cannot be reached, as under a
test client, each socket has a small queue and a writer task instead, with
the same bound and the same closing.)

Rendering runs in one loop per hub. A change after a quiet spell is
rendered at once; during a burst (many phones submitting at once) the loop
waits a few milliseconds to gather more events, so the burst costs one
render per audience every few milliseconds, not one per event.

Garbage collection over thousands of sockets: ``runtime/collector.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocketState

from session_server.core import events as e
from session_server.core.commands import Command
from session_server.core.model import NO_CONDITIONS, Conditions, Role
from session_server.media.manager import MediaManager
from session_server.runtime.collector import collector
from session_server.runtime.session import DialogueSession, Outcome
from session_server.store.base import Record
from session_server.web.limits import Traffic
from session_server.web.live.connection import SEND_QUEUE, Connection
from session_server.web.live.fanout import FanoutPlan, Rendered, Send, Whole, to_html
from session_server.web.live.frames import text_frame
from session_server.web.render import Renderer
from session_server.web.screens import ALL_SCREENS, Audience, ScreenContext, screen_for
from session_server.web.screens.base import FREQUENT

__all__ = ["SEND_QUEUE", "Connection", "Hub"]

logger = logging.getLogger(__name__)

COALESCE_SECONDS = 0.01
"""How long the render loop waits for more events during a burst."""
BURST_SECONDS = 0.05
"""A wake-up this soon after the previous render counts as a burst."""

CLOSE_GRACE_SECONDS = 2.0
"""How long a closing socket may take to send its close frame before its
connection is aborted (a peer that stopped reading never takes it)."""

VOLATILE: frozenset[str] = frozenset(
    f.template for screen in ALL_SCREENS for f in screen.fragments if f.volatile
)
MEDIA: frozenset[str] = frozenset(
    f.template for screen in ALL_SCREENS for f in screen.fragments if f.media
)

CHANGED_BY: dict[type[e.Event], frozenset[str]] = {
    kind: frozenset(
        f.template for screen in ALL_SCREENS for f in screen.fragments if kind in f.changed_by
    )
    for kind in FREQUENT
}
"""The fragments each frequent event (a phone asking, voting) can change:
a burst of only those renders only these (``Fragment.changed_by``)."""

CLOSE_REPLACED = 4001
"""Close code for a phone's socket replaced by a newer one of the same device
(another tab): the older tab says so and does not reconnect."""

SILENCE_SECONDS = 90.0
"""Default of ``SOCKET_SILENCE``: a screen pings every 10 s, a phone's page
in the background (its timers throttled by the browser) about once a minute."""

CLOSE_SILENT = 1001
"""Close code for a socket silent too long ("going away"): if its page is
still there after all, it reconnects and resumes."""

CLOSE_LAGGING = 1013
"""Close code for a socket that fell behind: "try again later", on which
the htmx WebSocket extension reconnects by itself and resumes."""


def feed_message(send: Send[Connection]) -> str:
    """A JSON feed's message (``screens/overlay.py``): its one fragment (a
    JSON object) with the log position it shows."""
    body: dict[str, Any] = {"type": "overlay"}
    if send.position is not None:
        body["epoch"], body["seq"] = send.position
    for part in send.parts:
        if isinstance(part, Whole):
            body.update(json.loads(part.html))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class Hub:
    """The I/O half of the fan-out: the plan (``web/fanout.py``) decides
    what each socket is sent; the hub renders through the plan's callbacks
    and writes what it returns."""

    def __init__(
        self, session: DialogueSession, renderer: Renderer, silence: float = SILENCE_SECONDS
    ) -> None:
        self.session = session
        self.renderer = renderer
        self.silence = silence
        """A socket that sends nothing this long (not even its heartbeat) is
        closed: its link went away without a word."""
        self.plan: FanoutPlan[Audience, Connection] = FanoutPlan(
            lambda audience: screen_for(audience).rank, VOLATILE
        )
        self.connections: set[Connection] = set()
        self._by_device: dict[tuple[str, Role], Connection] = {}
        """A phone's one socket per screen (``attach`` closes an older one)."""
        self._dirty_devices: set[str] = set()
        self._revoked: set[str] = set()
        self._kinds: set[type[e.Event]] = set()
        """The kinds of the events since the last render."""
        self._asked: list[int] = []
        """The questions asked since the last render."""
        self._refresh: set[str] = set()
        """Fragments to re-render without new events (the media links' health)."""
        self._rendered_seq = -1
        self._full = True
        self.traffic: Traffic | None = None
        """What the phones of each address sent lately (``web/limits.py``):
        the moderator is warned of an address far above the others."""
        self.media: MediaManager | None = None
        """This dialogue's media (``media/manager.py``), when the server relays it."""
        self._closing: set[asyncio.Task[None]] = set()
        self._rebuilt = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self.dropped = 0
        self.store_ok = True
        """Whether the event log answers (``runtime/tail.py``); screens show it."""
        session.listeners.append(self._on_records)

    @property
    def dialogue_id(self) -> str:
        return self.session.dialogue_id

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._render_loop(), name=f"hub-{self.dialogue_id}")
        if self._watch is None:
            self._watch = asyncio.create_task(self._watch_loop(), name=f"watch-{self.dialogue_id}")

    async def stop(self) -> None:
        for task in (self._task, self._watch):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._watch = None
        for conn in list(self.connections):
            await self._close(conn, 1001)

    def set_store_ok(self, ok: bool) -> None:
        """The event log went away or came back: re-render the screens."""
        if ok != self.store_ok:
            self.store_ok = ok
            self._full = True
            self._wake.set()

    def refresh(self, *fragments: str) -> None:
        """Something outside the log changed (a bridge point's media link):
        re-render these fragments and send them where they changed."""
        self._refresh.update(fragments)
        self._wake.set()

    async def execute(self, command: Command, now: datetime | None = None) -> Outcome:
        return await self.session.execute(command, now or datetime.now(UTC), self.conditions)

    async def execute_batch(
        self, commands: Sequence[Command], now: datetime | None = None
    ) -> Outcome:
        return await self.session.execute_batch(commands, now or datetime.now(UTC))

    def conditions(self) -> Conditions:
        """What the core is told outside the log: each bridge point's
        picture link, when this server relays media."""
        if self.media is None:
            return NO_CONDITIONS
        return Conditions(feeds=self.media.feeds())

    # --- connections --------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        """A socket joins; a phone's older socket on the same screen is closed
        (one socket per device and screen: a script cannot open hundreds)."""
        if conn.device_id:
            key = (conn.device_id, conn.audience.role)
            older = self._by_device.get(key)
            if older is not None and older in self.connections:
                self._close_later(older, CLOSE_REPLACED)
            self._by_device[key] = conn
        self.connections.add(conn)
        self.plan.open(conn, conn.audience, conn.device_id)
        if conn.direct is None:
            conn.writer = asyncio.create_task(self._write_loop(conn))
        collector.connections_arrived()

    async def _write_loop(self, conn: Connection) -> None:
        try:
            await conn.write_loop()
        except Exception:  # the socket went away under us: detach and close
            logger.debug("socket write failed", exc_info=True)
        finally:
            self.detach(conn)

    def detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self.plan.close(conn)
        if conn.device_id and self._by_device.get((conn.device_id, conn.audience.role)) is conn:
            del self._by_device[(conn.device_id, conn.audience.role)]

    async def _close(self, conn: Connection, code: int) -> None:
        """Close ``conn`` with ``code``; a socket that cannot take the close
        frame within ``CLOSE_GRACE_SECONDS`` (its peer stopped reading) is
        aborted, so its descriptor is released.

        One grace for both steps: the server's own close waits until its
        transport may be written again, which for a peer that stopped
        reading is never, so it may use up the whole grace by itself."""
        self.detach(conn)
        if conn.writer is not None:
            conn.writer.cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_GRACE_SECONDS
        if conn.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.websocket.close(code), CLOSE_GRACE_SECONDS)
        if conn.direct is not None:
            await conn.direct.closed_within(max(0.0, deadline - loop.time()))

    def connection_count(self) -> int:
        return len(self.connections)

    def resume(self, conn: Connection, epoch: str | None, seq: int | None) -> None:
        """A (re)connected screen says where it is; send what it lacks (its
        own catch-up: the audience's record is not touched). Nothing for a
        socket already closed or closing (it fell behind)."""
        if conn not in self.connections:
            return
        session = self.session
        send = self.plan.hello(
            conn, (epoch, seq), (session.epoch, session.seq), self.render, self.render_personal
        )
        if send is not None:
            self._write(send)

    def reply(self, conn: Connection, message: str) -> None:
        """A message for this socket only (a refusal, an acknowledgement)."""
        if not conn.offer(message):
            self._lagging(conn)

    def _write(self, send: Send[Connection]) -> None:
        if send.sockets and screen_for(send.sockets[0].audience).feed:
            message = feed_message(send)
        else:
            parts = [to_html(part) for part in send.parts]
            if send.position is not None:
                parts.insert(0, self.renderer.position(*send.position))
            message = "".join(parts)
        frame = text_frame(message.encode()) if len(send.sockets) > 1 else None
        for conn in send.sockets:
            if not conn.offer(message, frame):
                self._lagging(conn)

    def _lagging(self, conn: Connection) -> None:
        if conn.direct is not None and not conn.direct.open():
            self.detach(conn)  # already closed by the peer: nothing fell behind
            return
        self.dropped += 1
        logger.info("closing a socket that fell behind (%s)", conn.audience.role.value)
        self._close_later(conn, CLOSE_LAGGING)

    # --- rendering ----------------------------------------------------------

    def context(self, audience: Audience, device_id: str | None = None) -> ScreenContext:
        """What the templates of ``audience``'s screen read, now."""
        return screen_for(audience).context(
            self.session.state,
            audience,
            device_id,
            store_ok=self.store_ok,
            media=self.media,
            traffic=self.traffic,
        )

    def render(self, audience: Audience, only: Collection[str] | None = None) -> list[Rendered]:
        """The live fragments of ``audience``'s screen (or those in ``only``)."""
        view = self.context(audience)
        return [
            Rendered.parse(name, self.renderer.fragment(name, view))
            for name in screen_for(audience).live()
            if only is None or name in only
        ]

    def _kept(self, audience: Audience, names: Collection[str], asked: list[int]) -> set[str]:
        """Fragments of ``names`` that the questions just ``asked`` leave as
        they were last sent to ``audience`` (``Fragment.kept_when_asked``)."""
        kept: set[str] = set()
        for fragment in screen_for(audience).fragments:
            if fragment.kept_when_asked is None or fragment.template not in names:
                continue
            last = self.plan.last(audience, fragment.template)
            items = tuple(item_id for item_id, _html in last.items) if last is not None else ()
            if last is not None and fragment.kept_when_asked(self.session.state, items, asked):
                kept.add(fragment.template)
        return kept

    def render_personal(self, audience: Audience, device_id: str) -> list[Rendered]:
        """A phone's own fragments, for one device."""
        view = self.context(audience, device_id)
        return [
            Rendered(name, self.renderer.fragment(name, view))
            for name in screen_for(audience).personal()
        ]

    def _on_records(self, records: list[Record], rebuilt: bool) -> None:
        state = self.session.state
        if rebuilt:
            self._rebuilt = True
        for record in records:
            event = record.event
            self._kinds.add(type(event))
            if isinstance(event, e.QuestionSubmitted):
                self._asked.append(event.question_id)
            if isinstance(event, e.LinkRevoked):
                self._revoked.add(event.link_id)
            question_id = getattr(event, "question_id", None)
            for qid in (
                question_id,
                getattr(event, "into_id", None),
                getattr(event, "returned_question_id", None),
            ):
                question = state.questions.get(qid) if isinstance(qid, int) else None
                if question is not None and question.submitted_by.startswith("device:"):
                    self._dirty_devices.add(question.submitted_by.removeprefix("device:"))
            if isinstance(event, e.QuestionMerged):
                for source in state.questions[event.into_id].merged_from:
                    by = state.questions[source].submitted_by
                    if by.startswith("device:"):
                        self._dirty_devices.add(by.removeprefix("device:"))
        self._wake.set()

    async def _watch_loop(self) -> None:
        """The one heartbeat: every screen pings every 10 s (``link.js``;
        uvicorn's own WebSocket pings are off, ``cli.py``). A socket silent
        for ``silence`` seconds lost its link without a word (a phone that
        left the Wi-Fi): it is closed, its descriptor freed."""
        while True:
            await asyncio.sleep(max(0.05, self.silence / 4))
            self.close_silent(time.monotonic())

    def close_silent(self, now: float) -> int:
        """Close every socket silent since before ``now - silence``."""
        silent = [conn for conn in self.connections if now - conn.heard > self.silence]
        for conn in silent:
            self._close_later(conn, CLOSE_SILENT)
        if silent:
            logger.info("closed %d silent sockets", len(silent))
        return len(silent)

    async def _render_loop(self) -> None:
        loop = asyncio.get_running_loop()
        rendered_at = 0.0
        while True:
            await self._wake.wait()
            if loop.time() - rendered_at < BURST_SECONDS:
                await asyncio.sleep(COALESCE_SECONDS)
            self._wake.clear()
            try:
                self.broadcast()
            except Exception:
                logger.exception("rendering failed for dialogue %s", self.dialogue_id)
            rendered_at = loop.time()
            # let the sockets' writers run before the next round of renders
            await asyncio.sleep(0)

    def broadcast(self) -> None:
        session = self.session
        rebuilt, self._rebuilt = self._rebuilt, False
        devices, self._dirty_devices = self._dirty_devices, set()
        revoked, self._revoked = self._revoked, set()
        kinds, self._kinds = self._kinds, set()
        asked, self._asked = self._asked, []
        if revoked:
            self._close_revoked(revoked)
            if self.media is not None:
                self.media.revoke(revoked)
        only: frozenset[str] | None = None
        if not rebuilt and not self._full:
            if session.seq == self._rendered_seq:
                only = frozenset(self._refresh)  # nothing new in the log: just what was asked for
            elif kinds <= FREQUENT:
                # phones asking and voting: only what those events can change
                only = frozenset(self._refresh).union(*(CHANGED_BY[kind] for kind in kinds))
        refresh, self._refresh = self._refresh, set()
        self._full = False
        self._rendered_seq = session.seq

        def render(audience: Audience) -> list[Rendered]:
            if only is None or not asked:
                return self.render(audience, only)
            return self.render(audience, only - self._kept(audience, only - refresh, asked))

        sends = self.plan.broadcast(
            (session.epoch, session.seq),
            render,
            rebuilt=rebuilt,
            devices=devices,
            personal=self.render_personal,
            render_all=self.render,
        )
        for send in sends:
            self._write(send)

    def _close_revoked(self, link_ids: set[str]) -> None:
        """A revoked link's screens stop at once, even those that never send
        anything (a hall display): closed with 1008, they do not reconnect."""
        for conn in list(self.connections):
            if conn.link_id in link_ids:
                self._close_later(conn, 1008)

    def _close_later(self, conn: Connection, code: int) -> None:
        self.detach(conn)
        task = asyncio.get_running_loop().create_task(self._close(conn, code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
