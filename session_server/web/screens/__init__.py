"""The screens: one module per role screen, each declaring its page, live
fragments, audience, place in the fan-out and typed context
(``screens/base.py``), and the other views of a link (:data:`VIEWS`: the
broadcast overlay, ``screens/overlay.py``); the pages of role links (``screens/pages.py``); the
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
    overlay,
    phone,
    secretary,
    speaker,
)
from session_server.web.screens.base import Audience, Fragment, Screen, ScreenContext

__all__ = [
    "ALL_SCREENS",
    "SCREENS",
    "VIEWS",
    "Audience",
    "Fragment",
    "Screen",
    "ScreenContext",
    "screen_for",
    "screen_of",
]

SCREENS: dict[Role, Screen] = {
    module.SCREEN.role: module.SCREEN
    for module in (moderator, display, bridge, secretary, speaker, checkin, phone)
}

VIEWS: dict[tuple[Role, str], Screen] = {
    (screen.role, screen.view): screen for screen in (overlay.OVERLAY, overlay.FEED)
}
"""The other views of a role's link (``?view=`` on its socket): a hall
display's broadcast overlay and its JSON feed."""

ALL_SCREENS: tuple[Screen, ...] = (*SCREENS.values(), *VIEWS.values())


def screen_of(role: Role) -> Screen | None:
    """The live screen of ``role`` (None for roles without one: the
    organiser's pages are not live, an agency answers by a page)."""
    return SCREENS.get(role)


def screen_for(audience: Audience) -> Screen:
    """The screen ``audience`` sees: its role's, or a view of its link."""
    if audience.view:
        return VIEWS[(audience.role, audience.view)]
    return SCREENS[audience.role]
