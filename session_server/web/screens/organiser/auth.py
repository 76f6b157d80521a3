"""The organiser's sign-in and sign-out (``/o/login``, ``/o/logout``).

A sign-in opens a session kept on the server (``OrganiserSessions`` in
``web/access.py``); a sign-out closes it, so the old cookie is worth nothing.

Wrong passwords are throttled per client address, the real one
(``request.client``: a forwarded address counts only from a proxy named in
``TRUSTED_PROXIES``; an IPv6 address counts as its /64, what one subscriber
holds). A few are free (:data:`LOGIN_FREE`); after that each wrong password
makes the next try from that address wait twice as long as the last one (2,
4, 8… seconds, at most :data:`LOGIN_MAX_WAIT`), and a try during the wait is
refused (429) without looking at the password. Nothing is shared between
addresses: an attacker never locks the organiser out from elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import weakref
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.core.errors import RateLimited, SessionError, Unauthorised
from session_server.core.model import State
from session_server.web.access import ORGANISER_COOKIE, ORGANISER_MAX_AGE
from session_server.web.ratelimit import Rate, RateLimiter
from session_server.web.registry import Registry
from session_server.web.screens.organiser.common import (
    OrganiserPage,
    SignInNeeded,
    context,
    form_values,
    last,
    organiser_cookie,
    registry_of,
    render,
    safe_back,
)

__all__ = [
    "LOGIN_FORGET",
    "LOGIN_FREE",
    "LOGIN_MAX_WAIT",
    "LoginPage",
    "address_key",
    "expected_password",
    "login",
    "logout",
    "to_login",
]

logger = logging.getLogger(__name__)

LOGIN_FREE = Rate(5, 300)
"""Wrong passwords an address may give with no wait: five at once, then one
more a minute (a mistyped password costs nothing)."""
LOGIN_MAX_WAIT = 600.0
"""The longest wait after a wrong password, in seconds."""
LOGIN_FORGET = 3600.0
"""An address's waits start again from 2 s after this long without a wrong
password (or at once after a right one)."""


@dataclass(frozen=True)
class LoginPage(OrganiserPage):
    next_path: str = "/o/"
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class _Strikes:
    count: int
    """Wrong passwords beyond the free ones."""
    until: float
    """No try from the address before this."""
    last: float
    """When the last wrong password came."""


class _LoginThrottle:
    """Wrong passwords per address: free ones on a token bucket, then
    delays that double with each further one."""

    def __init__(self, free: Rate, max_wait: float, forget: float, max_keys: int = 10_000):
        self.free = RateLimiter(free, max_keys=max_keys)
        self.max_wait = max_wait
        self.forget = forget
        self.max_keys = max_keys
        self.strikes: dict[str, _Strikes] = {}

    def check(self, key: str, now: float) -> None:
        """Refuse a try from ``key`` while it must wait."""
        strikes = self.strikes.get(key)
        if strikes is not None and now < strikes.until:
            seconds = max(1, math.ceil(strikes.until - now))
            raise RateLimited("organiser.sign_in_wait", seconds=seconds)

    def failed(self, key: str, now: float) -> int:
        """Count a wrong password from ``key``; return the seconds its next
        try must wait (0: none)."""
        strikes = self.strikes.get(key)
        if strikes is not None and now - strikes.last > self.forget:
            del self.strikes[key]
            strikes = None
        if strikes is None and self.free.check(key, now) is None:
            return 0
        count = (strikes.count if strikes else 0) + 1
        wait = min(2.0 ** min(count, 64), self.max_wait)
        self.strikes[key] = _Strikes(count, now + wait, now)
        if len(self.strikes) > self.max_keys:
            self._prune(now)
        return math.ceil(wait)

    def succeeded(self, key: str) -> None:
        self.strikes.pop(key, None)

    def _prune(self, now: float) -> None:
        """Forget the quiet addresses, then (under a flood of addresses)
        the ones whose wait is over."""
        self.strikes = {k: s for k, s in self.strikes.items() if now - s.last <= self.forget}
        if len(self.strikes) > self.max_keys:
            self.strikes = {k: s for k, s in self.strikes.items() if s.until > now}


_throttles: weakref.WeakKeyDictionary[Registry, _LoginThrottle] = weakref.WeakKeyDictionary()


def _throttle(registry: Registry) -> _LoginThrottle:
    throttle = _throttles.get(registry)
    if throttle is None:
        throttle = _throttles[registry] = _LoginThrottle(LOGIN_FREE, LOGIN_MAX_WAIT, LOGIN_FORGET)
    return throttle


def address_key(host: str) -> str:
    """Whom a sign-in counts against: an IPv4 address, an IPv6 address's /64
    (one subscriber gets a whole /64), or the host as given."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


async def expected_password(registry: Registry) -> str:
    """The organiser's password now: the kept file's (a rotation changes it
    under a running server), else the configured one."""
    path = registry.settings.organiser_password_file
    if not path:
        return str(registry.settings.organiser_password)
    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="ascii")
    except OSError as exc:
        logger.error("cannot read the organiser password file %s: %s", path, exc)
        return ""  # nobody signs in until it is back
    return text.strip()


def _page(request: Request, next_path: str, error: SessionError | None, status: int) -> Response:
    view = context(request, State(limits=registry_of(request).settings.limits))
    values = LoginPage(
        page_url=request.url.path,
        signed_in=False,
        csrf="",
        next_path=next_path,
        error=error.messages() if error else None,
    )
    response = render(request, "organiser_login.html", view, values, status)
    if isinstance(error, RateLimited):
        seconds = error.params.get("seconds", 1)
        response.headers["Retry-After"] = str(seconds if isinstance(seconds, int) else 1)
    return response


async def login(request: Request) -> Response:
    registry = registry_of(request)
    if request.method == "GET":
        next_path = safe_back(request.query_params.get("next", ""), "/o/")
        if await organiser_cookie(request):
            return RedirectResponse(next_path, status_code=303)
        return _page(request, next_path, None, 200)
    form = form_values(await request.form())
    next_path = safe_back(last(form, "next"), "/o/")
    client = request.client.host if request.client else "unknown"
    key = address_key(client)
    throttle = _throttle(registry)
    now = registry.clock()
    try:
        throttle.check(key, now)
    except RateLimited as error:
        return _page(request, next_path, error, error.status)
    given = last(form, "password")
    if not registry.access.check_password(given, await expected_password(registry)):
        wait = throttle.failed(key, now)
        logger.warning("organiser sign-in refused from %s (next try in %d s)", client, wait)
        refused: SessionError = (
            RateLimited("organiser.sign_in_wait", seconds=wait)
            if wait
            else Unauthorised("organiser.bad_password")
        )
        return _page(request, next_path, refused, refused.status)
    throttle.succeeded(key)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        ORGANISER_COOKIE,
        await registry.sessions.open(),
        max_age=ORGANISER_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """Close the session on the server (its cookie is then worth nothing,
    wherever a copy of it went), and drop the cookie."""
    await registry_of(request).sessions.close(request.cookies.get(ORGANISER_COOKIE))
    response = RedirectResponse("/o/login", status_code=303)
    response.delete_cookie(ORGANISER_COOKIE, httponly=True, samesite="lax")
    return response


async def to_login(request: Request, exc: Exception) -> Response:
    """The answer to :class:`SignInNeeded`: the sign-in page, then back."""
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse(f"/o/login?next={quote(exc.next_path, safe='/')}", status_code=303)
