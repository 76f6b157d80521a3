"""The JSON API beside the screens: ``/api/v1/…`` and ``/openapi.json``.

Same rules and same errors as the screens: this adapter only authenticates
and parses; the core decides. A caller proves its role with the signed token
of its role link in ``Authorization: Bearer <token>`` (the token of the
``/s/{token}`` and ``/j/{token}`` links); a phone also shows its device cookie,
issued by the phone page or by ``GET /api/v1/device``. No state change is
accepted on a cookie alone, and every ``POST`` must be
``Content-Type: application/json`` (a cross-site HTML form cannot send that)
and, when an ``Origin`` header is present, come from this site.

Every refusal is a :class:`~session_server.core.errors.SessionError`: the
response has its status and ``error.to_dict()`` as body
(``{"error": code, "message": {"vi": …, "en": …}}``). The tree in
``core/errors.py`` has the API's own refusals too: ``Unauthorised`` (401),
``PayloadTooLarge`` (413), ``UnsupportedMediaType`` (415).

The OpenAPI 3.1 document at ``/openapi.json`` is built from the same table
(:data:`ENDPOINTS`) as the routes, so the two cannot drift apart.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from session_server.core.commands import Command, SubmitQuestion, Vote
from session_server.core.errors import (
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    RateLimited,
    SessionError,
    Unauthorised,
    UnsupportedMediaType,
)
from session_server.core.events import VoteCast
from session_server.core.model import (
    Actor,
    Asker,
    BridgeKind,
    FloorRequestStatus,
    Origin,
    Phase,
    ProgrammeItem,
    ProgrammeKind,
    Question,
    QuestionStatus,
    Role,
    State,
)
from session_server.core.views import proposed_speaker, submitted_question_id, visible_questions
from session_server.runtime.session import Outcome
from session_server.web.access import DEVICE_COOKIE, ORGANISER_COOKIE
from session_server.web.gateway import Gateway, LinkCaller
from session_server.web.live.hub import Hub
from session_server.web.models import ACTIONS
from session_server.web.registry import Registry

__all__ = [
    "API_PREFIX",
    "ENDPOINTS",
    "MAX_BODY",
    "Endpoint",
    "error_response",
    "full_state",
    "openapi_document",
    "public_state",
    "routes",
]

logger = logging.getLogger(__name__)

_GATEWAY: list[Any] = [None]
"""(a bridge until the API is a transport over the gateway)"""

API_PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
"""Largest request body accepted, in bytes."""
JSON_TYPE = "application/json"
DEVICE_MAX_AGE = 365 * 24 * 3600
CONTROL_ROLES = frozenset({Role.MODERATOR, Role.SECRETARY})
"""Roles whose token may read the full state of their dialogue."""
SUBMIT_FIELDS = (
    "text",
    "idempotency_key",
    "topic_id",
    "asker_name",
    "asker_unit",
    "asker_age_group",
    "asker_public",
)
"""What a ``POST /questions`` body may say; the bridge point and the origin
come from the link, never from the body."""

PUBLIC_VIEWER = Actor(Role.DISPLAY)
"""An anonymous reader sees what a hall display sees."""


# --- the adapter's own refusals ------------------------------------------------------


def error_response(error: SessionError) -> JSONResponse:
    response = JSONResponse(error.to_dict(), status_code=error.status)
    if isinstance(error, RateLimited):
        seconds = error.params.get("seconds", 1)
        response.headers["Retry-After"] = str(seconds if isinstance(seconds, int) else 1)
    if isinstance(error, Unauthorised):
        response.headers["WWW-Authenticate"] = 'Bearer realm="session-server"'
    return response


Handler = Callable[[Request], Awaitable[Response]]


def _json_errors(handler: Handler) -> Handler:
    """Answer a ``SessionError`` with its status and bilingual body; never
    cache an API answer."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            response = await handler(request)
        except SessionError as error:
            logger.debug("%s %s refused: %s", request.method, request.url.path, error.code)
            response = error_response(error)
        response.headers["Cache-Control"] = "no-store"
        return response

    return endpoint


# --- authentication and parsing ------------------------------------------------------


def _registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _check_origin(request: Request, registry: Registry) -> None:
    """The middleware checks the Origin of every request."""


async def _caller(
    request: Request, roles: Iterable[Role] | None = None
) -> tuple[LinkCaller, Actor]:
    """The verified link of the Bearer token and the actor it makes.

    ``roles``, when given, are the roles this endpoint serves at all. A phone
    (attendee link) must also show its device cookie."""
    registry = _registry(request)
    _check_origin(request, registry)
    token = _bearer(request)
    if token is None:
        raise Unauthorised("request.unauthorised")
    gateway: Gateway = request.app.state.gateway
    ctx = await gateway.link_caller(token)
    assert ctx.link is not None
    role = ctx.link.role
    if roles is not None and role not in set(roles):
        raise Forbidden("role.forbidden", role=role.value)
    device = None
    if role is Role.ATTENDEE:
        device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE))
        if device is None:
            raise Forbidden("role.device_missing")
    return LinkCaller(ctx.hub, ctx.link.actor(device), ctx.claim, ctx.address, ctx.link,
                      ctx.token), ctx.link.actor(device)


def _require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON_TYPE:
        raise UnsupportedMediaType("request.content_type")


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise PayloadTooLarge("request.too_large", limit=MAX_BODY)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise PayloadTooLarge("request.too_large", limit=MAX_BODY)
    return bytes(body)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


def _parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput("request.bad_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("request.json_object")
    return data


async def _post(request: Request) -> tuple[LinkCaller, Actor, dict[str, Any]]:
    """A state-changing request: JSON only, same site, a role token."""
    _require_json(request)
    ctx, actor = await _caller(request)
    return ctx, actor, _parse_json(await _read_body(request))


async def _execute(ctx: LinkCaller, actor: Actor, command: Command) -> Outcome:
    """Rate-limit as the screens do, then let the core decide.

    A retried submission the log already holds is not charged to the rate
    limit: it changes nothing and only tells the client its question's id."""
    gateway: Gateway = _GATEWAY[0]
    done = await gateway.run(ctx, command)
    return done.outcome


def _position(hub: Hub) -> dict[str, Any]:
    return {"epoch": hub.session.epoch, "seq": hub.session.seq}


# --- serialising state -------------------------------------------------------------------


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _day(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _bridge_ref(state: State, bridge_id: str) -> dict[str, Any]:
    bridge = state.bridges.get(bridge_id)
    return {"bridge_id": bridge_id, "name": bridge.name if bridge else bridge_id}


def _topic_ref(state: State, topic_id: str | None) -> dict[str, Any] | None:
    if topic_id is None:
        return None
    topic = state.topics.get(topic_id)
    return {"topic_id": topic_id, "name": topic.name if topic else topic_id}


def _speaker_ref(state: State, speaker_id: str | None) -> dict[str, Any] | None:
    speaker = state.speakers.get(speaker_id or "")
    if speaker is None:
        return None
    return {
        "speaker_id": speaker.speaker_id,
        "name": speaker.name,
        "position": speaker.position,
        "agency": speaker.agency,
    }


def _programme_item(item: ProgrammeItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "item_id": item.item_id,
        "title": item.title,
        "kind": item.kind.value,
        "planned_minutes": item.planned_minutes,
    }


def _public_askers(question: Question) -> list[dict[str, str]]:
    """Only the askers who agreed to be named (``Asker.public``)."""
    return [
        {"name": asker.name, "unit": asker.unit}
        for asker in question.askers()
        if asker.public and (asker.name or asker.unit)
    ]


def _public_question(state: State, question: Question) -> dict[str, Any]:
    return {
        "question_id": question.question_id,
        "text": question.text,
        "status": question.status.value,
        "bridge": _bridge_ref(state, question.bridge_id),
        "topic": _topic_ref(state, question.topic_id),
        "votes": question.votes,
        "askers": _public_askers(question),
    }


def public_state(state: State, dialogue_id: str) -> dict[str, Any]:
    """What anybody may know of the dialogue right now: never a device id,
    never who submitted what, never a name the asker did not agree to show."""
    dialogue = state.dialogue
    public = {q.question_id: q for q in visible_questions(state, PUBLIC_VIEWER)}
    floor = state.floor
    floor_question = public.get(floor.question_id) if floor.question_id is not None else None
    queue = (
        [_public_question(state, public[q]) for q in state.queue if q in public]
        if state.public_list_open
        else []
    )
    return {
        "dialogue": {
            "dialogue_id": dialogue_id,
            "title": dialogue.title,
            "theme": dialogue.theme,
            "host_body": dialogue.host_body,
            "place": dialogue.place,
            "starts_at": _time(dialogue.starts_at),
            "phase": dialogue.phase.value,
            "intake_deadline": _time(dialogue.intake_deadline),
        },
        "programme": [_programme_item(item) for item in state.programme],
        "current_item": _programme_item(state.current_item()),
        "floor": {
            "holder": _bridge_ref(state, floor.holder) if floor.holder is not None else None,
            "since": _time(floor.since),
            "question": (
                _public_question(state, floor_question) if floor_question is not None else None
            ),
            "speaker": _speaker_ref(state, floor.speaker_id),
            "question_ends_at": _time(floor.question_ends_at),
            "answer_ends_at": _time(floor.answer_ends_at),
        },
        "public_list_open": state.public_list_open,
        "queue": queue,
    }


def _asker(asker: Asker) -> dict[str, Any]:
    return {
        "name": asker.name,
        "unit": asker.unit,
        "age_group": asker.age_group,
        "public": asker.public,
    }


def _own_question(question: Question) -> dict[str, Any]:
    """A question as its author (a phone, a bridge console) follows it."""
    forwarding = question.forwarding
    return {
        "question_id": question.question_id,
        "text": question.text,
        "status": question.status.value,
        "bridge_id": question.bridge_id,
        "topic_id": question.topic_id,
        "votes": question.votes,
        "submitted_at": _time(question.submitted_at),
        "asker": _asker(question.asker),
        "rejection_reason": question.rejection_reason,
        "merged_into": question.merged_into,
        "forwarding": (
            {"agency": forwarding.agency, "deadline": _day(forwarding.deadline)}
            if forwarding is not None
            else None
        ),
        "deferral_note": question.deferral_note,
    }


def _full_question(state: State, question: Question) -> dict[str, Any]:
    """A question with everything the control roles see, except device ids
    (``submitted_by``, ``voters``)."""
    answer = state.answers.get(question.question_id)
    forwarding = question.forwarding
    return {
        "question_id": question.question_id,
        "text": question.text,
        "status": question.status.value,
        "origin": question.origin.value,
        "bridge_id": question.bridge_id,
        "topic_id": question.topic_id,
        "speaker_id": question.speaker_id,
        "proposed_speaker_id": proposed_speaker(state, question),
        "votes": question.votes,
        "askers": [_asker(a) for a in question.askers()],
        "origins": [
            {"origin": origin.value, "bridge_id": bridge_id}
            for origin, bridge_id in question.origins()
        ],
        "merged_from": list(question.merged_from),
        "merged_into": question.merged_into,
        "rejection_reason": question.rejection_reason,
        "forwarding": (
            {
                "agency": forwarding.agency,
                "deadline": _day(forwarding.deadline),
                "note": forwarding.note,
            }
            if forwarding is not None
            else None
        ),
        "deferral_note": question.deferral_note,
        "submitted_at": _time(question.submitted_at),
        "approved_at": _time(question.approved_at),
        "floor_at": _time(question.floor_at),
        "closed_at": _time(question.closed_at),
        "answer": (
            {
                "speaker_id": answer.speaker_id,
                "started_at": _time(answer.started_at),
                "ended_at": _time(answer.ended_at),
                "summary": answer.summary,
                "revision": answer.revision,
                "commitments": [
                    {
                        "commitment_id": c.commitment_id,
                        "what": c.what,
                        "who": c.who,
                        "by_when": _day(c.by_when),
                    }
                    for c in answer.commitments
                ],
            }
            if answer is not None
            else None
        ),
    }


def full_state(state: State, dialogue_id: str) -> dict[str, Any]:
    """The whole dialogue for the control roles and integrations."""
    dialogue = state.dialogue
    floor = state.floor
    return {
        "dialogue": {
            "dialogue_id": dialogue_id,
            "title": dialogue.title,
            "theme": dialogue.theme,
            "host_body": dialogue.host_body,
            "parent_body": dialogue.parent_body,
            "place": dialogue.place,
            "starts_at": _time(dialogue.starts_at),
            "legal_basis": list(dialogue.legal_basis),
            "phase": dialogue.phase.value,
            "intake_deadline": _time(dialogue.intake_deadline),
        },
        "bridges": [
            {
                "bridge_id": b.bridge_id,
                "name": b.name,
                "kind": b.kind.value,
                "operator": b.operator,
                "capacity": b.capacity,
            }
            for b in state.bridges.values()
        ],
        "topics": [
            {"topic_id": t.topic_id, "name": t.name, "speaker_ids": list(t.speaker_ids)}
            for t in state.topics.values()
        ],
        "speakers": [
            {
                "speaker_id": s.speaker_id,
                "name": s.name,
                "position": s.position,
                "agency": s.agency,
                "topic_ids": list(s.topic_ids),
            }
            for s in state.speakers.values()
        ],
        "programme": [_programme_item(item) for item in state.programme],
        "current_item_id": state.current_item_id,
        "public_list_open": state.public_list_open,
        "queue": list(state.queue),
        "floor": {
            "holder": floor.holder,
            "question_id": floor.question_id,
            "speaker_id": floor.speaker_id,
            "since": _time(floor.since),
            "question_ends_at": _time(floor.question_ends_at),
            "answer_ends_at": _time(floor.answer_ends_at),
        },
        "floor_requests": [
            {
                "request_id": r.request_id,
                "bridge_id": r.bridge_id,
                "note": r.note,
                "requested_at": _time(r.requested_at),
                "status": r.status.value,
                "reason": r.reason,
            }
            for r in state.floor_requests.values()
        ],
        "questions": [_full_question(state, q) for q in state.questions.values()],
    }


# --- endpoints -----------------------------------------------------------------------------


@_json_errors
async def get_public_state(request: Request) -> Response:
    dialogue_id = request.path_params["dialogue_id"]
    hub = await _registry(request).get(dialogue_id)
    return JSONResponse({**public_state(hub.session.state, dialogue_id), **_position(hub)})


@_json_errors
async def issue_device(request: Request) -> Response:
    registry = _registry(request)
    _check_origin(request, registry)
    token = _bearer(request)
    if token is None:
        raise Unauthorised("request.unauthorised")
    gateway: Gateway = request.app.state.gateway
    ctx = await gateway.link_caller(token)
    assert ctx.link is not None
    if ctx.link.role is not Role.ATTENDEE:
        raise Forbidden("role.forbidden", role=ctx.link.role.value)
    if registry.access.read_device(request.cookies.get(DEVICE_COOKIE)) is not None:
        return JSONResponse({"ok": True, "issued": False})
    _device_id, cookie = registry.access.new_device()
    response = JSONResponse({"ok": True, "issued": True})
    response.set_cookie(
        DEVICE_COOKIE,
        cookie,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@_json_errors
async def post_question(request: Request) -> Response:
    ctx, actor, body = await _post(request)
    data: dict[str, Any] = {name: body[name] for name in SUBMIT_FIELDS if name in body}
    data["action"] = "submit_question"
    assert ctx.link is not None
    data["bridge_id"] = ctx.link.bridge_id or ""
    _GATEWAY[0] = request.app.state.gateway
    command = _GATEWAY[0].models.parse(data, actor)
    if not isinstance(command, SubmitQuestion):  # pragma: no cover - parse_action's contract
        raise InvalidInput("command.unknown")
    outcome = await _execute(ctx, actor, command)
    state = ctx.hub.session.state
    question_id = submitted_question_id(state, command)
    if question_id is None:  # pragma: no cover - the core records every accepted key
        raise InvalidInput("command.unknown")
    return JSONResponse(
        {
            "question_id": question_id,
            "status": state.questions[question_id].status.value,
            "epoch": outcome.epoch,
            "seq": outcome.seq,
        },
        status_code=201 if outcome.records else 200,
    )


@_json_errors
async def get_my_questions(request: Request) -> Response:
    ctx, actor = await _caller(request, roles=(Role.ATTENDEE, Role.BRIDGE_OPERATOR))
    state = ctx.hub.session.state
    visible = visible_questions(state, actor)
    if actor.role is Role.ATTENDEE:
        scope = actor.scope()
        mine = [q for q in visible if q.submitted_by == scope]
    else:
        mine = [q for q in visible if q.bridge_id == actor.bridge_id]
    return JSONResponse(
        {"questions": [_own_question(q) for q in mine], **_position(ctx.hub)}
    )


@_json_errors
async def post_vote(request: Request) -> Response:
    ctx, actor, body = await _post(request)
    _GATEWAY[0] = request.app.state.gateway
    wanted: dict[str, Any] = {k: body[k] for k in ("question_id", "command_id") if k in body}
    command = _GATEWAY[0].models.parse(dict(action="vote", **wanted), actor)
    if not isinstance(command, Vote):  # pragma: no cover - parse_action's contract
        raise InvalidInput("command.unknown")
    outcome = await _execute(ctx, actor, command)
    # a vote for a merged question counts for the question it joined
    voted = next(
        (r.event.question_id for r in outcome.records if isinstance(r.event, VoteCast)),
        command.question_id,
    )
    question = ctx.hub.session.state.questions.get(voted)
    return JSONResponse(
        {
            "ok": True,
            "question_id": voted,
            "votes": question.votes if question is not None else 0,
            "epoch": outcome.epoch,
            "seq": outcome.seq,
        },
        status_code=201,
    )


@_json_errors
async def post_command(request: Request) -> Response:
    ctx, _actor, body = await _post(request)
    done = await request.app.state.gateway.dispatch(ctx, body)
    command, outcome = done.command, done.outcome
    result: dict[str, Any] = {
        "ok": True,
        "epoch": outcome.epoch,
        "seq": outcome.seq,
        "events": [record.event.name for record in outcome.records],
    }
    if isinstance(command, SubmitQuestion):
        result["question_id"] = submitted_question_id(ctx.hub.session.state, command)
    return JSONResponse(result)


@_json_errors
async def get_full_state(request: Request) -> Response:
    registry = _registry(request)
    dialogue_id = request.path_params["dialogue_id"]
    if _bearer(request) is None and registry.access.is_organiser(
        request.cookies.get(ORGANISER_COOKIE)
    ):
        _check_origin(request, registry)
        hub = await registry.get(dialogue_id)
    else:
        ctx, _actor = await _caller(request, roles=CONTROL_ROLES)
        if ctx.claim is None or ctx.claim.dialogue_id != dialogue_id:
            raise Forbidden("request.other_dialogue")
        hub = ctx.hub
    return JSONResponse({**full_state(hub.session.state, dialogue_id), **_position(hub)})


# --- the OpenAPI document --------------------------------------------------------------------


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], optional: Iterable[str] = ()) -> dict[str, Any]:
    """A response object: these properties, all required unless optional,
    nothing else."""
    skip = set(optional)
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in skip],
        "additionalProperties": False,
    }


def _enum(values: Iterable[enum.Enum]) -> dict[str, Any]:
    return {"type": "string", "enum": [v.value for v in values]}

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_DATE: dict[str, Any] = {"type": ["string", "null"], "format": "date"}
_STRS: dict[str, Any] = {"type": "array", "items": _STR}
_INTS: dict[str, Any] = {"type": "array", "items": _INT}
_POSITION: dict[str, Any] = {
    "epoch": {"type": "string", "description": "Changes whenever history may have been lost."},
    "seq": {"type": "integer", "description": "Sequence number of the last event applied."},
}


def _schemas() -> dict[str, Any]:
    status = _enum(QuestionStatus)
    asker = _object({"name": _STR, "unit": _STR, "age_group": _STR, "public": _BOOL})
    return {
        "Error": {
            **_object(
                {
                    "error": {"type": "string", "description": "A stable code "
                              "(role.forbidden, input.too_long, …)."},
                    "message": _object({"vi": _STR, "en": _STR}),
                }
            ),
            "description": "Every refusal: a code and the message in Vietnamese and English.",
        },
        "BridgeRef": _object({"bridge_id": _STR, "name": _STR}),
        "TopicRef": _object({"topic_id": _STR, "name": _STR}),
        "SpeakerRef": _object({"speaker_id": _STR, "name": _STR, "position": _STR, "agency": _STR}),
        "ProgrammeItem": _object(
            {"item_id": _STR, "title": _STR, "kind": _enum(ProgrammeKind),
             "planned_minutes": _INT}
        ),
        "PublicAsker": {
            **_object({"name": _STR, "unit": _STR}),
            "description": "An asker who agreed to be named (nobody else is ever listed).",
        },
        "PublicQuestion": _object(
            {
                "question_id": _INT,
                "text": {"type": "string", "description": "Plain text, not HTML: escape it."},
                "status": status,
                "bridge": _ref("BridgeRef"),
                "topic": _nullable(_ref("TopicRef")),
                "votes": _INT,
                "askers": {"type": "array", "items": _ref("PublicAsker")},
            }
        ),
        "PublicState": _object(
            {
                "dialogue": _object(
                    {
                        "dialogue_id": _STR,
                        "title": _STR,
                        "theme": _STR,
                        "host_body": _STR,
                        "place": _STR,
                        "starts_at": _TIME,
                        "phase": _enum(Phase),
                        "intake_deadline": _TIME,
                    }
                ),
                "programme": {"type": "array", "items": _ref("ProgrammeItem")},
                "current_item": _nullable(_ref("ProgrammeItem")),
                "floor": _object(
                    {
                        "holder": _nullable(_ref("BridgeRef")),
                        "since": _TIME,
                        "question": _nullable(_ref("PublicQuestion")),
                        "speaker": _nullable(_ref("SpeakerRef")),
                        "question_ends_at": _TIME,
                        "answer_ends_at": _TIME,
                    }
                ),
                "public_list_open": _BOOL,
                "queue": {
                    "type": "array",
                    "items": _ref("PublicQuestion"),
                    "description": "The approved queue in running order; empty while the "
                    "moderator keeps the public list closed.",
                },
                **_POSITION,
            }
        ),
        "DeviceIssued": _object({"ok": {"const": True}, "issued": _BOOL}),
        "SubmitQuestion": {
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "1 to QUESTION_MAX_CHARS "
                         "(default 1000) characters after normalisation."},
                "idempotency_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                                    "description": "Made by the client; a retry with the "
                                    "same key answers 200 with the same question."},
                "topic_id": {"type": ["string", "null"]},
                "asker_name": _STR,
                "asker_unit": _STR,
                "asker_age_group": _STR,
                "asker_public": {"type": "boolean",
                                 "description": "Consent to be named in public."},
            },
            "required": ["text", "idempotency_key"],
            "description": "Any other member (a bridge_id, an origin) is ignored: "
            "the bridge point comes from the link.",
        },
        "QuestionAccepted": _object({"question_id": _INT, "status": status, **_POSITION}),
        "OwnQuestion": _object(
            {
                "question_id": _INT,
                "text": _STR,
                "status": status,
                "bridge_id": _STR,
                "topic_id": {"type": ["string", "null"]},
                "votes": _INT,
                "submitted_at": _TIME,
                "asker": asker,
                "rejection_reason": _STR,
                "merged_into": {"type": ["integer", "null"]},
                "forwarding": _nullable(_object({"agency": _STR, "deadline": _DATE})),
                "deferral_note": _STR,
            }
        ),
        "OwnQuestions": _object(
            {"questions": {"type": "array", "items": _ref("OwnQuestion")}, **_POSITION}
        ),
        "Vote": {
            "type": "object",
            "properties": {"question_id": _INT},
            "required": ["question_id"],
        },
        "VoteCast": _object(
            {"ok": {"const": True}, "question_id": _INT, "votes": _INT, **_POSITION}
        ),
        "Command": {
            "type": "object",
            "properties": {"action": {"type": "string", "enum": sorted(ACTIONS)}},
            "required": ["action"],
            "additionalProperties": True,
            "description": "The command's fields by name (question_id, reason, bridge_id, "
            "seconds, …). The actor comes from the token; the core decides whether "
            "that role may issue the command. An optional command_id (8-64 of A-Z a-z "
            "0-9 _ -) makes a retry safe: the same command_id again, from the same "
            "token, answers 200 without recording anything twice. record_answer_summary "
            "takes base_revision, the answer's revision the text was based on: a save "
            "that would overwrite a newer summary with text that drops it is refused "
            "(409 summary.stale).",
        },
        "CommandDone": _object(
            {
                "ok": {"const": True},
                **_POSITION,
                "events": {**_STRS, "description": "Names of the events recorded "
                           "(none for a repeated submission)."},
                "question_id": {"type": ["integer", "null"],
                                "description": "Only for submit_question."},
            },
            optional=("question_id",),
        ),
        "FullQuestion": _object(
            {
                "question_id": _INT,
                "text": _STR,
                "status": status,
                "origin": _enum(Origin),
                "bridge_id": _STR,
                "topic_id": {"type": ["string", "null"]},
                "speaker_id": {"type": ["string", "null"]},
                "proposed_speaker_id": {"type": ["string", "null"]},
                "votes": _INT,
                "askers": {"type": "array", "items": asker},
                "origins": {
                    "type": "array",
                    "items": _object({"origin": _enum(Origin), "bridge_id": _STR}),
                },
                "merged_from": _INTS,
                "merged_into": {"type": ["integer", "null"]},
                "rejection_reason": _STR,
                "forwarding": _nullable(
                    _object({"agency": _STR, "deadline": _DATE, "note": _STR})
                ),
                "deferral_note": _STR,
                "submitted_at": _TIME,
                "approved_at": _TIME,
                "floor_at": _TIME,
                "closed_at": _TIME,
                "answer": _nullable(
                    _object(
                        {
                            "speaker_id": {"type": ["string", "null"]},
                            "started_at": _TIME,
                            "ended_at": _TIME,
                            "summary": _STR,
                            "revision": {"type": "integer", "description": "Saves of the "
                                         "summary so far: record_answer_summary's "
                                         "base_revision."},
                            "commitments": {
                                "type": "array",
                                "items": _object(
                                    {"commitment_id": _INT, "what": _STR, "who": _STR,
                                     "by_when": _DATE}
                                ),
                            },
                        }
                    )
                ),
            }
        ),
        "FullState": _object(
            {
                "dialogue": _object(
                    {
                        "dialogue_id": _STR,
                        "title": _STR,
                        "theme": _STR,
                        "host_body": _STR,
                        "parent_body": _STR,
                        "place": _STR,
                        "starts_at": _TIME,
                        "legal_basis": _STRS,
                        "phase": _enum(Phase),
                        "intake_deadline": _TIME,
                    }
                ),
                "bridges": {
                    "type": "array",
                    "items": _object(
                        {"bridge_id": _STR, "name": _STR, "kind": _enum(BridgeKind),
                         "operator": _STR, "capacity": _INT}
                    ),
                },
                "topics": {
                    "type": "array",
                    "items": _object({"topic_id": _STR, "name": _STR, "speaker_ids": _STRS}),
                },
                "speakers": {
                    "type": "array",
                    "items": _object(
                        {"speaker_id": _STR, "name": _STR, "position": _STR, "agency": _STR,
                         "topic_ids": _STRS}
                    ),
                },
                "programme": {"type": "array", "items": _ref("ProgrammeItem")},
                "current_item_id": {"type": ["string", "null"]},
                "public_list_open": _BOOL,
                "queue": {**_INTS, "description": "Approved question ids in running order."},
                "floor": _object(
                    {
                        "holder": {"type": ["string", "null"]},
                        "question_id": {"type": ["integer", "null"]},
                        "speaker_id": {"type": ["string", "null"]},
                        "since": _TIME,
                        "question_ends_at": _TIME,
                        "answer_ends_at": _TIME,
                    }
                ),
                "floor_requests": {
                    "type": "array",
                    "items": _object(
                        {
                            "request_id": _INT,
                            "bridge_id": _STR,
                            "note": _STR,
                            "requested_at": _TIME,
                            "status": _enum(FloorRequestStatus),
                            "reason": _STR,
                        }
                    ),
                },
                "questions": {"type": "array", "items": _ref("FullQuestion")},
                **_POSITION,
            }
        ),
    }


_REFUSALS: dict[str, str] = {
    "400": "Invalid input or malformed JSON (request.bad_json).",
    "401": "No role token (request.unauthorised).",
    "403": "Invalid or revoked link, missing device cookie, another site's Origin, "
    "or a role that may not do this.",
    "404": "Unknown dialogue, question, bridge point…",
    "409": "The question, floor or phase forbids it now.",
    "413": "Request body over 64 KiB (request.too_large).",
    "415": "A POST that is not application/json (request.content_type).",
    "422": "A body that breaks the command's model (input.schema.*), before the core.",
    "429": "Too many submissions; see Retry-After (rate.limited).",
    "503": "The event log cannot be written right now.",
}


def _responses(success: str, schema: str, description: str, *refusals: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        success: {
            "description": description,
            "content": {JSON_TYPE: {"schema": _ref(schema)}},
        }
    }
    for code in refusals:
        responses[code] = {"$ref": f"#/components/responses/Refused{code}"}
    return responses


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON_TYPE: {"schema": _ref(schema)}}}


_DIALOGUE_PARAM: dict[str, Any] = {
    "name": "dialogue_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
}
_ROLE_TOKEN: list[dict[str, list[str]]] = [{"roleToken": []}]
_PHONE_OR_ROLE: list[dict[str, list[str]]] = [
    {"roleToken": [], "deviceCookie": []},
    {"roleToken": []},
]
_POST_REFUSALS = ("400", "401", "403", "404", "409", "413", "415", "422", "429", "503")


@dataclass(frozen=True)
class Endpoint:
    """One API route and its OpenAPI operation, declared together."""

    path: str
    method: str
    handler: Handler
    operation: dict[str, Any]


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        f"{API_PREFIX}/dialogues/{{dialogue_id}}/public",
        "GET",
        get_public_state,
        {
            "operationId": "getPublicState",
            "summary": "The public state of a dialogue (no authentication).",
            "description": "Dialogue, programme, the floor and, while the moderator has the "
            "public list open, the approved queue. Askers appear only with their consent; "
            "device ids and submitters never do.",
            "security": [],
            "parameters": [_DIALOGUE_PARAM],
            "responses": _responses("200", "PublicState", "The public state.", "400", "404"),
        },
    ),
    Endpoint(
        f"{API_PREFIX}/device",
        "GET",
        issue_device,
        {
            "operationId": "issueDevice",
            "summary": "Issue this client a device cookie (attendee token only).",
            "description": f"Sets the `{DEVICE_COOKIE}` cookie unless the client already "
            "has a valid one: the identity of a phone for submissions and votes.",
            "security": _ROLE_TOKEN,
            "responses": _responses("200", "DeviceIssued", "The device cookie is set.",
                                    "401", "403", "404"),
        },
    ),
    Endpoint(
        f"{API_PREFIX}/questions",
        "POST",
        post_question,
        {
            "operationId": "submitQuestion",
            "summary": "Submit a question (attendee with device cookie, or bridge operator).",
            "description": "The bridge point comes from the link. A retry with the same "
            "idempotency_key answers 200 with the same question_id.",
            "security": _PHONE_OR_ROLE,
            "requestBody": _body("SubmitQuestion"),
            "responses": {
                **_responses("201", "QuestionAccepted", "The question was recorded.",
                             *_POST_REFUSALS),
                "200": {
                    "description": "A retry: the question this key already made.",
                    "content": {JSON_TYPE: {"schema": _ref("QuestionAccepted")}},
                },
            },
        },
    ),
    Endpoint(
        f"{API_PREFIX}/questions/mine",
        "GET",
        get_my_questions,
        {
            "operationId": "getMyQuestions",
            "summary": "This device's questions (attendee) or this bridge point's (operator).",
            "security": _PHONE_OR_ROLE,
            "responses": _responses("200", "OwnQuestions", "The questions with their status.",
                                    "401", "403", "404"),
        },
    ),
    Endpoint(
        f"{API_PREFIX}/votes",
        "POST",
        post_vote,
        {
            "operationId": "vote",
            "summary": "Vote for a question on the public list (attendee).",
            "security": _PHONE_OR_ROLE,
            "requestBody": _body("Vote"),
            "responses": _responses("201", "VoteCast", "The vote was counted.",
                                    *_POST_REFUSALS),
        },
    ),
    Endpoint(
        f"{API_PREFIX}/commands",
        "POST",
        post_command,
        {
            "operationId": "runCommand",
            "summary": "Run any command as the token's role.",
            "description": "The body names the command in snake case (`approve_question`, "
            "`give_floor`, `request_floor`, …) with its fields. The core decides whether "
            "the role may issue it (403 role.forbidden, role.other_bridge).",
            "security": _PHONE_OR_ROLE,
            "requestBody": _body("Command"),
            "responses": _responses("200", "CommandDone", "The command was recorded.",
                                    *_POST_REFUSALS),
        },
    ),
    Endpoint(
        f"{API_PREFIX}/dialogues/{{dialogue_id}}/state",
        "GET",
        get_full_state,
        {
            "operationId": "getFullState",
            "summary": "The full state with every question (moderator, secretary, organiser).",
            "security": [{"roleToken": []}, {"organiserCookie": []}],
            "parameters": [_DIALOGUE_PARAM],
            "responses": _responses("200", "FullState", "The full state.",
                                    "400", "401", "403", "404"),
        },
    ),
)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of :data:`ENDPOINTS`."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = endpoint.operation
    refusals = {
        f"Refused{code}": {
            "description": text,
            "content": {JSON_TYPE: {"schema": _ref("Error")}},
            **(
                {"headers": {"Retry-After": {"description": "Seconds to wait.",
                                             "schema": _INT}}}
                if code == "429"
                else {}
            ),
        }
        for code, text in _REFUSALS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Session server API",
            "version": "1",
            "description": "The JSON API of the live dialogue session server. Same rules and "
            "errors as the screens. POST bodies must be application/json. Messages come in "
            "Vietnamese and English.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": refusals,
            "securitySchemes": {
                "roleToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The signed token of a role link (/s/{token}, /j/{token}).",
                },
                "deviceCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": DEVICE_COOKIE,
                    "description": "A phone's device id, with an attendee token only.",
                },
                "organiserCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": ORGANISER_COOKIE,
                    "description": "The organiser's signed-in session (read-only here).",
                },
            },
        },
        "security": _ROLE_TOKEN,
    }


_DOCUMENT = json.dumps(openapi_document(), ensure_ascii=False).encode("utf-8")


async def openapi_json(request: Request) -> Response:
    return Response(_DOCUMENT, media_type=JSON_TYPE)


routes: list[BaseRoute] = [
    *(
        Route(e.path, e.handler, methods=[e.method], name=e.operation["operationId"])
        for e in ENDPOINTS
    ),
    Route("/openapi.json", openapi_json, name="openapi"),
]
