"""Units, delegates and guests for the demo dialogue (invented people),
through the core's own commands, as the provincial plan lists them."""

from __future__ import annotations

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Role
from session_server.core.registration import GuestCategory, UnitKind

ORGANISER = Actor(Role.ORGANISER)

UNITS = (
    ("doan-so-noi-vu", "Đoàn cơ sở Sở Nội vụ", UnitKind.UNION_BASE, 42, None),
    ("doan-dh-an-giang", "Đoàn Trường Đại học An Giang", UnitKind.UNION_BASE, 860, None),
    ("chi-doan-bao", "Chi đoàn cơ sở Báo An Giang", UnitKind.BRANCH_BASE, 14, None),
    ("doan-chau-doc", "Thành Đoàn Châu Đốc", UnitKind.DISTRICT, 0, "chau-doc"),
)

DELEGATES = (
    ("dlg-noivu-01", "doan-so-noi-vu", "Phan Thị Thu Hà", "Bí thư Đoàn cơ sở"),
    ("dlg-daihoc-01", "doan-dh-an-giang", "Lữ Minh Khôi", "Phó Bí thư Đoàn trường"),
    ("dlg-chaudoc-1", "doan-chau-doc", "Kha Thị Mỹ Tiên", "Ủy viên Ban Chấp hành"),
)

GUESTS = (
    (
        "guest-hdnd-01",
        "Lê Hoàng Phúc",
        "Phó Chủ tịch",
        "Hội đồng nhân dân tỉnh",
        GuestCategory.LEADER,
    ),
    ("guest-bao-001", "Mai Anh Tuấn", "Phóng viên", "Báo An Giang", GuestCategory.PRESS),
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
