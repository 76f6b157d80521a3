"""Who is asking: signed role links, device cookies, the organiser's session
and CSRF tokens.

A role link carries ``[dialogue_id, link_id]`` signed with the server's
secret. The signature proves we issued it; the dialogue's state says whether
it is still active (revocation is an event in the log, so it holds on every
process and across restarts). An agency's link (``/a/…``) is a role link
too, issued for one question: the same token, the same revocation. A
phone's identity is a random device id in a signed cookie; the bridge point
it joined from comes from its link, never from the phone.

The organiser's session is kept on the server (:class:`OrganiserSessions`):
the cookie carries a random session id (signed, so a forged one costs no
look-up), and the store (``store/base.py``) keeps a digest of each live id
with its expiry. A sign-out or a password rotation forgets it, and the old
cookie is worth nothing at once, on every process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer

from session_server.core.errors import Forbidden
from session_server.core.model import Actor, Role, RoleLink, State
from session_server.store.base import EventLog

__all__ = [
    "DEVICE_COOKIE",
    "ORGANISER_COOKIE",
    "Access",
    "LinkClaim",
    "OrganiserSessions",
    "new_link_id",
]

DEVICE_COOKIE = "ssd"
ORGANISER_COOKIE = "sso"
ORGANISER_MAX_AGE = 12 * 3600
_API_DEVICE = "~api"
"""Marks a device cookie the JSON API issued (the page's carry nothing)."""


def new_link_id() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class LinkClaim:
    dialogue_id: str
    link_id: str


class Access:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must have at least 16 characters")
        self._secret = secret.encode("utf-8")
        self._links = URLSafeSerializer(secret, salt="role-link")
        self._devices = TimestampSigner(secret, salt="device")
        self._organiser = TimestampSigner(secret, salt="organiser")

    # --- role links ---------------------------------------------------------

    def link_token(self, dialogue_id: str, link_id: str) -> str:
        return self._links.dumps([dialogue_id, link_id])

    def read_link(self, token: str) -> LinkClaim:
        try:
            value = self._links.loads(token)
        except BadSignature:
            raise Forbidden("link.invalid") from None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise Forbidden("link.invalid")
        return LinkClaim(dialogue_id=value[0], link_id=value[1])

    @staticmethod
    def active_link(state: State, claim: LinkClaim) -> RoleLink:
        link = state.links.get(claim.link_id)
        if link is None:
            raise Forbidden("link.invalid")
        if not link.active:
            raise Forbidden("link.revoked")
        return link

    # --- devices ------------------------------------------------------------

    def new_device(self, *, page: bool = True) -> tuple[str, str]:
        """A new device id and its cookie value. ``page``: issued by the
        phone's page (a device that loaded it); the API's cookies say
        otherwise, and cannot vote."""
        device_id = secrets.token_urlsafe(12)
        value = device_id if page else f"{device_id}{_API_DEVICE}"
        return device_id, self._devices.sign(value).decode("ascii")

    def read_device(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            value = self._devices.unsign(cookie).decode("ascii")
        except BadSignature:
            return None
        return value.removesuffix(_API_DEVICE)

    def page_device(self, cookie: str | None) -> bool:
        """Whether the device cookie was issued by the phone's page."""
        try:
            return not self._devices.unsign(cookie or "").decode("ascii").endswith(_API_DEVICE)
        except BadSignature:
            return False

    # --- organiser ----------------------------------------------------------

    def check_password(self, given: str, expected: str) -> bool:
        if not expected:
            return False
        return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))

    def organiser_cookie(self, session_id: str) -> str:
        """The cookie that carries ``session_id`` (signed and dated)."""
        return self._organiser.sign(session_id).decode("ascii")

    def organiser_session_id(self, cookie: str | None) -> str | None:
        """The session id of a cookie we signed less than 12 h ago, else None."""
        if not cookie:
            return None
        try:
            return self._organiser.unsign(cookie, max_age=ORGANISER_MAX_AGE).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    @staticmethod
    def organiser_actor() -> Actor:
        return Actor(Role.ORGANISER)

    # --- CSRF ---------------------------------------------------------------

    def csrf_token(self, subject: str) -> str:
        """A token bound to ``subject`` (a link token, a device, the
        organiser cookie): a cross-site form cannot know it."""
        digest = hmac.new(self._secret, b"csrf:" + subject.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]

    def check_csrf(self, subject: str, given: str | None) -> None:
        if not given or not hmac.compare_digest(self.csrf_token(subject), given):
            raise Forbidden("request.csrf")


class OrganiserSessions:
    """The organiser's signed-in sessions, kept in the store.

    ``open`` makes a random id, keeps its SHA-256 in the store until it
    expires (:data:`ORGANISER_MAX_AGE`) and returns the cookie; ``check``
    says whether a cookie names a live one; ``close`` forgets one (a
    sign-out). The store holds digests only: reading it gives no cookie."""

    def __init__(self, access: Access, log: EventLog, clock: Callable[[], float]) -> None:
        self.access = access
        self.log = log
        self.clock = clock
        """Unix time (sessions outlive the process)."""

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode("ascii")).hexdigest()

    async def open(self) -> str:
        session_id = secrets.token_urlsafe(32)
        await self.log.open_session(self._key(session_id), self.clock() + ORGANISER_MAX_AGE)
        return self.access.organiser_cookie(session_id)

    async def check(self, cookie: str | None) -> bool:
        session_id = self.access.organiser_session_id(cookie)
        if session_id is None:
            return False
        return await self.log.session_alive(self._key(session_id), self.clock())

    async def close(self, cookie: str | None) -> None:
        session_id = self.access.organiser_session_id(cookie)
        if session_id is not None:
            await self.log.close_session(self._key(session_id))
