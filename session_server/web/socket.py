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

from markupsafe import Markup
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from session_server.core.commands import SubmitQuestion
from session_server.core.errors import Forbidden, InvalidInput, SessionError
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


async def _handle(
    registry: Registry, hub: Hub, claim: Any, conn: Connection, actor: Actor, text: str
) -> bool:
    """Handle one message; ``False`` closes the socket."""
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
        if data.get("type") == "hello":
            epoch = data.get("epoch")
            seq = data.get("seq")
            hub.resume(conn, epoch if isinstance(epoch, str) else None,
                       seq if isinstance(seq, int) else None)
            return True
        registry.socket_limit.hit(f"{id(conn)}", registry.clock())
        if data.get("type") == "ping":  # the client's heartbeat: any reply will do
            hub.reply(conn, registry.renderer.position(hub.session.epoch, hub.session.seq))
            return True
        registry.access.active_link(hub.session.state, claim)
        if data.get("type") == "media":
            await _media(hub, conn, actor, data)
            return True
        data.pop("HEADERS", None)
        command = parse_action(data, actor)
        execute_limited(registry, hub, actor, command)
        await hub.execute(command)
    except Forbidden as error:
        hub.reply(conn, registry.renderer.refusal(error.messages()))
        if error.code in ("link.revoked", "link.invalid"):
            if conn.websocket.application_state is WebSocketState.CONNECTED:
                await conn.websocket.close(1008, reason=error.code)
            return False
        return True
    except SessionError as error:
        hub.reply(conn, registry.renderer.refusal(error.messages()))
        return True
    view = View(hub.session.state, conn.audience, conn.device_id)
    reply = registry.renderer.flash(view.t("flash.done"), kind="ok")
    if isinstance(command, SubmitQuestion):
        number = submitted_question_id(hub.session.state, command)
        reply = registry.renderer.flash(view.t("flash.submitted", number=number), kind="ok")
    key = data.get("idempotency_key")
    if isinstance(key, str) and key:
        # the client's outbox forgets a message once its key is acknowledged
        reply += str(Markup('<div id="ack" hidden data-acks="{}"></div>').format(key[:64]))
    hub.reply(conn, reply)
    return True
