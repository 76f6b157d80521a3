"""Events of registration and check-in. They are part of the one set of
events (``core/events.py`` adds them to ``EVENT_TYPES``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from session_server.core.events import Event
from session_server.core.registration import GuestCategory, UnitKind

__all__ = [
    "REGISTRATION_EVENTS",
    "CheckedIn",
    "DelegateRegistered",
    "DelegateWithdrawn",
    "GuestSet",
    "QuotaRuleSet",
    "RegistrationDeadlineSet",
    "UnitRemoved",
    "UnitSet",
    "WalkInsCounted",
]


@dataclass(frozen=True)
class QuotaRuleSet(Event):
    name: ClassVar[str] = "QuotaRuleSet"
    union_base: int
    branch_base: int
    large_union_base: int
    large_above: int
    department: int
    district: int
    other: int


@dataclass(frozen=True)
class RegistrationDeadlineSet(Event):
    name: ClassVar[str] = "RegistrationDeadlineSet"
    deadline: datetime | None


@dataclass(frozen=True)
class UnitSet(Event):
    name: ClassVar[str] = "UnitSet"
    unit_id: str
    unit_name: str
    kind: UnitKind
    members: int
    bridge_id: str | None
    quota_override: int | None


@dataclass(frozen=True)
class UnitRemoved(Event):
    name: ClassVar[str] = "UnitRemoved"
    unit_id: str


@dataclass(frozen=True)
class DelegateRegistered(Event):
    name: ClassVar[str] = "DelegateRegistered"
    delegate_id: str
    unit_id: str
    delegate_name: str
    position: str
    phone: str


@dataclass(frozen=True)
class DelegateWithdrawn(Event):
    name: ClassVar[str] = "DelegateWithdrawn"
    delegate_id: str


@dataclass(frozen=True)
class GuestSet(Event):
    name: ClassVar[str] = "GuestSet"
    delegate_id: str
    guest_name: str
    position: str
    organisation: str
    category: GuestCategory
    precedence: int
    bridge_id: str | None


@dataclass(frozen=True)
class CheckedIn(Event):
    name: ClassVar[str] = "CheckedIn"
    delegate_id: str
    bridge_id: str


@dataclass(frozen=True)
class WalkInsCounted(Event):
    name: ClassVar[str] = "WalkInsCounted"
    bridge_id: str
    count: int


REGISTRATION_EVENTS: tuple[type[Event], ...] = (
    QuotaRuleSet,
    RegistrationDeadlineSet,
    UnitSet,
    UnitRemoved,
    DelegateRegistered,
    DelegateWithdrawn,
    GuestSet,
    CheckedIn,
    WalkInsCounted,
)
