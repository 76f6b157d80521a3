"""The organiser's sign-in and sign-out (``/o/login``, ``/o/logout``).

Wrong passwords are throttled per client address (:data:`LOGIN_RATE`).
"""

from __future__ import annotations

import logging
import math
import weakref
from dataclasses import dataclass
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

__all__ = ["LOGIN_RATE", "LoginPage", "login", "logout", "to_login"]

logger = logging.getLogger(__name__)

LOGIN_RATE = Rate(5, 300)
"""Wrong passwords allowed per client address: five at once, then one more
a minute. Once over, every attempt (even the right password) waits."""


@dataclass(frozen=True)
class LoginPage(OrganiserPage):
    next_path: str = "/o/"
    error: dict[str, str] | None = None


class _LoginThrottle:
    """Failed sign-ins per client address, on a token bucket; an address
    over the limit is refused outright until its wait is over."""

    def __init__(self, rate: Rate) -> None:
        self.limiter = RateLimiter(rate)
        self.blocked: dict[str, float] = {}

    def check(self, key: str, now: float) -> None:
        until = self.blocked.get(key)
        if until is None:
            return
        if now < until:
            raise RateLimited("rate.limited", seconds=max(1, math.ceil(until - now)))
        del self.blocked[key]

    def failed(self, key: str, now: float) -> None:
        try:
            self.limiter.hit(key, now)
        except RateLimited as error:
            wait = error.params.get("seconds", 1)
            self.blocked[key] = now + (wait if isinstance(wait, int | float) else 1)
            if len(self.blocked) > 10_000:
                self.blocked = {k: t for k, t in self.blocked.items() if t > now}
            raise


_throttles: weakref.WeakKeyDictionary[Registry, _LoginThrottle] = weakref.WeakKeyDictionary()


def _throttle(registry: Registry) -> _LoginThrottle:
    throttle = _throttles.get(registry)
    if throttle is None:
        throttle = _throttles[registry] = _LoginThrottle(LOGIN_RATE)
    return throttle


def _page(request: Request, next_path: str, error: SessionError | None, status: int) -> Response:
    view = context(request, State(limits=registry_of(request).settings.limits))
    values = LoginPage(
        page_url=request.url.path,
        signed_in=False,
        csrf="",
        next_path=next_path,
        error=error.messages() if error else None,
    )
    return render(request, "organiser_login.html", view, values, status)


async def login(request: Request) -> Response:
    registry = registry_of(request)
    if request.method == "GET":
        next_path = safe_back(request.query_params.get("next", ""), "/o/")
        if organiser_cookie(request):
            return RedirectResponse(next_path, status_code=303)
        return _page(request, next_path, None, 200)
    form = form_values(await request.form())
    next_path = safe_back(last(form, "next"), "/o/")
    client = request.client.host if request.client else "unknown"
    throttle = _throttle(registry)
    now = registry.clock()
    try:
        throttle.check(client, now)
        expected = str(registry.settings.organiser_password)
        if not registry.access.check_password(last(form, "password"), expected):
            logger.warning("organiser sign-in refused from %s", client)
            throttle.failed(client, now)
            refused = Unauthorised("organiser.bad_password")
            return _page(request, next_path, refused, refused.status)
    except RateLimited as error:
        return _page(request, next_path, error, error.status)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        ORGANISER_COOKIE,
        registry.access.organiser_cookie(),
        max_age=ORGANISER_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/o/login", status_code=303)
    response.delete_cookie(ORGANISER_COOKIE, httponly=True, samesite="lax")
    return response


async def to_login(request: Request, exc: Exception) -> Response:
    """The answer to :class:`SignInNeeded`: the sign-in page, then back."""
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse(f"/o/login?next={quote(exc.next_path, safe='/')}", status_code=303)
