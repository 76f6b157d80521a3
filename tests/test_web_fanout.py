"""The pure fan-out plan (``web/fanout.py``), with no sockets and no server.

A toy dialogue (a plain fragment, a keyed list, a fragment that changes
outside the log) and screens that apply what the plan sends the way htmx
does. Hypothesis interleaves events, broadcasts, pages loaded, hellos,
reconnects, laggard closes, heartbeats and new epochs across several
screens of one audience (and one of another); after quiescence every
screen equals a fresh render of the final state, and at every step a
screen's position only claims content it was sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from session_server.web.live.fanout import (
    FanoutPlan,
    ItemDrop,
    ItemSet,
    Order,
    Part,
    Rendered,
    Send,
    Whole,
    diff,
    to_html,
)

# --- a toy dialogue ------------------------------------------------------------------------


@dataclass
class Toy:
    """What the log says: a word, a list of (item, version), and something
    outside the log (``outside``: the store's link, a camera's health)."""

    word: int = 0
    items: list[tuple[int, int]] = field(default_factory=list)
    outside: int = 0


def render(audience: str, toy: Toy) -> list[Rendered]:
    items = "".join(
        f'<!--k:it-{audience}-{i}--><li id="it-{audience}-{i}">{i}·{v}</li>' for i, v in toy.items
    )
    keyed = (
        f'<section id="list-{audience}"><ol id="ol-{audience}"><!--keyed:ol-{audience}-->'
        f'{items}<!--/keyed--></ol><div id="ol-{audience}-order" hidden></div>'
        f"<p>{len(toy.items)}</p></section>"
    )
    return [
        Rendered.parse(f"word-{audience}", f'<div id="word-{audience}">{audience}{toy.word}</div>'),
        Rendered.parse(f"list-{audience}", keyed),
        Rendered.parse(f"out-{audience}", f'<div id="out-{audience}">{toy.outside}</div>'),
    ]


def volatile(audience: str) -> str:
    return f"out-{audience}"


_ROOT_ID = re.compile(r'^<[a-z]+ id="([^"]+)"')


@dataclass
class Screen:
    """A browser tab: what it shows, fragment by fragment, and its position."""

    audience: str
    shown: dict[str, Rendered]
    position: tuple[str, int]
    socket: int | None = None
    """Its open socket; None while the link is down."""
    said_hello: bool = False

    def apply(self, send: Send[int]) -> None:
        for part in send.parts:
            self._apply(part)
        if send.position is not None:
            self.position = send.position

    def _apply(self, part: Part) -> None:
        if isinstance(part, Whole):
            match = _ROOT_ID.match(part.html)
            assert match, part.html
            self.shown[match.group(1)] = Rendered.parse(match.group(1), part.html)
            return
        holder = next(
            name
            for name, f in self.shown.items()
            if f.container
            and (
                (isinstance(part, ItemSet | Order) and f.container == part.container)
                or (isinstance(part, ItemDrop) and part.item_id in dict(f.items))
            )
        )
        fragment = self.shown[holder]
        items = list(fragment.items)
        ids = [i for i, _ in items]
        if isinstance(part, ItemSet):
            if part.new:
                assert part.item_id not in ids, "a new item the screen already has"
                items.append((part.item_id, part.html))
            else:
                assert part.item_id in ids, "a change to an item the screen does not have"
                items[ids.index(part.item_id)] = (part.item_id, part.html)
        elif isinstance(part, ItemDrop):
            items.pop(ids.index(part.item_id))
        else:
            assert sorted(part.item_ids) == sorted(ids), "an order of other items"
            by_id = dict(items)
            items = [(i, by_id[i]) for i in part.item_ids]
        self.shown[holder] = Rendered(
            fragment.name, "", fragment.frame, fragment.container, tuple(items)
        )


def same(a: Rendered, b: Rendered) -> bool:
    return (a.frame, a.items) == (b.frame, b.items) if b.frame is not None else a.html == b.html


# --- the day, as hypothesis plays it -------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("word")),
        st.tuples(st.just("add"), st.integers(0, 9)),
        st.tuples(st.just("bump"), st.integers(0, 9)),
        st.tuples(st.just("drop"), st.integers(0, 9)),
        st.tuples(st.just("shuffle"), st.randoms(use_true_random=False)),
        st.tuples(st.just("outside")),
        st.tuples(st.just("broadcast")),
        st.tuples(st.just("page"), st.sampled_from("AAAB")),
        st.tuples(st.just("hello"), st.integers(0, 7)),
        st.tuples(st.just("cut"), st.integers(0, 7)),
        st.tuples(st.just("reconnect"), st.integers(0, 7)),
        st.tuples(st.just("lagging"), st.integers(0, 7)),
        st.tuples(st.just("ping"), st.integers(0, 7)),
        st.tuples(st.just("epoch")),
    ),
    max_size=80,
)


class Day:
    def __init__(self) -> None:
        self.epoch = "e0"
        self.seq = 0
        self.toy = Toy()
        self.history: dict[tuple[str, int], Toy] = {("e0", 0): Toy()}
        self.plan: FanoutPlan[str, int] = FanoutPlan(
            lambda a: 0 if a == "B" else 1, {volatile("A"), volatile("B")}
        )
        self.screens: list[Screen] = []
        self.sockets: dict[int, Screen] = {}
        self.next_socket = 0
        self.rebuilt = False

    # the log
    def event(self, change: object) -> None:
        self.seq += 1
        self.history[(self.epoch, self.seq)] = Toy(
            self.toy.word, list(self.toy.items), self.toy.outside
        )

    def render(self, audience: str) -> list[Rendered]:
        return render(audience, self.toy)

    def broadcast(self) -> None:
        sends = self.plan.broadcast((self.epoch, self.seq), self.render, rebuilt=self.rebuilt)
        self.rebuilt = False
        self.deliver(sends)

    def deliver(self, sends: list[Send[int]]) -> None:
        for send in sends:
            assert len(set(send.sockets)) == len(send.sockets)
            for socket in send.sockets:
                screen = self.sockets[socket]
                screen.apply(send)
                self.check_claim(screen)

    def check_claim(self, screen: Screen) -> None:
        """A position claims the log's content at it: the screen shows exactly
        that (fragments outside the log aside)."""
        then = self.history[screen.position]
        for fragment in render(screen.audience, then):
            if fragment.name == volatile(screen.audience):
                continue
            assert same(screen.shown[fragment.name], fragment), (
                f"{fragment.name} at {screen.position} differs from what the log said"
            )

    # the screens
    def connect(self, screen: Screen) -> None:
        socket = self.next_socket
        self.next_socket += 1
        screen.socket = socket
        screen.said_hello = False
        self.sockets[socket] = screen
        self.plan.open(socket, screen.audience)

    def page(self, audience: str) -> None:
        screen = Screen(
            audience, {f.name: f for f in self.render(audience)}, (self.epoch, self.seq)
        )
        self.screens.append(screen)
        self.connect(screen)

    def hello(self, screen: Screen) -> None:
        if screen.socket is None:
            return
        screen.said_hello = True
        send = self.plan.hello(screen.socket, screen.position, (self.epoch, self.seq), self.render)
        if send is not None:
            self.deliver([send])

    def cut(self, screen: Screen) -> None:
        if screen.socket is not None:
            self.plan.close(screen.socket)
            del self.sockets[screen.socket]
            screen.socket = None

    def settle(self) -> None:
        for screen in self.screens:
            if screen.socket is None:
                self.connect(screen)
            if not screen.said_hello:
                self.hello(screen)
        self.broadcast()
        self.broadcast()

    def play(self, op: tuple[object, ...]) -> None:
        kind = op[0]
        toy = self.toy
        pick = (
            self.screens[op[1] % len(self.screens)]
            if self.screens
            and isinstance(op[-1], int)
            and kind in ("hello", "cut", "reconnect", "lagging", "ping")
            else None
        )
        if kind == "word":
            toy.word += 1
            self.event(kind)
        elif kind == "add":
            if all(i != op[1] for i, _ in toy.items):
                toy.items.append((int(op[1]), 0))  # type: ignore[call-overload]
                self.event(kind)
        elif kind == "bump":
            toy.items = [(i, v + 1 if i == op[1] else v) for i, v in toy.items]
            self.event(kind)
        elif kind == "drop":
            toy.items = [(i, v) for i, v in toy.items if i != op[1]]
            self.event(kind)
        elif kind == "shuffle":
            op[1].shuffle(toy.items)  # type: ignore[attr-defined]
            self.event(kind)
        elif kind == "outside":
            toy.outside += 1
        elif kind == "broadcast":
            self.broadcast()
        elif kind == "page":
            self.page(str(op[1]))
        elif kind == "epoch":
            self.epoch = f"e{int(self.epoch[1:]) + 1}"
            self.seq = 0  # a log restarted empty: history starts again
            self.history[(self.epoch, 0)] = Toy(toy.word, list(toy.items), toy.outside)
            self.rebuilt = True
        elif pick is not None:
            if kind == "hello":
                self.hello(pick)
            elif kind in ("cut", "lagging"):
                self.cut(pick)  # a laggard is closed as a cut link is
            elif kind == "reconnect":
                self.cut(pick)
                self.connect(pick)
                self.hello(pick)
            # "ping": the answer claims no position, so nothing changes


@settings(max_examples=400, deadline=None)
@given(OPS, st.lists(st.sampled_from("AAB"), min_size=1, max_size=4))
def test_every_screen_ends_on_what_the_log_says(
    ops: list[tuple[object, ...]], first: list[str]
) -> None:
    day = Day()
    for audience in first:
        day.page(audience)
    for op in ops:
        day.play(op)
    day.settle()
    for screen in day.screens:
        day.check_claim(screen)  # maybe older than the head, when nothing changed since
        for fragment in render(screen.audience, day.toy):
            assert same(screen.shown[fragment.name], fragment), fragment.name


def test_a_resume_never_silences_the_rest_of_its_audience() -> None:
    """The bug of the live day: a display that reconnected between an event
    and the next broadcast made that broadcast send nothing to the others."""
    day = Day()
    day.page("A")
    day.page("A")
    day.settle()
    day.toy.word = 7
    day.event("floor released")
    day.play(("reconnect", 0))  # its catch-up comes from the record, at the old position
    day.broadcast()
    assert all(s.shown["word-A"].html.endswith(">A7</div>") for s in day.screens)


def test_a_page_rendered_between_two_broadcasts_is_sent_everything() -> None:
    day = Day()
    day.page("A")
    day.settle()
    day.toy.word = 1
    day.event("floor given")
    day.page("A")  # rendered now, before the broadcast: it shows "floor given"
    day.hello(day.screens[1])
    day.toy.word = 0
    day.event("floor released: back to what the record holds")
    day.broadcast()
    assert day.screens[1].shown["word-A"].html.endswith(">A0</div>")


def test_a_vote_moves_one_item_not_the_list() -> None:
    before = render("A", Toy(items=[(i, 0) for i in range(20)]))[1]
    after = render("A", Toy(items=[(5, 1)] + [(i, 0) for i in range(20) if i != 5]))[1]
    parts = diff(before, after)
    assert [type(p) for p in parts] == [ItemSet, Order]
    assert "hx-swap-oob" in to_html(parts[0]) and "it-A-5" in to_html(parts[0])
    assert 'data-order="it-A-5 it-A-0' in to_html(parts[1])
    assert sum(len(to_html(p)) for p in parts) < len(after.html) / 2


def test_a_page_older_than_the_record_but_never_broadcast_is_sent_everything() -> None:
    """A page rendered at a position no broadcast rendered (between two) may
    show a state the record never held: its hello gets every fragment."""
    day = Day()
    day.page("A")
    day.settle()
    day.play(("add", 3))
    day.page("A")  # shows item 3
    day.play(("drop", 3))  # gone again before any broadcast
    day.broadcast()  # the record sees no change: the list is as it was
    day.hello(day.screens[1])
    assert day.screens[1].shown["list-A"].items == ()
