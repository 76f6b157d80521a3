"""The JSON API beside the screens: ``/api/v1/…``.

A thin transport over the command gateway (``web/gateway.py``): it says who
is calling and hands the message over; the gateway parses it by its model
(a message that breaks it is refused with 422 before the core sees it),
checks the role and the rate limit, and the core decides. Answers are the
models of ``transport/api_models.py``, encoded with ``msgspec.json``.

A caller proves its role with the signed token of its role link in
``Authorization: Bearer <token>`` (the token of the ``/s/{token}`` and
``/j/{token}`` links); a phone also shows its device cookie, issued by the
phone page or by ``GET /api/v1/device``. No state change is accepted on a
cookie alone, and every ``POST`` must be ``Content-Type: application/json``
(a cross-site HTML form cannot send that) with a body of at most
:data:`MAX_BODY` bytes. Every POST takes a ``command_id``: the same call
sent again after its answer was lost is answered as success, once.

Nothing here catches a refusal: a
:class:`~session_server.core.errors.SessionError` raised anywhere becomes the
JSON ``{"error": code, "message": {"vi": …, "en": …}}`` with its status
(``web/errors.py``); the Origin check and the security headers (``no-store``
included) are the middleware's (``web/middleware.py``). The OpenAPI document
(``transport/openapi.py``) is built from :data:`ENDPOINTS`, the table the
routes are made of, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from session_server.core import events
from session_server.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorised,
    UnsupportedMediaType,
)
from session_server.core.model import Actor, Phase, Role, State
from session_server.web.access import DEVICE_COOKIE, ORGANISER_COOKIE, LinkClaim
from session_server.web.gateway import Gateway, LinkCaller
from session_server.web.live.hub import Hub
from session_server.web.registry import Registry
from session_server.web.transport.api_models import (
    CommandDone,
    DeviceIssued,
    FullState,
    OwnQuestions,
    PublicState,
    QuestionAccepted,
    VoteCast,
)
from session_server.web.transport.api_views import full_state, own_questions, public_state

__all__ = [
    "API_PREFIX",
    "ENDPOINTS",
    "JSON_TYPE",
    "MAX_BODY",
    "POST_REFUSALS",
    "Answer",
    "Body",
    "Endpoint",
    "routes",
]

API_PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
"""Largest request body accepted, in bytes."""
JSON_TYPE = "application/json"
DEVICE_MAX_AGE = 365 * 24 * 3600
CONTROL_ROLES = frozenset({Role.MODERATOR, Role.SECRETARY})
"""Roles whose token may read the full state of their dialogue."""
AUTHORS = frozenset({Role.ATTENDEE, Role.BRIDGE_OPERATOR})
"""Roles that follow their own questions."""


# --- who is calling ---------------------------------------------------------------------


def _registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def _token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _bearer(request: Request) -> str:
    token = _token(request)
    if token is None:
        raise Unauthorised("request.unauthorised")
    return token


def _device(request: Request) -> str | None:
    return _registry(request).access.read_device(request.cookies.get(DEVICE_COOKIE))


async def _caller(request: Request) -> LinkCaller:
    """The caller a state change comes from: its role link and, for a phone,
    its device cookie."""
    gateway: Gateway = request.app.state.gateway
    device = _device(request)
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(
        _bearer(request),
        device,
        address,
        page_device=_registry(request).access.page_device(request.cookies.get(DEVICE_COOKIE)),
    )
    if caller.actor.role is Role.ATTENDEE and device is None:
        raise Forbidden("role.device_missing")
    return caller


@dataclass(frozen=True)
class _Reader:
    """A reader of the API: the link of its Bearer token and the actor it makes."""

    hub: Hub
    claim: LinkClaim
    actor: Actor


async def _reader(request: Request, roles: Iterable[Role]) -> _Reader:
    """The verified link of the Bearer token, for an endpoint that serves
    ``roles`` only; a phone must also show its device cookie."""
    registry = _registry(request)
    claim = registry.access.read_link(_bearer(request))
    hub = await registry.get(claim.dialogue_id)
    link = registry.access.active_link(hub.session.state, claim)
    if link.role not in set(roles):
        raise Forbidden("role.forbidden", role=link.role.value)
    device = _device(request)
    if link.role is Role.ATTENDEE and device is None:
        raise Forbidden("role.device_missing")
    return _Reader(hub, claim, link.actor(device))


# --- what a POST says ---------------------------------------------------------------------


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


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput("request.bad_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("request.json_object")
    return data


async def _post(request: Request) -> tuple[LinkCaller, dict[str, Any]]:
    """A state change: JSON only, a role token, a bounded body."""
    _require_json(request)
    caller = await _caller(request)
    return caller, _decode(await _read_body(request))


def _message(action: str, body: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The command an endpoint makes of its body: only the members it reads."""
    return {"action": action, **{name: body[name] for name in fields if name in body}}


def encoded(model: msgspec.Struct, status: int = 200) -> Response:
    return Response(msgspec.json.encode(model), status_code=status, media_type=JSON_TYPE)


# --- endpoints ------------------------------------------------------------------------------

SUBMIT_FIELDS = (
    "text",
    "idempotency_key",
    "topic_id",
    "asker_name",
    "asker_unit",
    "asker_age_group",
    "asker_public",
    "command_id",
)
"""What a ``POST /questions`` body may say; the bridge point and the origin
come from the link, never from the body."""
VOTE_FIELDS = ("question_id", "command_id")


async def get_public_state(request: Request) -> Response:
    dialogue_id = request.path_params["dialogue_id"]
    session = (await _registry(request).get(dialogue_id)).session
    if not session.state.created or session.state.dialogue.phase is Phase.DRAFT:
        raise NotFound("dialogue.not_found")  # a draft is nobody's business yet
    return encoded(public_state(session.state, dialogue_id, epoch=session.epoch, seq=session.seq))


async def issue_device(request: Request) -> Response:
    """A device cookie for an API client with an attendee token."""
    registry = _registry(request)
    claim = registry.access.read_link(_bearer(request))
    hub = await registry.get(claim.dialogue_id)
    link = registry.access.active_link(hub.session.state, claim)
    if link.role is not Role.ATTENDEE:
        raise Forbidden("role.forbidden", role=link.role.value)
    if _device(request) is not None:
        return encoded(DeviceIssued(ok=True, issued=False))
    address = request.client.host if request.client else ""
    registry.limits.new_device(hub.session.state, link.bridge_id, address, registry.clock())
    _device_id, cookie = registry.access.new_device(page=False)  # it cannot vote
    response = encoded(DeviceIssued(ok=True, issued=True))
    response.set_cookie(
        DEVICE_COOKIE,
        cookie,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def post_question(request: Request) -> Response:
    caller, body = await _post(request)
    gateway: Gateway = request.app.state.gateway
    done = await gateway.dispatch(caller, _message("submit_question", body, SUBMIT_FIELDS))
    question_id: int = done.ack()["question_id"]
    outcome = done.outcome
    return encoded(
        QuestionAccepted(
            question_id=question_id,
            status=caller.hub.session.state.questions[question_id].status,
            epoch=outcome.epoch,
            seq=outcome.seq,
        ),
        status=201 if outcome.records else 200,
    )


async def get_my_questions(request: Request) -> Response:
    reader = await _reader(request, AUTHORS)
    session = reader.hub.session
    return encoded(own_questions(session.state, reader.actor, epoch=session.epoch, seq=session.seq))


def _counted_for(state: State, question_id: int) -> int:
    """The question a vote for ``question_id`` counts for: the one it was
    merged into, if it was."""
    seen = {question_id}
    question = state.questions.get(question_id)
    while question is not None and question.merged_into is not None:
        if question.merged_into in seen:
            break
        seen.add(question.merged_into)
        question = state.questions.get(question.merged_into)
    return question.question_id if question is not None else question_id


async def post_vote(request: Request) -> Response:
    caller, body = await _post(request)
    gateway: Gateway = request.app.state.gateway
    done = await gateway.dispatch(caller, _message("vote", body, VOTE_FIELDS))
    outcome = done.outcome
    state = caller.hub.session.state
    cast = [r.event.question_id for r in outcome.records if isinstance(r.event, events.VoteCast)]
    voted = cast[0] if cast else _counted_for(state, body["question_id"])
    question = state.questions.get(voted)
    return encoded(
        VoteCast(
            ok=True,
            question_id=voted,
            votes=question.votes if question else 0,
            epoch=outcome.epoch,
            seq=outcome.seq,
        ),
        status=201 if outcome.records else 200,
    )


async def post_command(request: Request) -> Response:
    caller, body = await _post(request)
    gateway: Gateway = request.app.state.gateway
    done = await gateway.dispatch(caller, body)
    ack, outcome = done.ack(), done.outcome
    return encoded(
        CommandDone(
            ok=True,
            epoch=outcome.epoch,
            seq=outcome.seq,
            events=[record.event.name for record in outcome.records],
            question_id=ack.get("question_id", msgspec.UNSET),
            revision=ack.get("revision", msgspec.UNSET),
        )
    )


async def get_full_state(request: Request) -> Response:
    registry = _registry(request)
    dialogue_id = request.path_params["dialogue_id"]
    if _token(request) is None and await registry.sessions.check(
        request.cookies.get(ORGANISER_COOKIE)
    ):
        hub = await registry.get(dialogue_id)
    else:
        reader = await _reader(request, CONTROL_ROLES)
        if reader.claim.dialogue_id != dialogue_id:
            raise Forbidden("request.other_dialogue")
        hub = reader.hub
    session = hub.session
    return encoded(full_state(session.state, dialogue_id, epoch=session.epoch, seq=session.seq))


# --- the table of routes and their descriptions --------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Answer:
    """A success an endpoint may answer: its status, model and meaning."""

    status: int
    model: type[msgspec.Struct]
    description: str


@dataclass(frozen=True)
class Body:
    """What a POST reads: the members ``fields`` of the command ``action``
    (every command, named by its ``action`` member, when ``action`` is None)."""

    name: str
    """The request body's name in the OpenAPI document."""
    action: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """One API route and its OpenAPI operation, declared together."""

    path: str
    method: str
    handler: Handler
    operation_id: str
    summary: str
    answers: tuple[Answer, ...]
    refusals: tuple[int, ...]
    security: tuple[tuple[str, ...], ...] = (("roleToken",),)
    """Ways to authenticate (each a set of schemes used together); () for none."""
    description: str = ""
    body: Body | None = None


POST_REFUSALS = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
PHONE_OR_ROLE = (("roleToken", "deviceCookie"), ("roleToken",))

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        f"{API_PREFIX}/dialogues/{{dialogue_id}}/public",
        "GET",
        get_public_state,
        "getPublicState",
        "The public state of a dialogue (no authentication).",
        (Answer(200, PublicState, "The public state."),),
        (400, 404, 503),
        security=(),
        description="Dialogue, programme, the floor and, while the moderator has the public "
        "list open, the approved queue. Askers appear only with their consent; device ids "
        "and submitters never do.",
    ),
    Endpoint(
        f"{API_PREFIX}/device",
        "GET",
        issue_device,
        "issueDevice",
        "Issue this client a device cookie (attendee token only).",
        (Answer(200, DeviceIssued, "The device cookie is set (or was valid already)."),),
        (401, 403, 404),
        description=f"Sets the `{DEVICE_COOKIE}` cookie unless the client already has a valid "
        "one: the identity of a phone for submissions and votes.",
    ),
    Endpoint(
        f"{API_PREFIX}/questions",
        "POST",
        post_question,
        "submitQuestion",
        "Submit a question (attendee with device cookie, or bridge operator).",
        (
            Answer(201, QuestionAccepted, "The question was recorded."),
            Answer(
                200,
                QuestionAccepted,
                "A retry: the question this idempotency_key (or command_id) already made.",
            ),
        ),
        POST_REFUSALS,
        security=PHONE_OR_ROLE,
        description="The bridge point and the origin come from the link: any other member "
        "of the body is ignored. A retry with the same idempotency_key answers 200 with the "
        "same question_id.",
        body=Body("QuestionSubmission", "submit_question", SUBMIT_FIELDS),
    ),
    Endpoint(
        f"{API_PREFIX}/questions/mine",
        "GET",
        get_my_questions,
        "getMyQuestions",
        "This device's questions (attendee) or this bridge point's (operator).",
        (Answer(200, OwnQuestions, "The questions with their status."),),
        (401, 403, 404),
        security=PHONE_OR_ROLE,
    ),
    Endpoint(
        f"{API_PREFIX}/votes",
        "POST",
        post_vote,
        "vote",
        "Vote for a question on the public list (attendee).",
        (
            Answer(201, VoteCast, "The vote was counted."),
            Answer(
                200,
                VoteCast,
                "A retry with the same command_id: the vote counted the first time, not again.",
            ),
        ),
        POST_REFUSALS,
        security=PHONE_OR_ROLE,
        description="Another vote for the same question without the first one's command_id "
        "is refused (409 vote.already).",
        body=Body("Vote", "vote", VOTE_FIELDS),
    ),
    Endpoint(
        f"{API_PREFIX}/commands",
        "POST",
        post_command,
        "runCommand",
        "Run any command as the token's role.",
        (Answer(200, CommandDone, "The command was recorded (or had been: a repeat)."),),
        POST_REFUSALS,
        security=PHONE_OR_ROLE,
        description="The body names the command in snake case (`approve_question`, "
        "`give_floor`, `request_floor`, …) in `action`, with its fields. The actor comes "
        "from the token; the core decides whether that role may issue the command (403 "
        "role.forbidden, role.other_bridge). A phone's bridge point is its link's; a bridge "
        "operator's defaults to its own. An optional command_id makes a retry safe: the "
        "same command_id again, from the same token, answers 200 without recording anything "
        "twice. record_answer_summary takes base_revision, the answer's revision the text "
        "was based on: a save that would overwrite a newer summary with text that drops it "
        "is refused (409 summary.stale).",
        body=Body("Command"),
    ),
    Endpoint(
        f"{API_PREFIX}/dialogues/{{dialogue_id}}/state",
        "GET",
        get_full_state,
        "getFullState",
        "The full state with every question (moderator, secretary, organiser).",
        (Answer(200, FullState, "The full state."),),
        (400, 401, 403, 404, 503),
        security=(("roleToken",), ("organiserCookie",)),
    ),
)

routes: list[BaseRoute] = [
    Route(e.path, e.handler, methods=[e.method], name=e.operation_id) for e in ENDPOINTS
]
