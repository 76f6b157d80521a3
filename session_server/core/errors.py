"""The one error tree of the project.

Every refusal the core (or an adapter) makes is a :class:`SessionError` with a
stable ``code`` and ``params``; the text a person reads comes from the
catalogue, Vietnamese first, English second. Adapters map each class to an
HTTP status and a WebSocket close code in one place (``web/errors.py``)::

    SessionError
    ├── InvalidInput         400  bad or out-of-bounds input
    │   ├── Unprocessable        422  a message that breaks its model (web/models.py)
    │   ├── PayloadTooLarge      413  a request body over the limit
    │   └── UnsupportedMediaType 415  a JSON API POST that is not JSON
    ├── Forbidden            403  this role may not do that
    │   └── Unauthorised         401  no role token (nor organiser sign-in)
    ├── NotFound             404  unknown question, bridge point, speaker...
    ├── IllegalTransition    409  a question or floor state that forbids it
    ├── PhaseRefused         409  the dialogue's phase or deadline forbids it
    ├── StaleSequence        409  the log moved on (optimistic concurrency)
    ├── RateLimited          429  too many submissions from one device/bridge
    └── Unavailable          503  the event log cannot be written right now
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from session_server.catalogue import message

__all__ = [
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "PhaseRefused",
    "RateLimited",
    "SessionError",
    "StaleSequence",
    "Unauthorised",
    "Unavailable",
    "Unprocessable",
    "UnsupportedMediaType",
]


class SessionError(Exception):
    """A refusal with a code and bilingual message; changes no state."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        confirm = params.pop("confirm", "")
        self.params: Mapping[str, object] = dict(params)
        self.confirm = confirm if isinstance(confirm, str) else ""
        """The refused command's yes/no field by which a person goes ahead
        anyway (the floor to a bridge point with no live picture:
        ``without_feed``), or "": the screen offers the same command again
        with it set (``web/gateway.py``: ``Gateway.again``)."""
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        return message(self.code, lang, **self.params)

    def messages(self) -> dict[str, str]:
        """Both languages, Vietnamese first."""
        return {"vi": self.message("vi"), "en": self.message("en")}

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.messages()}
        if self.confirm:
            body["confirm"] = self.confirm
        return body


class InvalidInput(SessionError):
    status = 400


class Unprocessable(InvalidInput):
    """A message that breaks its model (``web/models.py``): refused before
    the core sees it."""

    status = 422


class PayloadTooLarge(InvalidInput):
    status = 413


class UnsupportedMediaType(InvalidInput):
    status = 415


class Forbidden(SessionError):
    status = 403


class Unauthorised(Forbidden):
    status = 401


class NotFound(SessionError):
    status = 404


class IllegalTransition(SessionError):
    status = 409


class PhaseRefused(SessionError):
    status = 409


class StaleSequence(SessionError):
    status = 409

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__("log.stale_sequence", expected=expected, actual=actual)
        self.expected = expected
        self.actual = actual


class RateLimited(SessionError):
    status = 429


class Unavailable(SessionError):
    status = 503
