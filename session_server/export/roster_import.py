"""Importing lists of units and of their delegates from CSV or XLSX, with
the question import's machinery (``export/intake.py``: reading the file,
folding headers, matching names, refusing a row with the core's own
message): each row becomes a ``SetUnit`` or a ``RegisterDelegate``, decided
against a copy of the state, so a row over its unit's quota or with a bad
phone number is refused by the same rule as on the unit's page.

Importing the same file again changes the same units and delegates rather
than adding them twice: a unit is matched by its name, a delegate's id is
made from the file's hash and the row.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from session_server.core import apply, decide
from session_server.core.commands import Command
from session_server.core.commands_registration import RegisterDelegate, SetUnit
from session_server.core.errors import InvalidInput, SessionError
from session_server.core.events import Event
from session_server.core.events_registration import UnitSet
from session_server.core.model import Actor, State
from session_server.core.registration import UnitKind
from session_server.core.text import fold_text
from session_server.export.intake import (
    MAX_CELL,
    RowError,
    fold_header,
    has_formula,
    name_table,
    read_table,
    resolve_name,
)

__all__ = ["DELEGATE_COLUMNS", "UNIT_COLUMNS", "RosterPlan", "plan_roster_import"]

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("don vi", "ten don vi", "unit", "to chuc", "co so doan"),
    "kind": ("loai", "loai don vi", "kind", "cap"),
    "members": ("so doan vien", "doan vien", "members", "so luong doan vien"),
    "bridge": ("diem cau", "bridge point", "bridge"),
    "quota": ("chi tieu", "quota", "so dai bieu"),
}
DELEGATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("ho ten", "ho va ten", "name", "dai bieu", "ten"),
    "position": ("chuc vu", "position", "chuc danh"),
    "unit": ("don vi", "unit", "to chuc", "co quan don vi"),
    "phone": ("dien thoai", "so dien thoai", "phone", "sdt"),
}
"""Accepted headers (accents, case and punctuation ignored) of each column."""

KIND_NAMES: dict[str, UnitKind] = {
    "doan co so": UnitKind.UNION_BASE,
    "dcs": UnitKind.UNION_BASE,
    "union base": UnitKind.UNION_BASE,
    "chi doan co so": UnitKind.BRANCH_BASE,
    "chi doan": UnitKind.BRANCH_BASE,
    "branch base": UnitKind.BRANCH_BASE,
    "so nganh": UnitKind.DEPARTMENT,
    "so ban nganh": UnitKind.DEPARTMENT,
    "so": UnitKind.DEPARTMENT,
    "department": UnitKind.DEPARTMENT,
    "huyen": UnitKind.DISTRICT,
    "huyen thi xa thanh pho": UnitKind.DISTRICT,
    "district": UnitKind.DISTRICT,
    "khac": UnitKind.OTHER,
    "other": UnitKind.OTHER,
}


@dataclass
class RosterPlan:
    kind: str
    """``units`` or ``delegates``."""
    filename: str
    rows: int = 0
    commands: list[tuple[int, Command]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    formula_rows: list[int] = field(default_factory=list)


@dataclass
class _Names:
    """The names a list's rows are matched against, folded once per import
    (not once per row: thousands of rows against thousands of units took
    minutes of the event loop every screen shares)."""

    bridges: dict[str, str]
    units: dict[str, str]
    """The units' name table (a delegate's unit); a delegate list adds none."""
    units_by_name: dict[str, str]
    """Folded name → unit id, the first of that name (a unit list's row
    changes the unit of its name), kept up as the rows add units."""

    @classmethod
    def of(cls, state: State, kind: str) -> _Names:
        units = state.roster.units.values()
        by_name: dict[str, str] = {}
        for unit in units:
            by_name.setdefault(fold_text(unit.name), unit.unit_id)
        return cls(
            bridges=name_table({b.bridge_id: b.name for b in state.bridges.values()}),
            units=name_table({u.unit_id: u.name for u in units}) if kind != "units" else {},
            units_by_name=by_name,
        )

    def note(self, event: Event) -> None:
        if isinstance(event, UnitSet):
            self.units_by_name.setdefault(fold_text(event.unit_name), event.unit_id)


def _columns(header: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        folded = fold_header(title)
        for column, accepted in names.items():
            if folded in accepted and column not in found:
                found[column] = index
    if "name" not in found:
        raise InvalidInput("import.bad_headers")
    return found


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _number(text: str, field: str) -> int | None:
    if not text:
        return None
    try:
        return int(float(text.replace(",", ".")))
    except (ValueError, OverflowError):  # "abc", "nan"; "inf", "1e400"
        raise InvalidInput("input.bad_value", field=field) from None


def _unit_command(actor: Actor, cell: dict[str, str], names: _Names) -> SetUnit:
    kind_text = fold_header(cell["kind"])
    kind = KIND_NAMES.get(kind_text) if kind_text else UnitKind.UNION_BASE
    if kind is None:
        raise InvalidInput("input.bad_value", field="kind")
    bridge_id = None
    if cell["bridge"]:
        bridge_id = resolve_name(names.bridges, cell["bridge"])
        if bridge_id is None:
            raise InvalidInput("import.unknown_bridge", bridge=cell["bridge"][:80])
    same = names.units_by_name.get(fold_text(cell["name"]))
    return SetUnit(
        actor,
        unit_id=same or "",
        name=cell["name"],
        kind=kind,
        members=_number(cell["members"], "members") or 0,
        bridge_id=bridge_id,
        quota_override=_number(cell["quota"], "quota"),
    )


def _delegate_command(
    actor: Actor, cell: dict[str, str], delegate_id: str, names: _Names
) -> RegisterDelegate:
    unit_id = resolve_name(names.units, cell["unit"]) if cell["unit"] else None
    if unit_id is None:
        raise InvalidInput("unit.not_found", unit=cell["unit"][:80])
    return RegisterDelegate(
        actor,
        delegate_id=delegate_id,
        unit_id=unit_id,
        name=cell["name"],
        position=cell["position"],
        phone=cell["phone"],
    )


def plan_roster_import(
    state: State, data: bytes, filename: str, kind: str, actor: Actor, now: datetime
) -> RosterPlan:
    """What importing ``data`` (a list of ``units`` or of ``delegates``)
    would do, decided by the core against a copy of ``state``;
    ``InvalidInput`` for a file refused as a whole."""
    names = UNIT_COLUMNS if kind == "units" else DELEGATE_COLUMNS
    digest = hashlib.sha256(data).hexdigest()
    plan = RosterPlan(kind=kind, filename=filename)
    header, rows, warnings = read_table(data, filename)
    plan.warnings.extend(warnings)
    columns = _columns(header, names)
    scratch = copy.deepcopy(state)
    lookup = _Names.of(scratch, kind)
    for offset, row in enumerate(rows):
        number = offset + 2
        if not any(value.strip() for value in row):
            continue
        plan.rows += 1
        if any(has_formula(value.strip()) for value in row):
            plan.formula_rows.append(number)
        cell = {column: _cell(row, columns.get(column)) for column in names}
        try:
            if any(len(value) > MAX_CELL for value in row):
                raise InvalidInput("import.cell_too_long", limit=MAX_CELL)
            if any(value.strip() for value in row[len(header) :]):
                raise InvalidInput("import.extra_cells", columns=len(header))
            command: Command
            if kind == "units":
                command = _unit_command(actor, cell, lookup)
            else:
                command = _delegate_command(actor, cell, f"i{digest[:16]}{number:05d}", lookup)
            events = decide(scratch, command, now)
        except SessionError as error:
            plan.errors.append(RowError(number, error.message("vi"), error.message("en")))
            continue
        for event in events:
            apply(scratch, event)
            lookup.note(event)
        plan.commands.append((number, command))
    return plan
