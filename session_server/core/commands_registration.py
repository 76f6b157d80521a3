"""Commands of registration and check-in (``core/deciders/attendance.py``).

Like every command (``core/commands.py``), each carries its actor and may
carry a ``command_id``; text arrives raw and is cleaned by the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from session_server.core.commands import Command
from session_server.core.registration import GuestCategory, UnitKind

__all__ = [
    "CheckInDelegate",
    "CountWalkIns",
    "RegisterDelegate",
    "RemoveUnit",
    "SetGuest",
    "SetQuotaRule",
    "SetRegistrationDeadline",
    "SetUnit",
    "WithdrawDelegate",
]


@dataclass(frozen=True)
class SetQuotaRule(Command):
    """The rule giving each unit its number of delegates (all of it at once)."""

    union_base: int = 2
    branch_base: int = 1
    large_union_base: int = 3
    large_above: int = 50
    department: int = 3
    district: int = 5
    other: int = 1


@dataclass(frozen=True)
class SetRegistrationDeadline(Command):
    deadline: datetime | None


@dataclass(frozen=True)
class SetUnit(Command):
    """Add a unit or change one (same ``unit_id``; empty: made from its name)."""

    unit_id: str = ""
    name: str = ""
    kind: UnitKind = UnitKind.UNION_BASE
    members: int = 0
    bridge_id: str | None = None
    quota_override: int | None = None


@dataclass(frozen=True)
class RemoveUnit(Command):
    unit_id: str


@dataclass(frozen=True)
class RegisterDelegate(Command):
    """A unit's delegate, registered by its unit's link (``unit_id`` may
    only repeat the link's, or be empty) or by the organiser.
    ``delegate_id`` is made by the adapter (random): it is what the
    delegate's QR code carries. The same id again corrects the details."""

    delegate_id: str
    unit_id: str
    name: str
    position: str = ""
    phone: str = ""


@dataclass(frozen=True)
class WithdrawDelegate(Command):
    delegate_id: str


@dataclass(frozen=True)
class SetGuest(Command):
    """An invited guest (again, same ``delegate_id``, to change one)."""

    delegate_id: str
    name: str
    position: str = ""
    organisation: str = ""
    category: GuestCategory = GuestCategory.OTHER
    precedence: int = 0
    bridge_id: str | None = None


@dataclass(frozen=True)
class CheckInDelegate(Command):
    """A delegate or guest arrives at ``bridge_id`` (by QR code or name)."""

    delegate_id: str
    bridge_id: str


@dataclass(frozen=True)
class CountWalkIns(Command):
    """Young people without an invitation counted in at ``bridge_id``
    (a negative ``count`` takes back a slip)."""

    bridge_id: str
    count: int = 1
