"""The error tree (``core/errors.py``) as people and programs see it, in
one place: an HTML page in both languages for a browser, a JSON body for the
API, a close code for a WebSocket; and the same for what Starlette itself
refuses (404, 405) and for a bug (500, never a traceback).

The handlers are registered once (``web/app.py``); transports raise and
never catch a ``SessionError`` themselves, except where they answer in
place through the gateway's ``attempt``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket

from session_server.core.errors import (
    RateLimited,
    SessionError,
    Unauthorised,
    Unavailable,
)
from session_server.web.redact import redact

__all__ = [
    "HTTP_CODES",
    "error_response",
    "handlers",
    "wants_json",
    "ws_close_code",
]

logger = logging.getLogger(__name__)

HTTP_CODES: dict[int, str] = {
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "http.too_large",
    414: "http.uri_too_long",
    431: "http.headers_too_large",
    500: "http.server_error",
}
"""What Starlette (or the server) refuses by status, as catalogue codes."""


def ws_close_code(error: SessionError) -> int:
    """How a socket is closed when its link or role is refused.

    1008 (policy violation) for a bad or revoked link and unknown dialogues:
    the client does not reconnect. 1013 (try again later) when the log is
    unavailable or the client is too fast: it reconnects by itself."""
    if isinstance(error, Unavailable | RateLimited):
        return 1013
    return 1008


def wants_json(request: Request) -> bool:
    """The API's callers get JSON; browsers get a page."""
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, error: SessionError) -> Response:
    """The answer to a refusal: JSON for the API, a bilingual page otherwise."""
    response: Response
    if wants_json(request):
        response = JSONResponse(error.to_dict(), status_code=error.status)
    else:
        registry = getattr(request.app.state, "registry", None)
        lang = getattr(request.state, "lang", "vi")
        html = (
            registry.renderer.error_page(lang, error)
            if registry is not None
            else f"<p>{error.message('vi')}</p><p>{error.message('en')}</p>"
        )
        response = HTMLResponse(html, status_code=error.status)
    if isinstance(error, RateLimited):
        seconds = error.params.get("seconds", 1)
        response.headers["Retry-After"] = str(seconds if isinstance(seconds, int) else 1)
    if isinstance(error, Unauthorised) and wants_json(request):
        response.headers["WWW-Authenticate"] = 'Bearer realm="session-server"'
    return response


class _HttpRefusal(SessionError):
    """A refusal Starlette made (an unknown path, a method not allowed)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status  # type: ignore[misc]


async def _session_error(request: Request | WebSocket, exc: Exception) -> Response | None:
    assert isinstance(exc, SessionError)
    if isinstance(request, WebSocket):
        await request.close(ws_close_code(exc), reason=exc.code)
        return None
    logger.debug("%s %s refused: %s", request.method, redact(request.url.path), exc.code)
    return error_response(request, exc)


async def _http_error(request: Request | WebSocket, exc: Exception) -> Response | None:
    assert isinstance(exc, HTTPException)
    if isinstance(request, WebSocket):
        await request.close(1008)
        return None
    code = HTTP_CODES.get(exc.status_code, "http.error")
    response = error_response(request, _HttpRefusal(exc.status_code, code))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    path = redact(request.url.path)
    logger.error("unhandled error on %s %s", request.method, path, exc_info=exc)
    return error_response(request, _HttpRefusal(500, "http.server_error"))


def handlers() -> dict[Any, Any]:
    """The application's exception handlers (``Starlette(exception_handlers=…)``)."""
    return {
        SessionError: _session_error,
        HTTPException: _http_error,
        Exception: _server_error,
    }
