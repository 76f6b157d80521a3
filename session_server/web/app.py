"""The Starlette application: the routes of the screens and transports, the
middleware and error handlers registered once, the lifespan."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from session_server.config import Settings
from session_server.export.intake import MAX_BYTES
from session_server.store.base import EventLog
from session_server.web import redact, tls_routes
from session_server.web.errors import handlers
from session_server.web.gateway import Gateway
from session_server.web.live.frames import KeepRawSend
from session_server.web.middleware import (
    BodyBound,
    BodyLimit,
    Language,
    OriginCheck,
    SecurityHeaders,
)
from session_server.web.registry import Registry
from session_server.web.render import ROOT
from session_server.web.screens import checkin, moderator, organiser
from session_server.web.screens.agency import agency_answer
from session_server.web.screens.drafter import drafter_page
from session_server.web.screens.onair import chapters_file, live_file, video_file
from session_server.web.screens.organiser import auth
from session_server.web.screens.organiser.common import organiser_cookie
from session_server.web.screens.organiser.record import UPLOAD_SLACK
from session_server.web.screens.pages import (
    camera_page,
    link_page,
    overlay_page,
    phone_page,
    phone_questions,
    recording_file,
)
from session_server.web.screens.plan import public_plan
from session_server.web.screens.report import public_report
from session_server.web.screens.unit import unit_invitations, unit_page
from session_server.web.transport import api, openapi
from session_server.web.transport.forms import link_post, phone_post
from session_server.web.transport.socket import LiveSocket

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

IMPORT_BODY = BodyBound(
    re.compile(r"^/o/[^/]+/(import|units)$"),
    2 * (MAX_BYTES + UPLOAD_SLACK),
    "import.too_large",
    MAX_BYTES,
)
"""A question import's upload: twice its own bound, so a file a little too
large is still answered on the import page (which checks its
``Content-Length`` itself), and a huge or chunked one is stopped here."""


async def health(request: Request) -> Response:
    """Whether the server and its event log answer. Anybody may ask; only the
    signed-in organiser also learns the dialogues it holds (their ids are
    not public: a draft's would be)."""
    registry: Registry = request.app.state.registry
    body: dict[str, object] = {"status": "ok", "store": "ok" if registry.store_ok else "down"}
    if await organiser_cookie(request) is not None:
        body["dialogues"] = {
            d: {"epoch": h.session.epoch, "seq": h.session.seq, "sockets": h.connection_count()}
            for d, h in registry.hubs.items()
        }
    return JSONResponse(body)


async def home(request: Request) -> Response:
    return RedirectResponse("/o/", status_code=303)


async def robots(request: Request) -> Response:
    return PlainTextResponse("User-agent: *\nDisallow: /\n")


class App(Starlette):
    """Starlette, handing a WebSocket past ``ServerErrorMiddleware`` (which
    only passes a socket on): one frame less that every open socket keeps
    for its whole life (with ``web/middleware.py``'s checks and
    :class:`LiveSocket`, about 8 KiB less per idle phone, ``bench/fanout.py``).
    Its ``__call__`` stays a coroutine function: servers tell an ASGI 3
    application by it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stack = self.middleware_stack
        if scope["type"] == "websocket" and isinstance(stack, ServerErrorMiddleware):
            scope["app"] = self
            await stack.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings, log: EventLog, secret: str) -> Starlette:
    """The app for ``settings``, on ``log`` (which it closes on shutdown)."""
    redact.install()  # no link's token in a log line
    registry = Registry(settings, log, secret)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await registry.start()
        try:
            yield
        finally:
            await registry.stop()
            await log.close()

    routes = [
        Route("/", home),
        Route("/healthz", health),
        Route("/robots.txt", robots),
        Route("/s/{token}", link_page),
        Route("/s/{token}/act", link_post, methods=["POST"]),
        Route("/s/{token}/camera", camera_page),
        Route("/s/{token}/overlay", overlay_page),
        Route("/s/{token}/inbox", moderator.inbox_page),
        Route("/s/{token}/people", checkin.people_page),
        Route("/s/{token}/recordings/{file}", recording_file),
        Route("/j/{token}", phone_page),
        Route("/j/{token}/act", phone_post, methods=["POST"]),
        Route("/j/{token}/questions", phone_questions),
        WebSocketRoute("/ws/{token}", LiveSocket()),
        Route("/r/{dialogue_id}", public_report),
        Route("/r/{dialogue_id}/live/{name}", live_file),
        Route("/r/{dialogue_id}/video.mp4", video_file),
        Route("/r/{dialogue_id}/chapters.vtt", chapters_file),
        Route("/a/{token}", agency_answer, methods=["GET", "POST"]),
        Route("/g/{token}", drafter_page, methods=["GET", "POST"]),
        Route("/p/{dialogue_id}", public_plan),
        Route("/u/{token}", unit_page, methods=["GET", "POST"]),
        Route("/u/{token}/invitations.docx", unit_invitations),
        *organiser.routes,
        *api.routes,
        *openapi.routes,
        *tls_routes.routes,
        Mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static"),
    ]
    own = settings.public_url or f"http://{settings.host}:{settings.port}"
    allowed = [*settings.trusted_origins, own]
    app = App(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(KeepRawSend),
            Middleware(
                SecurityHeaders, frame_ancestors=settings.frame_ancestors, public=("/r/", "/p/")
            ),
            Middleware(Language),
            Middleware(OriginCheck, allowed=allowed),
            Middleware(BodyLimit, limit=settings.body_max_bytes, larger=[IMPORT_BODY]),
        ],
        exception_handlers={**handlers(), organiser.SignInNeeded: auth.to_login},
    )
    app.state.registry = registry
    app.state.gateway = Gateway(registry)
    return app
