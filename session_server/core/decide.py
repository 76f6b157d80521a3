"""``decide(state, command, now) -> list[Event]``: every rule of the day.

``decide`` never changes ``state``; it either returns the events that the
command causes (possibly none, for a repeated submission or command) or
raises a :class:`~session_server.core.errors.SessionError`. Checks run in
this order: role, command id, phase, existence, state, input.

A command with a ``command_id`` is checked for a repeat right after its role:
when the state already applied that id from that actor
(``State.applied_commands``), the command did what it asked before and
``decide`` returns no events. Otherwise its events carry the scoped id
(``Command.scoped_id()``), which ``apply`` remembers.

The rules live in five slices (``core/deciders/``: setup, questions, floor,
record, attendance); this module combines them and runs, for every command: its role
(:func:`authorise`), its command id, that the dialogue exists, its rule,
then any rule on what the server knows outside the log (the floor's picture
rule), and stamps the scoped command id on the events.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders import SLICES
from session_server.core.deciders.lifecycle import (
    COMMAND_TRANSITIONS,
    LEGAL_TRANSITIONS,
    RETURN_TO_QUEUE,
)
from session_server.core.deciders.record import MAX_AUTHORITY_LINES, MAX_RECIPIENTS
from session_server.core.deciders.registry import merged
from session_server.core.errors import Forbidden, InvalidInput, NotFound
from session_server.core.model import NO_CONDITIONS, Actor, Conditions, Role, State
from session_server.core.text import require_command_id

__all__ = [
    "COMMAND_TRANSITIONS",
    "LEGAL_TRANSITIONS",
    "MAX_AUTHORITY_LINES",
    "MAX_RECIPIENTS",
    "PERMISSIONS",
    "RETURN_TO_QUEUE",
    "authorise",
    "decide",
]

PERMISSIONS = merged("permission", (s.permissions for s in SLICES))
"""Which roles may issue each command. Display and speaker screens only read."""

_RULES = merged("rule", (s.rules for s in SLICES))
_CONDITIONS = merged("condition rule", (s.conditions for s in SLICES))


def authorise(command: c.Command) -> None:
    """Refuse a command its actor's role may never issue, whatever the state
    (the gateway asks before spending a rate limit; ``decide`` asks again)."""
    allowed = PERMISSIONS.get(type(command))
    if allowed is None or type(command) not in _RULES:
        raise InvalidInput("command.unknown")
    _check_actor(command.actor)
    if command.actor.role not in allowed:
        raise Forbidden("role.forbidden", role=command.actor.role.value)


def decide(
    state: State, command: c.Command, now: datetime, conditions: Conditions = NO_CONDITIONS
) -> list[e.Event]:
    """The events ``command`` causes at ``now``, or a ``SessionError``.
    ``conditions``: what the server knows outside the log (media links)."""
    authorise(command)
    rule = _RULES[type(command)]
    scoped = ""
    if command.command_id:
        require_command_id(command.command_id)
        scoped = command.scoped_id()
        if scoped in state.applied_commands:
            return []  # a repeat: it did what it asked already
    if not state.created and not isinstance(command, c.CreateDialogue):
        raise NotFound("dialogue.not_found")
    events = rule(state, command, now)
    condition = _CONDITIONS.get(type(command))
    if condition is not None:
        condition(state, command, conditions)
    if scoped:
        events = [dataclasses.replace(event, command_id=scoped) for event in events]
    return events


def _check_actor(actor: Actor) -> None:
    if actor.role is Role.BRIDGE_OPERATOR and not actor.bridge_id:
        raise Forbidden("role.bridge_missing")
    if actor.role is Role.ATTENDEE and not actor.device_id:
        raise Forbidden("role.device_missing")
    if actor.role is Role.SPEAKER and not actor.speaker_id:
        raise Forbidden("role.speaker_missing")
    if actor.role in (Role.AGENCY, Role.UNIT_REGISTRAR, Role.DRAFTER) and not actor.link_id:
        raise Forbidden("link.invalid")
    if actor.role is Role.CHECK_IN and not actor.bridge_id:
        raise Forbidden("role.bridge_missing")


_missing = set(PERMISSIONS) ^ set(_RULES)
if _missing:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"commands without a rule or permission: {_missing}")
