"""Events to plain JSON-ready dicts and back, for the event log.

The shape is ``{"name": "QuestionSubmitted", "at": "...", <fields>}``, and
``"command_id"`` last, only when the event has one; fields added to an event
after logs were written (:data:`LATER_FIELDS`, by event) are written only
when they differ from their default, so older events keep their shape and
an older event without them loads with the default. Datetimes
travel as ISO 8601 with offset, dates as ``YYYY-MM-DD``, enums as their
value, tuples as lists, nested dataclasses as dicts.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any, Union

from session_server.core.events import EVENT_TYPES, Event

__all__ = ["LATER_FIELDS", "event_from_dict", "event_to_dict"]


LATER_FIELDS: dict[str, dict[str, object]] = {
    "QuestionSubmitted": {"held": False},
    "LinkIssued": {"question_id": None, "agency": "", "unit_id": None, "topic_id": None},
    "WrittenAnswerRecorded": {"pending": False},
    "QuestionRejected": {"category": "other"},
    "QuestionDeferred": {"deadline": None},
}
"""Fields added to events after logs were written, by event name, with
their default. Per event: a field of the same name in another event may
have no default (``SubmissionsHeld.held``) and must always be written."""


def event_to_dict(event: Event) -> dict[str, Any]:
    body = _dump(event)
    assert isinstance(body, dict)
    for name, default in LATER_FIELDS.get(event.name, {}).items():
        if name in body and body[name] == default:
            del body[name]
    command_id = body.pop("command_id", "")
    if command_id:
        body["command_id"] = command_id
    return {"name": event.name, **body}


def event_from_dict(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES.get(data.get("name", ""))
    if cls is None:
        raise ValueError(f"unknown event name: {data.get('name')!r}")
    body = {k: v for k, v in data.items() if k != "name"}
    event = _load(cls, body)
    assert isinstance(event, Event)
    return event


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_dump(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _load(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _load(inner, value)
    if origin is tuple:
        (inner, _ellipsis) = typing.get_args(tp)
        return tuple(_load(inner, v) for v in value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {
            f.name: _load(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return tp(**kwargs)
    if tp is datetime:
        return datetime.fromisoformat(value)
    if tp is date:
        return date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is bool:
        return bool(value)
    if tp is int:
        return int(value)
    return value
