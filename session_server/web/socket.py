"""The one WebSocket of every live screen: ``/ws/{token}``.

On connect: the origin, the link and (for phones) the device cookie are
checked before the socket is accepted. The client's first message is
``{"type": "hello", "epoch": …, "seq": …}``, its position; the hub sends
what it lacks. Every later message is an action, checked again against the
link (a link revoked meanwhile closes the socket) and then by the core.
Refusals come back to that socket alone, in the screen's language.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from session_server.core.commands import RecordAnswerSummary, SubmitQuestion
from session_server.core.errors import (
    Forbidden,
    InvalidInput,
    RateLimited,
    SessionError,
    StaleSequence,
    Unavailable,
)
from session_server.core.model import Actor, Role
from session_server.core.views import submitted_question_id
from session_server.web.access import DEVICE_COOKIE
from session_server.web.actions import parse_action
from session_server.web.errors import ws_close_code
from session_server.web.hub import Connection, Hub
from session_server.web.registry import Registry
from session_server.web.render import Audience, View
from session_server.web.screens import check_origin, execute_limited, resolve

__all__ = ["live_socket"]

logger = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024
PONG = json.dumps({"type": "pong"})


async def live_socket(websocket: WebSocket) -> None:
    registry: Registry = websocket.app.state.registry
    token = websocket.path_params["token"]
    lang = websocket.query_params.get("lang") or websocket.cookies.get("lang") or "vi"
    lang = lang if lang in ("vi", "en") else "vi"
    try:
        scheme = "https" if websocket.url.scheme == "wss" else "http"
        check_origin(registry, websocket.headers, websocket.headers.get("host"), scheme)
        ctx = await resolve(registry, token)
        device = None
        if ctx.link.role is Role.ATTENDEE:
            device = registry.access.read_device(websocket.cookies.get(DEVICE_COOKIE))
            if device is None:
                raise Forbidden("role.device_missing")
        actor = ctx.link.actor(device)
    except SessionError as error:
        await websocket.close(ws_close_code(error), reason=error.code)
        return
    await websocket.accept()
    hub = ctx.hub
    conn = Connection(websocket, Audience.of(actor, lang), device, ctx.link.link_id)
    hub.attach(conn)
    try:
        while websocket.application_state is WebSocketState.CONNECTED:
            try:
                text = await websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                break  # gone, or closed by the hub meanwhile (a revoked link)
            if websocket.application_state is not WebSocketState.CONNECTED:
                break
            if not await _handle(registry, hub, ctx.claim, conn, actor, text):
                break
    finally:
        hub.detach(conn)
        if conn.writer is not None:
            conn.writer.cancel()


async def _media(hub: Hub, conn: Connection, actor: Actor, data: dict[str, Any]) -> None:
    """WebRTC signaling: an offer in, the answer (or the refusal) back as
    JSON to this socket alone."""
    try:
        if hub.media is None:
            raise InvalidInput("media.off")
        reply = await hub.media.signal(actor, conn.link_id, data)
    except SessionError as error:
        reply = {"type": "media", "op": "error", "code": error.code, **error.messages()}
    hub.reply(conn, json.dumps(reply))


def _key(data: dict[str, Any]) -> str | None:
    """The key the client's outbox knows this message by."""
    for name in ("command_id", "idempotency_key"):
        value = data.get(name)
        if isinstance(value, str) and value:
            return value[:64]
    return None


def _retryable(error: SessionError) -> bool:
    """Whether the same message may succeed later unchanged (the client's
    outbox keeps it and sends it again by itself)."""
    return isinstance(error, (Unavailable, RateLimited, StaleSequence))


async def _handle(
    registry: Registry, hub: Hub, claim: Any, conn: Connection, actor: Actor, text: str
) -> bool:
    """Handle one message; ``False`` closes the socket."""
    key: str | None = None
    try:
        if len(text) > MAX_MESSAGE:
            raise InvalidInput("input.too_long", field="message", limit=MAX_MESSAGE,
                               length=len(text))
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidInput("command.unknown") from None
        if not isinstance(data, dict):
            raise InvalidInput("command.unknown")
        registry.socket_limit.hit(f"{id(conn)}", registry.clock())
        kind = data.get("type")
        if kind == "hello":
            epoch = data.get("epoch")
            seq = data.get("seq")
            hub.resume(conn, epoch if isinstance(epoch, str) else None,
                       seq if isinstance(seq, int) and not isinstance(seq, bool) else None)
            return True
        if kind == "ping":  # the client's heartbeat: a reply that claims no position
            hub.reply(conn, PONG)
            return True
        registry.access.active_link(hub.session.state, claim)
        if kind == "media":
            await _media(hub, conn, actor, data)
            return True
        key = _key(data)
        data.pop("HEADERS", None)
        command = parse_action(data, actor)
        execute_limited(registry, hub, actor, command)
        await hub.execute(command)
    except SessionError as error:
        extra = _stale_summary(hub, data, error) if key is not None else {}
        for message in _refusal_messages(registry, error, key, extra):
            hub.reply(conn, message)
        if isinstance(error, Forbidden) and error.code in ("link.revoked", "link.invalid"):
            if conn.websocket.application_state is WebSocketState.CONNECTED:
                await conn.websocket.close(1008, reason=error.code)
            return False
        return True
    view = View(hub.session.state, conn.audience, conn.device_id)
    flash = registry.renderer.flash(view.t("flash.done"), kind="ok")
    ack: dict[str, Any] = {"type": "ack", "key": key}
    if isinstance(command, SubmitQuestion):
        number = submitted_question_id(hub.session.state, command)
        flash = registry.renderer.flash(view.t("flash.submitted", number=number), kind="ok")
        ack["question_id"] = number
    elif isinstance(command, RecordAnswerSummary):
        record = hub.session.state.answers.get(command.question_id)
        ack["revision"] = record.revision if record is not None else 0
    hub.reply(conn, flash)
    if key is not None:
        hub.reply(conn, json.dumps(ack))  # the client's outbox forgets the message
    return True


def _refusal_messages(registry: Registry, error: SessionError, key: str | None,
                      extra: dict[str, Any]) -> list[str]:
    """A refusal for one socket: the bilingual message on the screen and, for
    a message the client's outbox keeps, whether to send it again."""
    messages = [registry.renderer.refusal(error.messages())]
    if key is not None:
        messages.append(json.dumps({
            "type": "refused", "key": key, "code": error.code, "retry": _retryable(error),
            "seconds": error.params.get("seconds"), **error.messages(), **extra,
        }))
    return messages


def _stale_summary(hub: Hub, data: dict[str, Any], error: SessionError) -> dict[str, Any]:
    """For a summary saved over someone else's: the text stored now and its
    revision, so the secretary can choose (static/js/editor.js)."""
    if error.code != "summary.stale":
        return {}
    record = hub.session.state.answers.get(_int(data.get("question_id")))
    if record is None:
        return {}
    return {"current": record.summary, "revision": record.revision}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
