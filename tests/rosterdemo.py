"""The demo dialogue's units, delegates and guests (``session_server/demo.py``)
through the core's own commands, under fixed ids the tests name."""

from __future__ import annotations

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DELEGATES, DEMO_GUESTS, DEMO_UNITS

ORGANISER = Actor(Role.ORGANISER)

UNITS = DEMO_UNITS

DELEGATES = tuple(
    (delegate_id, unit_id, name, position)
    for delegate_id, (unit_id, name, position) in zip(
        ("dlg-noivu-01", "dlg-daihoc-01", "dlg-chaudoc-1"), DEMO_DELEGATES, strict=True
    )
)
"""The demo's delegates under fixed ids (``serve --demo`` makes random ones)."""

GUESTS = tuple(
    (guest_id, *guest)
    for guest_id, guest in zip(("guest-hdnd-01", "guest-bao-001"), DEMO_GUESTS, strict=True)
)


def roster_commands(unit_links: bool = True) -> list[c.Command]:
    commands: list[c.Command] = [
        rc.SetUnit(ORGANISER, unit_id, name, kind, members, bridge_id)
        for unit_id, name, kind, members, bridge_id in UNITS
    ]
    commands += [
        rc.RegisterDelegate(ORGANISER, delegate_id, unit_id, name, position)
        for delegate_id, unit_id, name, position in DELEGATES
    ]
    commands += [
        rc.SetGuest(ORGANISER, delegate_id, name, position, agency, category, precedence=1)
        for delegate_id, name, position, agency, category in GUESTS
    ]
    if unit_links:
        commands += [
            c.IssueLink(ORGANISER, f"unit-link-{n:02d}", Role.UNIT_REGISTRAR, unit_id=unit[0])
            for n, unit in enumerate(UNITS, 1)
        ]
    return commands
