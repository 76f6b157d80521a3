"""Checks every request passes, written once and registered once
(``web/app.py``), as pure ASGI middleware (no per-request task, sockets
included). A check with nothing to add to the response hands the request
on without staying on the call stack (``__call__`` returns the next app's
coroutine, it does not await it): an open socket keeps no frame of any of
them for as long as it lives.

- :class:`OriginCheck`: a request or WebSocket that names another site in
  its ``Origin`` header is refused before any route runs (403, or the
  socket closed with 1008). Allowed: ``PUBLIC_URL``, ``TRUSTED_ORIGINS``
  and the addresses ``serve`` listens on; never the request's own ``Host``
  header (a page of another site reached through a rebound DNS name would
  name itself there).
- :class:`Language`: the screen's language (``?lang=`` remembered in a
  cookie, else the cookie, else Vietnamese) in ``request.state.lang``.
- :class:`SecurityHeaders`: what every response says about itself: no
  referrer beyond this site (``same-origin``: form posts keep a real
  ``Origin``), no MIME sniffing, not to be framed, and not cached unless
  the route says otherwise (pages carry signed links and live state).
- :class:`BodyLimit`: a request body over its route's bound is refused
  (413) by its ``Content-Length`` before a byte of it is read, and a body
  without one (chunked) is counted and stopped at the bound; the answer
  closes the connection, so the rest is never read either. A login form
  or a form post is refused by size before it is parsed or spooled.
- :class:`KeepRawSend` (``web/frames.py``) keeps the server's own ``send``
  for the direct fan-out path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from session_server.core.errors import Forbidden, PayloadTooLarge, SessionError
from session_server.web.errors import error_response, ws_close_code

__all__ = [
    "CSP",
    "FRAMEABLE",
    "LANGUAGES",
    "LANG_COOKIE",
    "PUBLIC_CACHE",
    "BodyBound",
    "BodyLimit",
    "Language",
    "OriginCheck",
    "SecurityHeaders",
]

LANGUAGES = ("vi", "en")
LANG_COOKIE = "lang"
YEAR = 365 * 24 * 3600


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests that change nothing: another site may name itself on them (a
module script, a font; the browser keeps the answer from that site anyway)."""


class OriginCheck:
    """Refuse what another site's page sends here: a form post or any other
    request that may change state, and every WebSocket (CSRF's first wall;
    form posts also carry a token, the API a Bearer token)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = {origin.rstrip("/") for origin in allowed if origin}

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "websocket" or (
            scope["type"] == "http" and scope["method"] not in SAFE_METHODS
        ):
            origin = _header(scope, b"origin")
            if origin is not None and not self.allows(scope, origin.rstrip("/")):
                return _refuse(scope, receive, send, Forbidden("request.origin"))
        return self.app(scope, receive, send)

    def allows(self, scope: Scope, origin: str) -> bool:
        return origin in self.allowed


async def _refuse(scope: Scope, receive: Receive, send: Send, error: SessionError) -> None:
    """Answer ``error`` before any route runs: the page or JSON of the error
    handlers for a request, a refused handshake for a socket."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": ws_close_code(error), "reason": error.code})
        return
    response = error_response(Request(scope, receive), error)
    await response(scope, receive, send)


class Language:
    """``request.state.lang``; a ``?lang=`` choice is kept for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] not in ("http", "websocket"):
            return self.app(scope, receive, send)
        chosen = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[-1]
        cookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie") or "")
        except Exception:  # a malformed cookie header: as if there were none
            cookie = SimpleCookie()
        kept = cookie[LANG_COOKIE].value if LANG_COOKIE in cookie else ""
        lang = next((c for c in (chosen, kept) if c in LANGUAGES), "vi")
        scope.setdefault("state", {})["lang"] = lang
        if chosen not in LANGUAGES or scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._remembering(lang, scope, receive, send)

    async def _remembering(self, lang: str, scope: Scope, receive: Receive, send: Send) -> None:
        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append(
                    "set-cookie", f"{LANG_COOKIE}={lang}; Max-Age={YEAR}; Path=/; SameSite=Lax"
                )
            await send(message)

        await self.app(scope, receive, remember)


FRAMEABLE = "frameable"
"""A route that may be framed by the broadcast tools sets
``request.state.frameable = True`` (a hall display's page)."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
)
"""Only this site's scripts run (no inline script, no eval); styles may be
inline (htmx adds its own)."""


PUBLIC_CACHE: tuple[tuple[re.Pattern[str], str], ...] = (
    # the live playlist changes with every segment
    (re.compile(r"^/r/[^/]+/live/[^/]+\.m3u8$"), "no-store"),
    # a live segment is written once; a restarted encoder may reuse its name
    (re.compile(r"^/r/[^/]+/live/"), "public, max-age=600"),
    # the day's video and chapters grow while the dialogue is live
    (re.compile(r"^/r/[^/]+/(video\.mp4|chapters\.vtt)$"), "no-cache"),
)
"""How long the programme's public files (``screens/onair.py``) are kept."""


class SecurityHeaders:
    """The headers every HTTP response carries, by the kind of its path:

    - everything: no MIME sniffing; a content security policy: only this
      site's scripts, and not framed (``frame-ancestors 'none'``) except a
      page its route marks frameable (a hall display, for the origins of
      ``FRAME_ANCESTORS``: a broadcast crew's tools);
    - static files: cached as the browser likes;
    - public pages (the report, ``/r/…``): no referrer at all, cached a minute,
      the programme's files as :data:`PUBLIC_CACHE` says;
    - every other page (signed links, live state): not cached, the referrer
      only to this site (``same-origin``: form posts keep a real ``Origin``)."""

    def __init__(
        self,
        app: ASGIApp,
        static: tuple[str, ...] = ("/static/",),
        public: tuple[str, ...] = ("/r/",),
        frame_ancestors: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.static = static
        self.public = public
        self.frame_ancestors = " ".join(frame_ancestors) or "'none'"

    def headers_for(self, path: str, frameable: bool = False) -> list[tuple[str, str]]:
        ancestors = self.frame_ancestors if frameable else "'none'"
        headers = [
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", CSP.format(ancestors=ancestors)),
        ]
        if ancestors == "'none'":
            headers.append(("x-frame-options", "DENY"))
        if path.startswith(self.static):
            return headers
        if path.startswith(self.public):
            cache = next((c for p, c in PUBLIC_CACHE if p.match(path)), "public, max-age=60")
            return [*headers, ("referrer-policy", "no-referrer"), ("cache-control", cache)]
        return [*headers, ("referrer-policy", "same-origin"), ("cache-control", "no-store")]

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._with_headers(scope, receive, send)

    async def _with_headers(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                frameable = bool(scope.get("state", {}).get(FRAMEABLE))
                headers = MutableHeaders(scope=message)
                for name, value in self.headers_for(scope["path"], frameable):
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass(frozen=True)
class BodyBound:
    """A route's own bound on its request body (a file upload's), and how a
    refusal names it."""

    path: re.Pattern[str]
    limit: int
    code: str = "request.too_large"
    shown: int | None = None
    """The limit the refusal names (the file's, without its form), if not ``limit``."""

    def error(self) -> PayloadTooLarge:
        return PayloadTooLarge(self.code, limit=self.shown or self.limit)


class BodyLimit:
    """Refuse a request body over ``limit`` bytes (or over the bound of its
    route among ``larger``), before it is read."""

    def __init__(self, app: ASGIApp, limit: int, larger: Sequence[BodyBound] = ()) -> None:
        self.app = app
        self.default = BodyBound(re.compile(""), limit)
        self.larger = tuple(larger)

    def bound_for(self, path: str) -> BodyBound:
        return next((bound for bound in self.larger if bound.path.match(path)), self.default)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        bound = self.bound_for(scope["path"])
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > bound.limit:
            return _refuse(scope, receive, _closing(send), bound.error())
        if length is not None or _header(scope, b"transfer-encoding") is None:
            return self.app(scope, receive, send)
        return self._counting(bound, scope, receive, send)

    async def _counting(self, bound: BodyBound, scope: Scope, receive: Receive, send: Send) -> None:
        limit = bound.limit
        received = 0
        over = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise bound.error()
            return message

        async def closing_when_over(message: Message) -> None:
            if over and message["type"] == "http.response.start":
                MutableHeaders(scope=message)["connection"] = "close"
            await send(message)

        await self.app(scope, counted, closing_when_over)


def _closing(send: Send) -> Send:
    """``send`` that ends the connection after the response (the body the
    client may still send is never read)."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["connection"] = "close"
        await send(message)

    return closing
