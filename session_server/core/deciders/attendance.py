"""Registration and check-in: units and their quota rule, the delegates
each unit registers by its link, invited guests, and who arrived at which
bridge point (by QR code or name) besides the walk-ins counted at the door.

Read-side rules (quotas, fill, attendance) live in ``core/roster.py``.
"""

from __future__ import annotations

import re
from datetime import datetime

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core import events as e
from session_server.core import events_registration as rev
from session_server.core.deciders.common import (
    check_bridge,
    check_date,
    check_not_closed,
    clean_label,
)
from session_server.core.deciders.registry import MOD, OPR, ORG, Decider
from session_server.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
)
from session_server.core.model import LOCAL_TZ, Actor, Phase, Role, State
from session_server.core.registration import CheckIn, Delegate, QuotaRule, Unit
from session_server.core.roster import unit_delegates, unit_quota
from session_server.core.text import fold_text, require_identifier, slug_id

__all__ = [
    "ATTENDANCE",
    "MAX_DELEGATES",
    "MAX_QUOTA",
    "MAX_UNITS",
    "MAX_WALK_INS",
    "registration_open",
    "unit_link",
]

REG, CHK = Role.UNIT_REGISTRAR, Role.CHECK_IN

ATTENDANCE = Decider(
    "attendance",
    {
        rc.SetQuotaRule: frozenset({ORG}),
        rc.SetRegistrationDeadline: frozenset({ORG}),
        rc.SetUnit: frozenset({ORG}),
        rc.RemoveUnit: frozenset({ORG}),
        rc.RegisterDelegate: frozenset({ORG, REG}),
        rc.WithdrawDelegate: frozenset({ORG, REG}),
        rc.SetGuest: frozenset({ORG}),
        rc.CheckInDelegate: frozenset({ORG, MOD, OPR, CHK}),
        rc.CountWalkIns: frozenset({ORG, MOD, OPR, CHK}),
    },
)
rule, fold = ATTENDANCE.rule, ATTENDANCE.fold

MAX_UNITS = 2_000
MAX_DELEGATES = 20_000
"""Units' delegates and guests together."""
MAX_QUOTA = 1_000
"""The most delegates a rule or an override may give one unit."""
MAX_MEMBERS = 1_000_000
MAX_WALK_INS = 10_000
"""The most walk-ins one count may add (or take back)."""
MAX_PRECEDENCE = 10_000

_DELEGATE_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
_PHONE = re.compile(r"\+?[0-9][0-9 .-]{5,18}[0-9]")


def registration_open(state: State, now: datetime) -> bool:
    """Units may register until the deadline (none set: until the dialogue closes)."""
    deadline = state.roster.deadline
    return (deadline is None or now <= deadline) and state.dialogue.phase is not Phase.CLOSED


def unit_link(state: State, cmd: c.IssueLink, now: datetime) -> e.LinkIssued:
    """A unit registrar's link: one unit, named by the organiser."""
    if cmd.unit_id is None:
        raise InvalidInput("link.needs_unit")
    unit = _get_unit(state, cmd.unit_id)
    if cmd.bridge_id is not None or cmd.speaker_id is not None:
        raise InvalidInput("input.bad_value", field="bridge_id")
    return e.LinkIssued(
        at=now,
        link_id=cmd.link_id,
        role=Role.UNIT_REGISTRAR,
        bridge_id=None,
        speaker_id=None,
        label=clean_label(state, cmd.label, "label", required=False) or unit.name,
        unit_id=unit.unit_id,
    )


# --- rules -------------------------------------------------------------------


@rule(rc.SetQuotaRule)
def _quota_rule(state: State, cmd: rc.SetQuotaRule, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    for name in ("union_base", "branch_base", "large_union_base", "department", "district"):
        _bounded(getattr(cmd, name), name, MAX_QUOTA)
    _bounded(cmd.other, "other", MAX_QUOTA)
    _bounded(cmd.large_above, "large_above", MAX_MEMBERS)
    return [
        rev.QuotaRuleSet(
            at=now,
            union_base=cmd.union_base,
            branch_base=cmd.branch_base,
            large_union_base=cmd.large_union_base,
            large_above=cmd.large_above,
            department=cmd.department,
            district=cmd.district,
            other=cmd.other,
        )
    ]


@rule(rc.SetRegistrationDeadline)
def _deadline(state: State, cmd: rc.SetRegistrationDeadline, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_date(cmd.deadline, "registration_deadline")
    return [rev.RegistrationDeadlineSet(at=now, deadline=cmd.deadline)]


@rule(rc.SetUnit)
def _set_unit(state: State, cmd: rc.SetUnit, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    name = clean_label(state, cmd.name, "name")
    if cmd.unit_id:
        unit_id = require_identifier(cmd.unit_id, field="unit_id")
    else:
        unit_id = slug_id(name, state.roster.units, fallback="don-vi")
    if unit_id not in state.roster.units and len(state.roster.units) >= MAX_UNITS:
        raise InvalidInput("input.too_many", field="units", limit=MAX_UNITS)
    _bounded(cmd.members, "members", MAX_MEMBERS)
    if cmd.quota_override is not None:
        _bounded(cmd.quota_override, "quota", MAX_QUOTA)
    if cmd.bridge_id is not None:
        check_bridge(state, cmd.bridge_id)
    return [
        rev.UnitSet(
            at=now,
            unit_id=unit_id,
            unit_name=name,
            kind=cmd.kind,
            members=cmd.members,
            bridge_id=cmd.bridge_id,
            quota_override=cmd.quota_override,
        )
    ]


@rule(rc.RemoveUnit)
def _remove_unit(state: State, cmd: rc.RemoveUnit, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    unit = _get_unit(state, cmd.unit_id)
    if unit_delegates(state, unit.unit_id):
        raise IllegalTransition("unit.has_delegates", unit=unit.name)
    return [rev.UnitRemoved(at=now, unit_id=unit.unit_id)]


@rule(rc.RegisterDelegate)
def _register(state: State, cmd: rc.RegisterDelegate, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    unit = _get_unit(state, _actor_unit(state, cmd.actor, cmd.unit_id))
    _check_window(state, cmd.actor, now)
    _check_delegate_id(cmd.delegate_id)
    existing = state.roster.delegates.get(cmd.delegate_id)
    if existing is not None and existing.unit_id != unit.unit_id:
        raise InvalidInput("input.bad_value", field="delegate_id")
    name = clean_label(state, cmd.name, "name")
    others = [d for d in unit_delegates(state, unit.unit_id) if d.delegate_id != cmd.delegate_id]
    if any(fold_text(d.name) == fold_text(name) for d in others):
        raise IllegalTransition("delegate.duplicate_name", name=name, unit=unit.name)
    if existing is None:
        quota = unit_quota(state, unit)
        if len(others) >= quota:
            raise IllegalTransition("unit.quota_full", unit=unit.name, quota=quota)
        if len(state.roster.delegates) >= MAX_DELEGATES:
            raise InvalidInput("input.too_many", field="delegates", limit=MAX_DELEGATES)
    position = clean_label(state, cmd.position, "position", required=False)
    phone = _phone(cmd.phone)
    if existing is not None and (existing.name, existing.position, existing.phone) == (
        name,
        position,
        phone,
    ):
        return []  # the same form again (a reload, a script): nothing changed, nothing stored
    return [
        rev.DelegateRegistered(
            at=now,
            delegate_id=cmd.delegate_id,
            unit_id=unit.unit_id,
            delegate_name=name,
            position=position,
            phone=phone,
        )
    ]


@rule(rc.WithdrawDelegate)
def _withdraw(state: State, cmd: rc.WithdrawDelegate, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    delegate = _get_delegate(state, cmd.delegate_id)
    if cmd.actor.role is REG:
        if delegate.unit_id != _actor_unit(state, cmd.actor, delegate.unit_id or ""):
            raise Forbidden("unit.other_unit")
        _check_window(state, cmd.actor, now)
    if delegate.delegate_id in state.roster.check_ins:
        raise IllegalTransition("delegate.checked_in", name=delegate.name)
    return [rev.DelegateWithdrawn(at=now, delegate_id=delegate.delegate_id)]


@rule(rc.SetGuest)
def _set_guest(state: State, cmd: rc.SetGuest, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    _check_delegate_id(cmd.delegate_id)
    existing = state.roster.delegates.get(cmd.delegate_id)
    if existing is not None and existing.unit_id is not None:
        raise InvalidInput("input.bad_value", field="delegate_id")
    if existing is None and len(state.roster.delegates) >= MAX_DELEGATES:
        raise InvalidInput("input.too_many", field="delegates", limit=MAX_DELEGATES)
    _bounded(cmd.precedence, "precedence", MAX_PRECEDENCE)
    if cmd.bridge_id is not None:
        check_bridge(state, cmd.bridge_id)
    return [
        rev.GuestSet(
            at=now,
            delegate_id=cmd.delegate_id,
            guest_name=clean_label(state, cmd.name, "name"),
            position=clean_label(state, cmd.position, "position", required=False),
            organisation=clean_label(state, cmd.organisation, "organisation", required=False),
            category=cmd.category,
            precedence=cmd.precedence,
            bridge_id=cmd.bridge_id,
        )
    ]


@rule(rc.CheckInDelegate)
def _check_in(state: State, cmd: rc.CheckInDelegate, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    _check_door(state, cmd.actor, cmd.bridge_id)
    delegate = _get_delegate(state, cmd.delegate_id)
    done = state.roster.check_ins.get(delegate.delegate_id)
    if done is not None:
        raise IllegalTransition(
            "checkin.already",
            name=delegate.name,
            bridge=state.bridges[done.bridge_id].name,
            time=done.at.astimezone(LOCAL_TZ).strftime("%H:%M"),
        )
    return [rev.CheckedIn(at=now, delegate_id=delegate.delegate_id, bridge_id=cmd.bridge_id)]


@rule(rc.CountWalkIns)
def _walk_ins(state: State, cmd: rc.CountWalkIns, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    _check_door(state, cmd.actor, cmd.bridge_id)
    if cmd.count == 0 or not -MAX_WALK_INS <= cmd.count <= MAX_WALK_INS:
        raise InvalidInput("input.out_of_range", field="walk_ins")
    if state.roster.walk_ins.get(cmd.bridge_id, 0) + cmd.count < 0:
        raise InvalidInput("walk_ins.below_zero", count=state.roster.walk_ins.get(cmd.bridge_id, 0))
    return [rev.WalkInsCounted(at=now, bridge_id=cmd.bridge_id, count=cmd.count)]


# --- checks ------------------------------------------------------------------


def _bounded(value: int, field: str, most: int) -> None:
    if not 0 <= value <= most:
        raise InvalidInput("input.out_of_range", field=field)


def _get_unit(state: State, unit_id: str) -> Unit:
    unit = state.roster.units.get(unit_id)
    if unit is None:
        raise NotFound("unit.not_found", unit=unit_id)
    return unit


def _get_delegate(state: State, delegate_id: str) -> Delegate:
    delegate = state.roster.delegates.get(delegate_id)
    if delegate is None:
        raise NotFound("delegate.not_found")
    return delegate


def _check_delegate_id(delegate_id: str) -> None:
    if not _DELEGATE_ID.fullmatch(delegate_id):
        raise InvalidInput("input.bad_value", field="delegate_id")


def _actor_unit(state: State, actor: Actor, unit_id: str) -> str:
    """The unit a command is about: a registrar's link fixes it."""
    if actor.role is not REG:
        return unit_id
    link = state.links.get(actor.link_id or "")
    if link is None or not link.active or link.unit_id is None:
        raise Forbidden("link.invalid")
    if unit_id and unit_id != link.unit_id:
        raise Forbidden("unit.other_unit")
    return link.unit_id


def _check_window(state: State, actor: Actor, now: datetime) -> None:
    """A unit registers until the deadline; the organiser may add late ones."""
    if actor.role is REG and not registration_open(state, now):
        deadline = state.roster.deadline
        assert deadline is not None
        raise PhaseRefused(
            "registration.closed", deadline=deadline.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
        )


def _check_door(state: State, actor: Actor, bridge_id: str) -> None:
    check_bridge(state, bridge_id)
    if actor.role in (OPR, CHK) and actor.bridge_id != bridge_id:
        raise Forbidden("role.other_bridge", bridge=bridge_id)


def _phone(value: str) -> str:
    phone = value.strip()
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidInput("input.bad_value", field="phone")
    return phone


# --- folds -------------------------------------------------------------------


@fold(rev.QuotaRuleSet)
def _quota_rule_set(state: State, ev: rev.QuotaRuleSet) -> None:
    state.roster.quota_rule = QuotaRule(
        union_base=ev.union_base,
        branch_base=ev.branch_base,
        large_union_base=ev.large_union_base,
        large_above=ev.large_above,
        department=ev.department,
        district=ev.district,
        other=ev.other,
    )


@fold(rev.RegistrationDeadlineSet)
def _deadline_set(state: State, ev: rev.RegistrationDeadlineSet) -> None:
    state.roster.deadline = ev.deadline


@fold(rev.UnitSet)
def _unit_set(state: State, ev: rev.UnitSet) -> None:
    state.roster.units[ev.unit_id] = Unit(
        unit_id=ev.unit_id,
        name=ev.unit_name,
        kind=ev.kind,
        members=ev.members,
        bridge_id=ev.bridge_id,
        quota_override=ev.quota_override,
    )
    for delegate in state.roster.delegates.values():
        if delegate.unit_id == ev.unit_id:
            delegate.organisation = ev.unit_name


@fold(rev.UnitRemoved)
def _unit_removed(state: State, ev: rev.UnitRemoved) -> None:
    del state.roster.units[ev.unit_id]


@fold(rev.DelegateRegistered)
def _registered(state: State, ev: rev.DelegateRegistered) -> None:
    existing = state.roster.delegates.get(ev.delegate_id)
    state.roster.delegates[ev.delegate_id] = Delegate(
        delegate_id=ev.delegate_id,
        name=ev.delegate_name,
        position=ev.position,
        organisation=state.roster.units[ev.unit_id].name,
        phone=ev.phone,
        unit_id=ev.unit_id,
        registered_at=existing.registered_at if existing is not None else ev.at,
    )


@fold(rev.DelegateWithdrawn)
def _withdrawn(state: State, ev: rev.DelegateWithdrawn) -> None:
    del state.roster.delegates[ev.delegate_id]


@fold(rev.GuestSet)
def _guest_set(state: State, ev: rev.GuestSet) -> None:
    existing = state.roster.delegates.get(ev.delegate_id)
    state.roster.delegates[ev.delegate_id] = Delegate(
        delegate_id=ev.delegate_id,
        name=ev.guest_name,
        position=ev.position,
        organisation=ev.organisation,
        bridge_id=ev.bridge_id,
        category=ev.category,
        precedence=ev.precedence,
        registered_at=existing.registered_at if existing is not None else ev.at,
    )


@fold(rev.CheckedIn)
def _checked_in(state: State, ev: rev.CheckedIn) -> None:
    state.roster.check_ins[ev.delegate_id] = CheckIn(ev.delegate_id, ev.bridge_id, ev.at)


@fold(rev.WalkInsCounted)
def _walk_ins_counted(state: State, ev: rev.WalkInsCounted) -> None:
    state.roster.walk_ins[ev.bridge_id] = state.roster.walk_ins.get(ev.bridge_id, 0) + ev.count
