"""``SessionError`` → HTTP status and WebSocket close code, in one place."""

from __future__ import annotations

from session_server.core.errors import (
    Forbidden,
    NotFound,
    RateLimited,
    SessionError,
    Unavailable,
)

__all__ = ["http_status", "ws_close_code"]


def http_status(error: SessionError) -> int:
    return error.status


def ws_close_code(error: SessionError) -> int:
    """How a socket is closed when its link or role is refused.

    1008 (policy violation) for a bad or revoked link and unknown dialogues:
    the client does not reconnect. 1013 (try again later) when the log is
    unavailable: the client reconnects by itself."""
    if isinstance(error, (Forbidden, NotFound)):
        return 1008
    if isinstance(error, (Unavailable, RateLimited)):
        return 1013
    return 1008
