"""What a client may send: one typed model per command, declared once.

Every command a screen, a form or the JSON API may send is the core's
command (``core/commands.py``) without its actor: the models are derived
from those dataclasses, field by field, with lengths and bounds from the
configured limits (``core.model.Limits``). msgspec validates a message
against its model before the core sees it (a message that breaks the
model is refused with ``input.invalid``, HTTP 422, naming the field), and
the same models give the API's OpenAPI document (``transport/openapi.py``).

The core still decides everything that depends on the state (may this role
do it, is the question on the floor); the models only say what a
well-formed message looks like. They are built once per set of limits.

msgspec is the library: it validates while it decodes (the phones' hot
path stays in C), converts form strings (``strict=False``) and writes JSON
Schema 2020-12, which is what OpenAPI 3.1 uses.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Union

import msgspec

from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import commands_registration as rc
from session_server.core.errors import InvalidInput, Unprocessable
from session_server.core.model import LOCAL_TZ, Actor, Limits

__all__ = [
    "ACTIONS",
    "CLIENT_COMMANDS",
    "CommandModels",
    "action_name",
]


def action_name(cls: type[c.Command]) -> str:
    """``ApproveQuestion`` → ``approve_question``: how messages name commands."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


SERVER_ONLY: frozenset[type[c.Command]] = frozenset({c.SaveRecording, c.StartProgrammeRecording})
"""Commands only the server itself issues (the media recorder)."""

CLIENT_COMMANDS: tuple[type[c.Command], ...] = tuple(
    cls
    for module in (c, rc, cp)
    for cls in (getattr(module, name) for name in module.__all__)
    if isinstance(cls, type)
    and issubclass(cls, c.Command)
    and cls is not c.Command
    and cls not in SERVER_ONLY
)

ACTIONS: dict[str, type[c.Command]] = {action_name(cls): cls for cls in CLIENT_COMMANDS}
"""Every command a client may send, by the name its message gives."""


def _text_bounds(limits: Limits) -> dict[str, int]:
    """The longest text of each field, by name (the core cleans and checks
    again; a raw text within these bounds is within them once cleaned)."""
    return {
        "text": limits.question_max_chars,
        "asker_name": limits.name_max_chars,
        "asker_unit": limits.unit_max_chars,
        "asker_age_group": 20,
        "reason": limits.reason_max_chars,
        "note": limits.reason_max_chars,
        "what": limits.reason_max_chars,
        "legal_basis": limits.reason_max_chars,
        "summary": limits.summary_max_chars,
        "opening": limits.summary_max_chars,
        "conclusions": limits.summary_max_chars,
        "title": limits.title_max_chars,
        "theme": limits.title_max_chars,
        "number": 40,
        "locality": 80,
    }


_OVERRIDES: dict[tuple[type[c.Command], str], Callable[[Limits], int]] = {
    (c.RecordWrittenAnswer, "text"): lambda limits: limits.summary_max_chars,
    (c.RequestFloor, "note"): lambda limits: limits.label_max_chars,
}
_IDENTIFIERS = frozenset({"bridge_id", "topic_id", "speaker_id", "item_id"})


def _field_type(cls: type[c.Command], name: str, hint: Any, limits: Limits) -> Any:
    """The model type of one command field."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        (inner,) = args
        return _field_type(cls, name, inner, limits) | None
    if origin is tuple:
        (inner, _ellipsis) = typing.get_args(hint)
        item = _field_type(cls, name, inner, limits)
        return Annotated[tuple[item, ...], msgspec.Meta(max_length=200)]  # type: ignore[valid-type]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _struct(hint, limits)
    if hint is str:
        # identifiers and keys: bounded here, their form explained by the core
        if name in _IDENTIFIERS:
            return Annotated[str, msgspec.Meta(max_length=64)]
        if name in ("idempotency_key", "command_id"):
            return Annotated[str, msgspec.Meta(max_length=64)]
        override = _OVERRIDES.get((cls, name))
        bound = (
            override(limits) if override else _text_bounds(limits).get(name, limits.label_max_chars)
        )
        return Annotated[str, msgspec.Meta(max_length=bound)]
    if hint is int:
        if name in ("question_id", "into_id", "request_id", "commitment_id"):
            return Annotated[int, msgspec.Meta(ge=1, le=10**9)]
        if name == "seconds" or name == "question_seconds":
            return Annotated[int, msgspec.Meta(ge=0, le=limits.timer_max_seconds)]
        if name == "count":  # walk-ins counted, or taken back (CountWalkIns)
            return Annotated[int, msgspec.Meta(ge=-10_000, le=10_000)]
        return Annotated[int, msgspec.Meta(ge=0, le=10**9)]
    if hint in (bool, date, datetime) or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return hint
    raise TypeError(f"{cls.__name__}.{name}: no model for {hint!r}")


def _struct(cls: type, limits: Limits) -> type[msgspec.Struct]:
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in dataclasses.fields(cls):
        if field.name == "actor":
            continue
        tp = _field_type(cls, field.name, hints[field.name], limits)
        if field.default is not dataclasses.MISSING:
            fields.append((field.name, tp, field.default))
        elif field.default_factory is not dataclasses.MISSING:
            fields.append((field.name, tp, msgspec.field(default_factory=field.default_factory)))
        else:
            fields.append((field.name, tp))
    doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    if doc.startswith(f"{cls.__name__}("):
        doc = ""  # the signature dataclasses write when a class has no docstring
    return msgspec.defstruct(
        cls.__name__,
        fields,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": doc} if doc else None,
    )


_NAIVE_MINUTES = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$")


class CommandModels:
    """The models of every client command under one set of limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.models: dict[type[c.Command], type[msgspec.Struct]] = {
            cls: _struct(cls, limits) for cls in CLIENT_COMMANDS
        }
        self._datetimes: dict[type[c.Command], frozenset[str]] = {
            cls: _fields_of(cls, datetime) for cls in CLIENT_COMMANDS
        }
        self._bools: dict[type[c.Command], frozenset[str]] = {
            cls: _fields_of(cls, bool) for cls in CLIENT_COMMANDS
        }
        self._tuples: dict[type[c.Command], frozenset[str]] = {
            cls: _fields_of(cls, tuple) for cls in CLIENT_COMMANDS
        }
        self._nullable: dict[type[c.Command], frozenset[str]] = {
            cls: _fields_of(cls, type(None)) for cls in CLIENT_COMMANDS
        }

    def field_names(self, cls: type[c.Command]) -> frozenset[str]:
        """The fields a message of ``cls`` may give (its model's)."""
        return frozenset(self.models[cls].__struct_fields__)

    def command_class(self, data: Mapping[str, Any]) -> type[c.Command]:
        name = data.get("action")
        cls = ACTIONS.get(name) if isinstance(name, str) else None
        if cls is None:
            raise InvalidInput("command.unknown")
        return cls

    def parse(
        self,
        data: Mapping[str, Any],
        actor: Actor,
        *,
        strings: bool = False,
        force: Mapping[str, Any] | None = None,
    ) -> c.Command:
        """The command ``data`` describes (``data["action"]`` names it),
        issued by ``actor``. ``strings``: every value came as text (a form
        post), converted by the model's types. ``force``: fields the
        transport sets whatever the message says (a phone's bridge point)."""
        cls = self.command_class(data)
        values = {k: v for k, v in data.items() if k not in _TRANSPORT_FIELDS}
        for name in self._nullable[cls]:
            if values.get(name) == "":
                values[name] = None  # an empty answer to a field that may be empty
        if strings:
            values = self._from_form(cls, values)
        if force:
            values.update(force)
        try:
            model = msgspec.convert(values, self.models[cls], strict=not strings)
        except msgspec.ValidationError as error:
            raise _invalid(error, cls) from None
        kwargs = {f: getattr(model, f) for f in model.__struct_fields__}
        for name in self._datetimes[cls]:
            moment = kwargs.get(name)
            if isinstance(moment, datetime) and moment.tzinfo is None:
                kwargs[name] = moment.replace(tzinfo=LOCAL_TZ)
        kwargs = {k: _to_core(v) for k, v in kwargs.items()}
        return cls(actor=actor, **kwargs)

    def _from_form(self, cls: type[c.Command], values: dict[str, Any]) -> dict[str, Any]:
        """Form fields as the model reads them: empty optional fields absent,
        ``on`` for a ticked box, ``HH:MM`` times with seconds, lists split."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            if value == "" and name not in self._tuples[cls]:
                continue  # an empty field: the command's default
            if name in self._bools[cls] and value == "on":
                value = "true"
            if (
                name in self._datetimes[cls]
                and isinstance(value, str)
                and _NAIVE_MINUTES.match(value.strip())
            ):
                value = value.strip() + ":00"
            if name in self._tuples[cls] and isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            out[name] = value
        return out

    def schemas(self, ref_template: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(action → schema of its model, the components they refer to)."""
        classes = list(self.models)
        refs, components = msgspec.json.schema_components(
            [self.models[cls] for cls in classes], ref_template=ref_template
        )
        return {action_name(cls): ref for cls, ref in zip(classes, refs, strict=True)}, components


_TRANSPORT_FIELDS = frozenset({"action", "csrf", "HEADERS", "type"})


def _fields_of(cls: type, kind: type) -> frozenset[str]:
    hints = typing.get_type_hints(cls)
    out = set()
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        options = (
            typing.get_args(hint)
            if typing.get_origin(hint) in (Union, types.UnionType)
            else (hint,)
        )
        for option in options:
            if option is kind or typing.get_origin(option) is kind:
                out.add(field.name)
    return frozenset(out)


def _to_core(value: Any) -> Any:
    """A model value as the core's dataclass takes it."""
    if isinstance(value, msgspec.Struct):
        return _CORE_TYPES[type(value).__name__](
            **{f: _to_core(getattr(value, f)) for f in value.__struct_fields__}
        )
    if isinstance(value, tuple):
        return tuple(_to_core(v) for v in value)
    return value


_CORE_TYPES: dict[str, type] = {"ProgrammeEntry": c.ProgrammeEntry}


_SCHEMA_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (  # msgspec's wording → our codes
    (re.compile(r"^Object missing required field `(?P<field>[^`]+)`"), "input.schema.missing"),
    (re.compile(r"^Expected `(?:str|array)` of length <= (?P<limit>\d+)"), "input.schema.too_long"),
    (
        re.compile(r"^Expected `(?:str|array)` of length >= (?P<limit>\d+)"),
        "input.schema.too_short",
    ),
    (re.compile(r"^Expected `(?:int|float)` >= (?P<limit>-?\d+)"), "input.schema.too_small"),
    (re.compile(r"^Expected `(?:int|float)` <= (?P<limit>-?\d+)"), "input.schema.too_large"),
    (re.compile(r"^Invalid enum value"), "input.schema.choice"),
    (re.compile(r"^Expected `str` matching regex"), "input.schema.format"),
    (re.compile(r"^Invalid (?:RFC3339|ISO 8601)"), "input.schema.format"),
    (re.compile(r"^Expected `\w+`, got `\w+`"), "input.schema.type"),
)


_FIELD_NAMES: dict[tuple[type[c.Command], str], str] = {
    (c.SubmitQuestion, "text"): "question",
}
"""Fields the core names otherwise in its own refusals (the catalogue's terms)."""


def _invalid(error: msgspec.ValidationError, cls: type[c.Command]) -> Unprocessable:
    """A model's refusal in the one error tree: which field, and why, in
    both languages (msgspec's own wording is English only)."""
    text = str(error)
    reason, _, where = text.partition(" - at `$")
    field = where.rstrip("`").lstrip(".") or "message"
    field = _FIELD_NAMES.get((cls, field), field)
    for pattern, code in _SCHEMA_ERRORS:
        match = pattern.match(reason)
        if match:
            named = match.groupdict()
            named_field = named.get("field")
            if named_field:
                named_field = _FIELD_NAMES.get((cls, named_field), named_field)
            return Unprocessable(
                code,
                field=named_field or field,
                **({"limit": int(named["limit"])} if "limit" in named else {}),
            )
    return Unprocessable("input.schema.invalid", field=field)
