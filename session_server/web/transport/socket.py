"""The one WebSocket of every live screen: ``/ws/{token}``.

A thin transport over the gateway (``web/gateway.py``). The Origin was
checked by the middleware; on connect the link and (for a phone) the device
cookie make the caller, or the handshake is refused. The client's first
message is ``{"type": "hello", "epoch": …, "seq": …}``, its position; the
hub sends it what it lacks. ``{"type": "ping", "n": …}`` is the client's
heartbeat, answered by ``{"type": "pong", "n": …, "now": …}`` (which claims
no position): the ping's number back and the server's time in milliseconds,
from which the screen counts its countdowns (``static/js/link.js``: a
district laptop's clock may be minutes off; the deadlines are the
server's). Media
signaling (``{"type": "media", …}``) goes to the dialogue's media manager.
A hall display's link also opens its broadcast overlay
(``?view=overlay``) or the overlay's JSON feed (``?view=feed``: every
message a JSON object, ``screens/overlay.py``). Anything else is a
command: the gateway runs it, and this socket alone gets
the outcome: a confirmation or a refusal on the screen, and for a message
the client keeps until acknowledged (its ``command_id``), a JSON
``{"type": "ack", "key": …}`` or ``{"type": "refused", "key": …, "retry": …}``.
Every message is charged to the socket's rate limit, hellos included: over
it, the screen is told once, further messages go unanswered, and a socket
that sends as many again while refused is closed (1008). A socket says hello
once (a second is refused: a catch-up is sent once per socket, so a hello
flood costs the server a refusal, not a page each).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from session_server.core.errors import (
    Forbidden,
    InvalidInput,
    RateLimited,
    SessionError,
    Unavailable,
)
from session_server.core.model import Role
from session_server.web.access import DEVICE_COOKIE
from session_server.web.connections import Gate
from session_server.web.gateway import Again, Done, Gateway, LinkCaller, Refusal
from session_server.web.live.hub import CLOSE_LAGGING, Connection, Hub
from session_server.web.registry import Registry
from session_server.web.screens import SCREENS, VIEWS, Screen, screen_for

__all__ = ["MAX_MESSAGE", "LiveSocket", "live_socket"]

logger = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024
PING_NUMBERS = 2**31
"""A ping's number comes back in its pong when it is an integer below this."""
_CLOSING_CODES = frozenset({"link.revoked", "link.invalid"})


def _pong(number: object, now: datetime) -> str:
    """The heartbeat's answer: the ping's number (when it is one) and the
    server's time, in milliseconds since 1970."""
    pong: dict[str, object] = {"type": "pong", "now": round(now.timestamp() * 1000)}
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < PING_NUMBERS:
        pong["n"] = number
    return json.dumps(pong)


class LiveSocket:
    """The route's ASGI app: :func:`live_socket` on the scope's WebSocket.

    Starlette wraps a function endpoint in two more coroutines (and an
    exception wrapper the application's ``ExceptionMiddleware`` repeats),
    each a frame every open socket keeps for its whole life; this hands the
    endpoint's own coroutine to the router instead. A refusal raised by the
    endpoint reaches the same handlers (``web/errors.py``)."""

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return live_socket(WebSocket(scope, receive=receive, send=send))


async def live_socket(websocket: WebSocket) -> None:
    registry: Registry = websocket.app.state.registry
    gateway: Gateway = websocket.app.state.gateway
    cookie = websocket.cookies.get(DEVICE_COOKIE)
    device = registry.access.read_device(cookie)
    address = websocket.client.host if websocket.client else ""
    caller = await gateway.link_caller(
        websocket.path_params["token"],
        device,
        address,
        page_device=registry.access.page_device(cookie),
    )
    if caller.actor.role is Role.ATTENDEE and device is None:
        raise Forbidden("role.device_missing")  # a phone opens its page first
    screen = _screen(caller, websocket.query_params.get("view", ""))
    await websocket.accept()
    lang: str = websocket.state.lang
    if caller.actor.role is Role.ATTENDEE and _no_room_for_phones(websocket, registry):
        await _full(websocket, registry)
        return
    hub = caller.hub
    conn = Connection(
        websocket,
        screen.audience(caller.actor, lang),
        caller.actor.device_id,
        caller.claim.link_id if caller.claim else None,
    )
    hub.attach(conn)
    try:
        while websocket.application_state is WebSocketState.CONNECTED:
            try:
                text = await websocket.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                break  # gone, or closed by the hub meanwhile (a revoked link)
            if websocket.application_state is not WebSocketState.CONNECTED:
                break
            conn.heard = time.monotonic()
            if not await _message(registry, gateway, caller, conn, text):
                break
    finally:
        hub.detach(conn)
        if conn.writer is not None:
            conn.writer.cancel()


def _screen(caller: LinkCaller, view: str) -> Screen:
    """The screen the socket serves: the link's role's, or another view of
    the same link (``?view=overlay`` or ``?view=feed`` on a hall display's)."""
    if not view:
        return SCREENS[caller.actor.role]
    screen = VIEWS.get((caller.actor.role, view[:32]))
    if screen is None:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    return screen


def _no_room_for_phones(websocket: WebSocket, registry: Registry) -> bool:
    """The process is near its file descriptor budget (``web/connections.py``):
    what is left (``PHONE_RESERVE``) is kept for the control screens, the
    displays, the organiser and ``/healthz``."""
    gate: Gate | None = getattr(websocket.app.state, "gate", None)
    return gate is not None and gate.room() <= registry.settings.phone_reserve


async def _full(websocket: WebSocket, registry: Registry) -> None:
    """Tell the phone, in both languages, and close with 1013: its page tries
    again by itself, a little later each time."""
    error = Unavailable("server.full")
    await websocket.send_text(registry.renderer.refusal(error.messages()))
    await websocket.close(CLOSE_LAGGING, reason=error.code)


def _read(registry: Registry, conn: Connection, text: str) -> dict[str, Any] | SessionError:
    """The message as a JSON object, or why it is refused."""
    refused = registry.socket_limit.check(f"{id(conn)}", registry.clock())
    if refused is not None:
        return refused
    if len(text) > MAX_MESSAGE:
        return InvalidInput("input.too_long", field="message", limit=MAX_MESSAGE, length=len(text))
    try:
        data = json.loads(text)
    except ValueError:
        return InvalidInput("command.unknown")
    return data if isinstance(data, dict) else InvalidInput("command.unknown")


async def _message(
    registry: Registry, gateway: Gateway, caller: LinkCaller, conn: Connection, text: str
) -> bool:
    """Handle one message; ``False`` closes the socket."""
    hub = caller.hub
    data = _read(registry, conn, text)
    if isinstance(data, RateLimited):
        # over the socket's rate: told once; a script that goes on is cut off
        conn.strikes += 1
        if conn.strikes == 1:
            _refused(registry, hub, conn, Refusal(data), None, {})
        elif conn.strikes > registry.socket_limit.rate.count:
            if conn.websocket.application_state is WebSocketState.CONNECTED:
                await conn.websocket.close(1008, reason=data.code)
            return False
        return True
    conn.strikes = 0
    if isinstance(data, SessionError):
        _refused(registry, hub, conn, Refusal(data), None, {})
        return True
    kind = data.get("type")
    if kind == "hello":
        if conn.greeted:  # a page says hello once per socket; a script, again and again
            _refused(registry, hub, conn, Refusal(InvalidInput("socket.hello_again")), None, {})
            return True
        conn.greeted = True
        epoch, seq = data.get("epoch"), data.get("seq")
        hub.resume(
            conn,
            epoch if isinstance(epoch, str) else None,
            seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        )
        return True
    if kind == "ping":
        hub.reply(conn, _pong(data.get("n"), registry.now()))
        return True
    if kind == "media":
        hub.reply(conn, json.dumps(await gateway.signal(caller, conn.link_id, data)))
        return True
    key = _key(data)
    result = await gateway.attempt(caller, data, form=True)  # htmx sends form values: text
    if isinstance(result, Refusal):
        _refused(registry, hub, conn, result, key, data, gateway.again(result, data))
        if isinstance(result.error, Forbidden) and result.error.code in _CLOSING_CODES:
            if conn.websocket.application_state is WebSocketState.CONNECTED:
                await conn.websocket.close(1008, reason=result.error.code)
            return False
        return True
    _done(registry, hub, conn, result, key)
    return True


def _key(data: dict[str, Any]) -> str | None:
    """The key the client's outbox knows this message by."""
    for name in ("command_id", "idempotency_key"):
        value = data.get(name)
        if isinstance(value, str) and value:
            return value[:64]
    return None


def _done(registry: Registry, hub: Hub, conn: Connection, done: Done, key: str | None) -> None:
    view = hub.context(conn.audience, conn.device_id)
    ack = done.ack(key)
    if "question_id" in ack:
        flash = registry.renderer.flash(
            view.t("flash.submitted", number=ack["question_id"]), kind="ok"
        )
    else:
        flash = registry.renderer.flash(view.t("flash.done"), kind="ok")
    hub.reply(conn, flash)
    if key is not None:
        hub.reply(conn, json.dumps(ack))  # the client's outbox forgets the message


def _refused(
    registry: Registry,
    hub: Hub,
    conn: Connection,
    refusal: Refusal,
    key: str | None,
    data: dict[str, Any],
    again: Again | None = None,
) -> None:
    """The bilingual refusal on this screen and, for a message the client's
    outbox keeps, whether to send it again (with, for a summary saved over
    someone else's, the text stored now so the secretary can choose)."""
    error = refusal.error
    feed = screen_for(conn.audience).feed  # a station's JSON feed: no HTML in it
    if not feed:
        confirm = None
        if again is not None:  # the same command, with the person's confirmation
            confirm = again.form(hub.context(conn.audience, conn.device_id).lang)
        hub.reply(conn, registry.renderer.refusal(error.messages(), confirm))
    if key is None and not feed:
        return
    body: dict[str, Any] = {
        "type": "refused",
        "key": key,
        "code": error.code,
        "retry": refusal.retry,
        "seconds": error.params.get("seconds"),
        **error.messages(),
    }
    if error.code == "summary.stale":
        record = hub.session.state.answers.get(_int(data.get("question_id")))
        if record is not None:
            body.update(current=record.summary, revision=record.revision)
    hub.reply(conn, json.dumps(body))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
