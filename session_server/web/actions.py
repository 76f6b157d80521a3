"""Turning untrusted input (a form post, a WebSocket message, a JSON body)
into a core command.

An action is a command's name in snake case (``approve_question``); its
fields come from the input by name and are converted by the command's type
annotations. Anything malformed is an ``InvalidInput`` with the field's
name; whether the actor may issue the command at all is the core's call.
The actor always comes from the verified link or cookie. A phone's bridge
point is forced from its link; a bridge operator's defaults to its own, and
naming another is refused by the core (``role.other_bridge``).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, Union

from session_server.core import commands as c
from session_server.core.errors import InvalidInput
from session_server.core.model import Actor, ProgrammeKind, Role

__all__ = ["ACTIONS", "LOCAL_TZ", "action_name", "parse_action"]

LOCAL_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam's time zone: datetimes typed without an offset are local."""

_MAX_FIELD = 20_000


def action_name(cls: type[c.Command]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


ACTIONS: dict[str, type[c.Command]] = {
    action_name(cls): cls
    for cls in (getattr(c, name) for name in c.__all__)
    if isinstance(cls, type) and issubclass(cls, c.Command) and cls is not c.Command
}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def parse_action(data: Mapping[str, Any], actor: Actor) -> c.Command:
    """The command that ``data['action']`` names, issued by ``actor``."""
    name = data.get("action")
    cls = ACTIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise InvalidInput("command.unknown")
    values = dict(data)
    if cls in (c.SubmitQuestion, c.RequestFloor) and actor.bridge_id:
        if actor.role is Role.ATTENDEE:
            values["bridge_id"] = actor.bridge_id  # a phone never chooses
        elif actor.role is Role.BRIDGE_OPERATOR and not values.get("bridge_id"):
            values["bridge_id"] = actor.bridge_id  # another bridge: the core refuses
    kwargs: dict[str, Any] = {"actor": actor}
    hints = _hints(cls)
    for field in dataclasses.fields(cls):
        if field.name == "actor":
            continue
        raw = values.get(field.name)
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        if raw is None or (raw == "" and has_default and hints[field.name] is not str):
            if has_default:
                continue
            if _optional(hints[field.name]):
                kwargs[field.name] = None
                continue
            raise InvalidInput("input.empty", field=field.name)
        kwargs[field.name] = _convert(hints[field.name], raw, field.name)
    return cls(**kwargs)


def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType) and type(None) in typing.get_args(tp)


def _convert(tp: Any, raw: Any, field: str) -> Any:
    if _optional(tp):
        if raw in ("", None):
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(inner, raw, field)
    if typing.get_origin(tp) is tuple:
        (inner, _) = typing.get_args(tp)
        if inner is c.ProgrammeEntry:
            return _programme(raw)
        items = raw if isinstance(raw, list) else [p for p in str(raw).split(",")]
        return tuple(_convert(inner, item.strip() if isinstance(item, str) else item, field)
                     for item in items if item != "")
    try:
        if tp is str:
            if not isinstance(raw, str) or len(raw) > _MAX_FIELD:
                raise ValueError
            return raw
        if tp is bool:
            return raw is True or str(raw).lower() in ("1", "true", "on", "yes")
        if tp is int:
            if isinstance(raw, bool):
                raise ValueError
            value = int(str(raw).strip())
            if abs(value) > 10**9:
                raise ValueError
            return value
        if tp is date:
            return date.fromisoformat(str(raw).strip())
        if tp is datetime:
            moment = datetime.fromisoformat(str(raw).strip())
            return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return tp(str(raw))
    except (ValueError, TypeError):
        raise InvalidInput("input.bad_value", field=field) from None
    raise InvalidInput("input.bad_value", field=field)


def _programme(raw: Any) -> tuple[c.ProgrammeEntry, ...]:
    """Programme lines ``id | title | kind | minutes``, one item a line."""
    if not isinstance(raw, str):
        raise InvalidInput("input.bad_value", field="programme")
    entries = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 4:
            raise InvalidInput("input.bad_value", field="programme")
        item_id, title, kind, minutes = parts
        try:
            entries.append(
                c.ProgrammeEntry(item_id, title, ProgrammeKind(kind), int(minutes or "0"))
            )
        except ValueError:
            raise InvalidInput("input.bad_value", field="programme") from None
    return tuple(entries)
