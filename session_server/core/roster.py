"""Read-side rules of registration and check-in: each unit's quota and fill,
who is expected where, guests in order of precedence, attendance by bridge
point. Pure functions of the state, used by the deciders, the screens and
the exports alike."""

from __future__ import annotations

from dataclasses import dataclass

from session_server.core.model import State
from session_server.core.registration import CheckIn, Delegate, GuestCategory, Unit
from session_server.core.text import fold_text

__all__ = [
    "BridgeAttendance",
    "UnitFill",
    "attendance",
    "attendance_total",
    "expected_bridge",
    "find_expected",
    "guests_in_precedence",
    "in_attendance",
    "unit_delegates",
    "unit_fill",
    "unit_quota",
]


def unit_quota(state: State, unit: Unit) -> int:
    """The organiser's figure for the unit, else the quota rule's."""
    if unit.quota_override is not None:
        return unit.quota_override
    return state.roster.quota_rule.quota(unit.kind, unit.members)


def unit_delegates(state: State, unit_id: str) -> list[Delegate]:
    """A unit's delegates, in the order they were registered."""
    return [d for d in state.roster.delegates.values() if d.unit_id == unit_id]


@dataclass(frozen=True)
class UnitFill:
    unit: Unit
    quota: int
    registered: int

    @property
    def missing(self) -> int:
        return max(0, self.quota - self.registered)


def unit_fill(state: State) -> list[UnitFill]:
    """Each unit's quota and how many it registered, in the units' order."""
    counts: dict[str, int] = {}
    for delegate in state.roster.delegates.values():
        if delegate.unit_id is not None:
            counts[delegate.unit_id] = counts.get(delegate.unit_id, 0) + 1
    return [
        UnitFill(unit, unit_quota(state, unit), counts.get(unit.unit_id, 0))
        for unit in state.roster.units.values()
    ]


def expected_bridge(state: State, delegate: Delegate) -> str | None:
    """Where a delegate is expected: the guest's bridge point, the unit's,
    else the main venue (None when there is none yet)."""
    if delegate.bridge_id is not None:
        return delegate.bridge_id
    unit = state.roster.units.get(delegate.unit_id or "")
    if unit is not None and unit.bridge_id is not None:
        return unit.bridge_id
    main = state.main_bridge()
    return main.bridge_id if main is not None else None


def guests_in_precedence(state: State, *, present: bool = False) -> list[Delegate]:
    """Invited guests in the order they are introduced: by category (the
    provincial plan's order), then precedence, then when they were added;
    ``present``: only those checked in (whom the MC introduces)."""
    order = {category: n for n, category in enumerate(GuestCategory)}
    guests = [
        d
        for d in state.roster.delegates.values()
        if d.category is not None and (not present or d.delegate_id in state.roster.check_ins)
    ]
    position = {d.delegate_id: n for n, d in enumerate(guests)}
    return sorted(
        guests,
        key=lambda d: (
            order[d.category or GuestCategory.OTHER],
            d.precedence,
            position[d.delegate_id],
        ),
    )


@dataclass(frozen=True)
class BridgeAttendance:
    bridge_id: str
    name: str
    expected: int
    checked_in: int
    walk_ins: int

    @property
    def present(self) -> int:
        return self.checked_in + self.walk_ins


def attendance(state: State) -> list[BridgeAttendance]:
    """Checked in and expected at each bridge point, in the bridges' order."""
    expected: dict[str, int] = {}
    for delegate in state.roster.delegates.values():
        where = expected_bridge(state, delegate)
        if where is not None:
            expected[where] = expected.get(where, 0) + 1
    checked: dict[str, int] = {}
    for check_in in state.roster.check_ins.values():
        checked[check_in.bridge_id] = checked.get(check_in.bridge_id, 0) + 1
    return [
        BridgeAttendance(
            bridge.bridge_id,
            bridge.name,
            expected.get(bridge.bridge_id, 0),
            checked.get(bridge.bridge_id, 0),
            state.roster.walk_ins.get(bridge.bridge_id, 0),
        )
        for bridge in state.bridges.values()
    ]


def attendance_total(state: State) -> int:
    """Everyone checked in or counted in, at every bridge point."""
    return len(state.roster.check_ins) + sum(state.roster.walk_ins.values())


def in_attendance(state: State, bridge_id: str) -> bool:
    """Whether units, guests or check-ins name the bridge point."""
    return (
        any(u.bridge_id == bridge_id for u in state.roster.units.values())
        or any(d.bridge_id == bridge_id for d in state.roster.delegates.values())
        or any(ci.bridge_id == bridge_id for ci in state.roster.check_ins.values())
        or state.roster.walk_ins.get(bridge_id, 0) > 0
    )


SEARCH_MAX_CHARS = 60
"""The longest name search a door sends (a name and a unit, typed by hand)."""


def find_expected(
    state: State, bridge_id: str, query: str, limit: int
) -> tuple[list[tuple[Delegate, CheckIn | None]], int]:
    """Who is expected at ``bridge_id`` and matches ``query``: each word of
    it (accents and case aside, at most SEARCH_MAX_CHARS of it) begins a word
    of the person's name or unit. At most ``limit`` of them, by name, each with
    their check-in if they have one; and how many match in all. An empty query
    finds nobody: a door searches, it is not sent the whole list."""
    words = fold_text(query[:SEARCH_MAX_CHARS]).split()
    if not words or limit <= 0:
        return [], 0
    found: list[tuple[str, Delegate]] = []
    for delegate in state.roster.delegates.values():
        if expected_bridge(state, delegate) != bridge_id:
            continue
        name = fold_text(delegate.name)
        own = (name + " " + fold_text(delegate.organisation)).split()
        if all(any(w.startswith(word) for w in own) for word in words):
            found.append((name, delegate))
    found.sort(key=lambda pair: (pair[0], pair[1].delegate_id))
    check_ins = state.roster.check_ins
    shown = [(d, check_ins.get(d.delegate_id)) for _, d in found[:limit]]
    return shown, len(found)
