"""The domain of registration and check-in, as plain dataclasses: units
and the quota rule, delegates and invited guests, who arrived where.

``Roster`` is this part of a dialogue's state (``State.roster``); the
rules that change it live in ``core/deciders/attendance.py``, the rules
that read it in ``core/roster.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "CheckIn",
    "Delegate",
    "GuestCategory",
    "QuotaRule",
    "Roster",
    "Unit",
    "UnitKind",
]


class UnitKind(enum.StrEnum):
    UNION_BASE = "union_base"
    """Đoàn cơ sở."""
    BRANCH_BASE = "branch_base"
    """Chi đoàn cơ sở."""
    DEPARTMENT = "department"
    """Sở, ban, ngành."""
    DISTRICT = "district"
    """Huyện, thị xã, thành phố."""
    OTHER = "other"


class GuestCategory(enum.StrEnum):
    """The provincial plan's guests, in the order they are introduced."""

    LEADER = "leader"
    """Lãnh đạo HĐND, UBND, Ủy ban MTTQ."""
    PARTY = "party"
    """Các Ban xây dựng Đảng, Văn phòng Tỉnh ủy."""
    DEPARTMENT = "department"
    """Sở, ban ngành, đoàn thể."""
    PRESS = "press"
    """Báo, đài."""
    OTHER = "other"


@dataclass(frozen=True)
class QuotaRule:
    """How many delegates each unit may register. The default is the city
    plan's: 2 per Đoàn cơ sở, 1 per Chi đoàn cơ sở, 3 for a Đoàn cơ sở with
    more than 50 members; and the provincial plan's 3 per department."""

    union_base: int = 2
    branch_base: int = 1
    large_union_base: int = 3
    large_above: int = 50
    """A Đoàn cơ sở with more members than this is large."""
    department: int = 3
    district: int = 5
    other: int = 1

    def quota(self, kind: UnitKind, members: int) -> int:
        if kind is UnitKind.UNION_BASE:
            return self.large_union_base if members > self.large_above else self.union_base
        return {
            UnitKind.BRANCH_BASE: self.branch_base,
            UnitKind.DEPARTMENT: self.department,
            UnitKind.DISTRICT: self.district,
        }.get(kind, self.other)


@dataclass
class Unit:
    unit_id: str
    name: str
    kind: UnitKind = UnitKind.UNION_BASE
    members: int = 0
    bridge_id: str | None = None
    """Where its delegates attend (None: the main venue)."""
    quota_override: int | None = None
    """The organiser's own figure for this unit, over the rule."""


@dataclass
class Delegate:
    """One person expected: a unit's delegate or an invited guest."""

    delegate_id: str
    """Made at random by the adapter: what the person's QR code carries."""
    name: str
    position: str = ""
    organisation: str = ""
    """The unit's or the guest's agency name, as printed."""
    phone: str = ""
    unit_id: str | None = None
    """The unit that registered them (None: an invited guest)."""
    bridge_id: str | None = None
    """A guest's bridge point (None: the unit's, else the main venue)."""
    category: GuestCategory | None = None
    """An invited guest's category (None: a unit's delegate)."""
    precedence: int = 0
    """Order of introduction among guests of a category, lowest first."""
    registered_at: datetime | None = None


@dataclass(frozen=True)
class CheckIn:
    delegate_id: str
    bridge_id: str
    at: datetime


@dataclass
class Roster:
    """Registration and check-in, as rebuilt from the log."""

    units: dict[str, Unit] = field(default_factory=dict)
    """Participating units, in the order they were added."""
    quota_rule: QuotaRule = field(default_factory=QuotaRule)
    deadline: datetime | None = None
    """When units' links stop registering (None: until the dialogue closes)."""
    delegates: dict[str, Delegate] = field(default_factory=dict)
    """Units' delegates and invited guests, by delegate id."""
    check_ins: dict[str, CheckIn] = field(default_factory=dict)
    """Who was checked in, by delegate id (once each)."""
    walk_ins: dict[str, int] = field(default_factory=dict)
    """Young people without an invitation counted in, by bridge point."""
