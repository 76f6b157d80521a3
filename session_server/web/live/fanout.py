"""The fan-out plan: what every open screen must be sent, decided without I/O.

Like the core, this module does no I/O, reads no clock and renders nothing
itself: the hub (``web/hub.py``) tells it what happened (a screen opened,
said where it is, closed or fell behind; the log moved on) and writes the
messages it returns, each framed once for all the sockets it names.

- An **audience** (role, bridge point or speaker, language) is everyone who
  sees the same fragments. For each audience the plan keeps its *record*:
  the fragments last sent to it, the log position they show (``epoch``,
  ``seq``), the seq at which each fragment last changed, and the recent
  positions at which it was rendered.
- A **broadcast** renders each audience's fragments once (through the
  ``render`` callback), compares them with the record and sends the
  differences, with the new position, to every socket of the audience. A
  fragment that is a keyed list (``Rendered.items``) changes item by item:
  an item's card, a new item, a removed one, the order; never the whole list.
- A **resume** (the screen's ``hello`` with the position it shows) is that
  socket's own catch-up: the fragments that changed after its position,
  taken from the record (no rendering) and sent to it alone. It never
  changes the record, so it cannot hide a change from the audience's other
  screens. A position the record cannot vouch for (another epoch, a page
  rendered between two broadcasts, a number from nowhere) gets every
  fragment; a page rendered after the last broadcast gets every fragment
  at the next one.
- A socket's position only ever claims what it was sent: positions travel
  in the same message as the fragments they describe.
- **Volatile** fragments change without new events (the event log's link,
  the media links' health): a resume always carries them.
- A phone's own questions are **personal**: rendered once per device and
  language when they change, and on every resume.

Order of sending: audiences by ``rank`` (control screens and displays before
phones), then personal fragments.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = [
    "FanoutPlan",
    "ItemDrop",
    "ItemSet",
    "Order",
    "Part",
    "Position",
    "Rendered",
    "Send",
    "Whole",
    "diff",
    "to_html",
]

A = TypeVar("A", bound=Hashable)
S = TypeVar("S", bound=Hashable)

Position = tuple[str, int]
"""``(epoch, seq)`` of the log."""

POINTS_KEPT = 256
"""Recent positions remembered per audience: a screen further behind gets
every fragment."""

_KEYED = re.compile(r"<!--keyed:([A-Za-z][\w-]*)-->(.*?)<!--/keyed-->", re.S)
_ITEM = re.compile(r"<!--k:([A-Za-z][\w-]*)-->")
_FIRST_TAG = re.compile(r"^\s*<[A-Za-z][\w-]*")


@dataclass(frozen=True, slots=True)
class Rendered:
    """One fragment as rendered for one audience.

    ``html`` is the whole fragment (its root element carries its stable id
    and ``hx-swap-oob``). A fragment may hold one **keyed list**: the
    template wraps it in ``<!--keyed:CONTAINER-->…<!--/keyed-->`` and marks
    each item ``<!--k:ITEM-ID-->`` before the item's element (whose id is
    ITEM-ID); the list's element has the id CONTAINER and the fragment also
    holds an empty ``<div id="CONTAINER-order" hidden></div>``. Then
    ``frame`` is the fragment with its items cut out and ``items`` the
    items in order."""

    name: str
    html: str
    frame: str | None = None
    container: str = ""
    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, name: str, html: str) -> Rendered:
        if "<!--keyed:" not in html:
            return cls(name, html)
        match = _KEYED.search(html)
        if match is None:
            raise ValueError(f"{name}: unterminated keyed list")
        container, region = match.group(1), match.group(2)
        if f'id="{container}-order"' not in html:
            raise ValueError(f"{name}: keyed list {container} has no {container}-order element")
        marks = list(_ITEM.finditer(region))
        items = tuple(
            (
                mark.group(1),
                region[
                    mark.end() : marks[i + 1].start() if i + 1 < len(marks) else len(region)
                ].strip(),
            )
            for i, mark in enumerate(marks)
        )
        frame = (
            html[: match.start()] + f"<!--keyed:{container}--><!--/keyed-->" + html[match.end() :]
        )
        return cls(name, html, frame, container, items)


# --- what a message carries ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Whole:
    """A whole fragment."""

    html: str


@dataclass(frozen=True, slots=True)
class ItemSet:
    """One item of a keyed list: changed in place, or ``new`` (appended to
    its list; an ``Order`` follows when it does not belong at the end)."""

    container: str
    item_id: str
    html: str
    new: bool = False


@dataclass(frozen=True, slots=True)
class ItemDrop:
    item_id: str


@dataclass(frozen=True, slots=True)
class Order:
    """The order of a keyed list's items, by element id."""

    container: str
    item_ids: tuple[str, ...]


Part = Whole | ItemSet | ItemDrop | Order


@dataclass(frozen=True, slots=True)
class Send(Generic[S]):
    """One message: the same bytes for every socket in ``sockets``."""

    sockets: tuple[S, ...]
    position: Position | None
    parts: tuple[Part, ...]


def diff(old: Rendered | None, new: Rendered) -> list[Part]:
    """The smallest parts that turn ``old`` into ``new`` on a screen."""
    if old is None:
        return [Whole(new.html)]
    if old.html == new.html:
        return []
    if new.frame is None or old.frame != new.frame or old.container != new.container:
        return [Whole(new.html)]
    before = dict(old.items)
    after_ids = [item_id for item_id, _ in new.items]
    parts: list[Part] = []
    for item_id, html in new.items:
        previous = before.get(item_id)
        if previous is None:
            parts.append(ItemSet(new.container, item_id, html, new=True))
        elif previous != html:
            parts.append(ItemSet(new.container, item_id, html))
    kept = set(after_ids)
    parts.extend(ItemDrop(item_id) for item_id, _ in old.items if item_id not in kept)
    # where the screen's items stand after those parts: the survivors in their
    # old order, then the new ones appended
    standing = [item_id for item_id, _ in old.items if item_id in kept]
    standing += [p.item_id for p in parts if isinstance(p, ItemSet) and p.new]
    if standing != after_ids:
        parts.append(Order(new.container, tuple(after_ids)))
    if sum(_size(p) for p in parts) >= len(new.html):
        return [Whole(new.html)]  # the list changed so much that the whole is smaller
    return parts


def _size(part: Part) -> int:
    if isinstance(part, Whole | ItemSet):
        return len(part.html) + 40
    if isinstance(part, Order):
        return sum(len(i) + 1 for i in part.item_ids) + 80
    return len(part.item_id) + 40


def to_html(part: Part) -> str:
    """A part as htmx out-of-band markup."""
    if isinstance(part, Whole):
        return part.html
    if isinstance(part, ItemSet):
        if part.new:
            return f'<div hx-swap-oob="beforeend:#{part.container}">{part.html}</div>'
        return _FIRST_TAG.sub(lambda m: m.group(0) + ' hx-swap-oob="true"', part.html, count=1)
    if isinstance(part, ItemDrop):
        return f'<div id="{part.item_id}" hx-swap-oob="delete"></div>'
    return (
        f'<div id="{part.container}-order" hidden hx-swap-oob="true" '
        f'data-order-for="{part.container}" data-order="{" ".join(part.item_ids)}"></div>'
    )


# --- the plan ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Record:
    epoch: str
    seq: int
    fragments: dict[str, Rendered]
    changed: dict[str, int]
    """Fragment name → the seq at which it last changed."""
    points: deque[int] = field(default_factory=lambda: deque(maxlen=POINTS_KEPT))
    """Recent positions at which the audience's fragments were rendered."""

    def rendered_at(self, seq: int) -> bool:
        return seq in self.points


@dataclass(slots=True)
class _Audience(Generic[S]):
    in_step: dict[S, None] = field(default_factory=dict)
    """Sockets whose screens show the record (insertion-ordered)."""
    ahead: dict[S, None] = field(default_factory=dict)
    """Sockets whose page was rendered after the record: every fragment next time."""
    record: _Record | None = None


class FanoutPlan(Generic[A, S]):
    """What to send to each socket of one dialogue. See the module docstring.

    ``rank(audience)`` orders the audiences of a broadcast (lowest first);
    ``volatile`` names the fragments a resume always carries."""

    def __init__(self, rank: Callable[[A], int], volatile: Collection[str] = ()) -> None:
        self.rank = rank
        self.volatile = frozenset(volatile)
        self._audiences: dict[A, _Audience[S]] = {}
        self._socket_audience: dict[S, A] = {}
        self._devices: dict[str, dict[S, None]] = {}
        self._socket_device: dict[S, str] = {}

    def last(self, audience: A, name: str) -> Rendered | None:
        """Fragment ``name`` as last sent to ``audience`` (None: never)."""
        group = self._audiences.get(audience)
        record = group.record if group is not None else None
        return record.fragments.get(name) if record is not None else None

    # --- sockets --------------------------------------------------------------------

    def open(self, socket: S, audience: A, device: str | None = None) -> None:
        """A socket joined ``audience``. It is sent nothing until its hello
        says what it shows (its page may be newer or older than the record)."""
        self._socket_audience[socket] = audience
        if device:
            self._socket_device[socket] = device

    def _join(self, socket: S, audience: A) -> _Audience[S]:
        group = self._audiences.setdefault(audience, _Audience())
        group.ahead.pop(socket, None)
        group.in_step[socket] = None
        device = self._socket_device.get(socket)
        if device:
            self._devices.setdefault(device, {})[socket] = None
        return group

    def close(self, socket: S) -> None:
        """A socket closed or fell behind: nothing more is planned for it."""
        audience = self._socket_audience.pop(socket, None)
        if audience is not None:
            group = self._audiences.get(audience)
            if group is not None:
                group.in_step.pop(socket, None)
                group.ahead.pop(socket, None)
                if not group.in_step and not group.ahead:
                    del self._audiences[audience]  # its record goes with its last screen
        device = self._socket_device.pop(socket, None)
        if device is not None:
            mine = self._devices.get(device)
            if mine is not None:
                mine.pop(socket, None)
                if not mine:
                    del self._devices[device]

    def sockets(self) -> Iterable[S]:
        return self._socket_audience.keys()

    def audience_of(self, socket: S) -> A | None:
        return self._socket_audience.get(socket)

    # --- a screen says where it is --------------------------------------------------------

    def hello(
        self,
        socket: S,
        claim: tuple[str | None, int | None],
        head: Position,
        render: Callable[[A], Sequence[Rendered]],
        personal: Callable[[A, str], Sequence[Rendered]] | None = None,
    ) -> Send[S] | None:
        """The catch-up of one socket that shows ``claim``; ``head`` is the
        log's position now (what ``render`` renders)."""
        audience = self._socket_audience.get(socket)
        if audience is None:
            return None
        group = self._join(socket, audience)
        record = group.record
        if record is None:
            record = group.record = self._new_record(head, render(audience))
        epoch, seq = claim
        parts: list[Part]
        if epoch != record.epoch or seq is None or seq < 0 or seq > head[1]:
            parts = [Whole(f.html) for f in record.fragments.values()]
        elif seq > record.seq:
            # rendered after the last broadcast: one is due, and it brings
            # this screen every fragment (it may show a state in between)
            group.in_step.pop(socket, None)
            group.ahead[socket] = None
            return self._personal_send(socket, audience, personal)
        elif record.rendered_at(seq):
            parts = [
                Whole(f.html)
                for name, f in record.fragments.items()
                if record.changed[name] > seq or name in self.volatile
            ]
        else:
            parts = [Whole(f.html) for f in record.fragments.values()]
        parts.extend(self._personal_parts(socket, audience, personal))
        if not parts and (epoch, seq) == (record.epoch, record.seq):
            return None
        return Send((socket,), (record.epoch, record.seq), tuple(parts))

    def _personal_parts(
        self, socket: S, audience: A, personal: Callable[[A, str], Sequence[Rendered]] | None
    ) -> list[Part]:
        device = self._socket_device.get(socket)
        if device is None or personal is None:
            return []
        return [Whole(f.html) for f in personal(audience, device)]

    def _personal_send(
        self, socket: S, audience: A, personal: Callable[[A, str], Sequence[Rendered]] | None
    ) -> Send[S] | None:
        parts = self._personal_parts(socket, audience, personal)
        return Send((socket,), None, tuple(parts)) if parts else None

    @staticmethod
    def _new_record(head: Position, fragments: Sequence[Rendered]) -> _Record:
        record = _Record(
            head[0], head[1], {f.name: f for f in fragments}, {f.name: head[1] for f in fragments}
        )
        record.points.append(head[1])
        return record

    # --- the log moved on (or something outside it changed) ----------------------------------

    def broadcast(
        self,
        head: Position,
        render: Callable[[A], Sequence[Rendered]],
        *,
        rebuilt: bool = False,
        devices: Iterable[str] = (),
        personal: Callable[[A, str], Sequence[Rendered]] | None = None,
        render_all: Callable[[A], Sequence[Rendered]] | None = None,
    ) -> list[Send[S]]:
        """Bring every socket to ``head``. ``render(audience)`` gives the
        fragments to compare (all of them, or only those that may have
        changed: the others keep their record); ``render_all(audience)``
        every fragment, for an audience without a record (default:
        ``render``). ``rebuilt``: the state was rebuilt from the log (a new
        epoch): every fragment is sent. ``devices``: phones whose own
        questions changed."""
        sends: list[Send[S]] = []
        for audience in sorted(self._audiences, key=self.rank):
            group = self._audiences[audience]
            record = group.record
            parts: list[Part] = []
            if record is None or rebuilt or record.epoch != head[0]:
                fragments = (render_all or render)(audience)
                record = group.record = self._new_record(head, fragments)
                parts = [Whole(f.html) for f in record.fragments.values()]
            else:
                for fragment in render(audience):
                    changes = diff(record.fragments.get(fragment.name), fragment)
                    if changes:
                        record.fragments[fragment.name] = fragment
                        record.changed[fragment.name] = head[1]
                        parts.extend(changes)
                if record.seq != head[1]:
                    record.seq = head[1]
                    record.points.append(head[1])
            if parts and group.in_step:
                sends.append(Send(tuple(group.in_step), head, tuple(parts)))
            if group.ahead:
                whole = tuple(Whole(f.html) for f in record.fragments.values())
                sends.append(Send(tuple(group.ahead), head, whole))
                group.in_step.update(group.ahead)
                group.ahead.clear()
        if personal is not None:
            for device in devices:
                sends.extend(self._device_sends(device, personal))
        return sends

    def _device_sends(
        self, device: str, personal: Callable[[A, str], Sequence[Rendered]]
    ) -> list[Send[S]]:
        by_audience: dict[A, list[S]] = {}
        for socket in self._devices.get(device, ()):
            by_audience.setdefault(self._socket_audience[socket], []).append(socket)
        return [
            Send(tuple(sockets), None, tuple(Whole(f.html) for f in personal(audience, device)))
            for audience, sockets in by_audience.items()
        ]
