"""Keep the links' tokens out of the logs.

A role link (``/s/<token>``), a phone's link (``/j/<token>``), its socket
(``/ws/<token>``), an agency's link (``/a/<token>``), a suggested
answers' drafter's (``/g/<token>``) and a unit registrar's (``/u/<token>``)
are credentials:
whoever reads one in a log could open that screen. Every path logged by the
server (uvicorn's access lines and its WebSocket lines, the app's own) goes
through :func:`redact`, which keeps the route and replaces the token by a
short fingerprint (``/s/<link 4f2a>``: the first 4 hex digits of the
token's SHA-256), enough to tell two links apart in a log and to find a
known link's lines, never to rebuild one.
"""

from __future__ import annotations

import hashlib
import logging
import re

__all__ = ["LOGGERS", "TokenRedaction", "fingerprint", "install", "redact"]

_TOKEN_PATH = re.compile(r"(/(?:s|j|ws|a|g|u)/)([^/?#\s\"'<>]+)")
"""The routes whose path segment after the prefix is a token (``web/app.py``)."""

LOGGERS = ("uvicorn.access", "uvicorn.error", "session_server")
"""Where paths are logged: uvicorn's request and WebSocket lines, and ours."""


def fingerprint(token: str) -> str:
    """A short name of ``token`` that does not give it away."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:4]


def redact(text: str) -> str:
    """``text`` with every token of a link path replaced by its fingerprint."""
    return _TOKEN_PATH.sub(lambda m: f"{m.group(1)}<link {fingerprint(m.group(2))}>", text)


class TokenRedaction(logging.Filter):
    """A logging filter that redacts the message and every text argument."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install() -> None:
    """Put the filter on :data:`LOGGERS` and on the root logger's handlers
    (which every logger's records reach); once, however often called."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, TokenRedaction) for f in target.filters):
            target.addFilter(TokenRedaction())
