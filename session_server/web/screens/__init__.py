"""The screens: one module per role screen, each declaring its page, live
fragments, audience, place in the fan-out and typed context
(``screens/base.py``); the pages of role links (``screens/pages.py``); the
organiser's pages (``screens/organiser/``), the public report and the
agency's answer page.

:data:`SCREENS` is the one table of role screens: the hub, the pages, the
socket and the tests read it.
"""

from __future__ import annotations

from session_server.core.model import Role
from session_server.web.screens import (
    bridge,
    checkin,
    display,
    moderator,
    phone,
    secretary,
    speaker,
)
from session_server.web.screens.base import Audience, Fragment, Screen, ScreenContext

__all__ = ["SCREENS", "Audience", "Fragment", "Screen", "ScreenContext", "screen_of"]

SCREENS: dict[Role, Screen] = {
    module.SCREEN.role: module.SCREEN
    for module in (moderator, display, bridge, secretary, speaker, checkin, phone)
}


def screen_of(role: Role) -> Screen | None:
    """The live screen of ``role`` (None for roles without one: the
    organiser's pages are not live, an agency answers by a page)."""
    return SCREENS.get(role)
