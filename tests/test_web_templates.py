"""Every template reads only what its declarations give it.

A template is rendered with ``v`` (its screen's context class), ``s`` (the
state), the globals of the environment, and on a whole page the fields of
its page-values dataclass. These tests read each template's syntax tree
(no rendering) and check that:

- every ``v.name`` a template uses exists on the context class of every
  screen that renders it (a fragment shared by several screens must work
  for each);
- every other name a page uses is a field of its page-values dataclass (or
  set by the template itself, or handed down by the template including it).

Rendering them in every phase is the job of the screens' tests; this one
catches a template asking for something its screen does not have before a
user does.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta, nodes

from session_server.core.model import Role
from session_server.web.render import LIVE, TEMPLATES, Renderer
from session_server.web.screens import ALL_SCREENS, SCREENS
from session_server.web.screens.agency import AgencyPage
from session_server.web.screens.base import LinkPage, ScreenContext
from session_server.web.screens.checkin import PeopleFound
from session_server.web.screens.drafter import DrafterPage
from session_server.web.screens.moderator import InboxPage
from session_server.web.screens.organiser.auth import LoginPage
from session_server.web.screens.organiser.common import OrganiserContext
from session_server.web.screens.organiser.dialogues import DialoguesPage, SetupPage
from session_server.web.screens.organiser.followup import FollowupPage
from session_server.web.screens.organiser.links import LinksPage, QrPage
from session_server.web.screens.organiser.onair import OnAirPage
from session_server.web.screens.organiser.preparation import PrepPage
from session_server.web.screens.organiser.record import ConclusionPage, ImportPage
from session_server.web.screens.organiser.roster import RosterPage
from session_server.web.screens.pages import FoundPage
from session_server.web.screens.plan import PlanPage
from session_server.web.screens.report import ReportPage
from session_server.web.screens.unit import UnitPage

ENV = Renderer().env

PAGES: dict[str, tuple[type[ScreenContext], type]] = {
    **{screen.page: (screen.context, LinkPage) for screen in ALL_SCREENS if screen.page},
    "camera.html": (SCREENS[Role.BRIDGE_OPERATOR].context, LinkPage),
    "organiser_login.html": (OrganiserContext, LoginPage),
    "organiser_list.html": (OrganiserContext, DialoguesPage),
    "organiser.html": (OrganiserContext, SetupPage),
    "organiser_links.html": (OrganiserContext, LinksPage),
    "organiser_qr.html": (OrganiserContext, QrPage),
    "organiser_conclusion.html": (OrganiserContext, ConclusionPage),
    "organiser_import.html": (OrganiserContext, ImportPage),
    "organiser_followup.html": (OrganiserContext, FollowupPage),
    "organiser_onair.html": (OrganiserContext, OnAirPage),
    "_onair_destinations.html": (OrganiserContext, OnAirPage),
    "agency_answer.html": (ScreenContext, AgencyPage),
    "report.html": (ScreenContext, ReportPage),
    "organiser_prep.html": (OrganiserContext, PrepPage),
    "drafter.html": (ScreenContext, DrafterPage),
    "plan.html": (ScreenContext, PlanPage),
    "_phone_found.html": (SCREENS[Role.ATTENDEE].context, FoundPage),
    "_mod_inbox_page.html": (SCREENS[Role.MODERATOR].context, InboxPage),
    "_checkin_found.html": (SCREENS[Role.CHECK_IN].context, PeopleFound),
    "unit_register.html": (ScreenContext, UnitPage),
    "organiser_units.html": (OrganiserContext, RosterPage),
    "organiser_guests.html": (OrganiserContext, RosterPage),
    "organiser_attendance.html": (OrganiserContext, RosterPage),
}
"""Each whole page: the context class of ``v`` and its page values."""

HANDED_DOWN = {
    "_answer_editor.html": {"q"},
    "_floor_card.html": {"q"},
    "_mod_floor.html": {"q"},
    "_mod_inbox_card.html": {"q", "w", "id_prefix"},
    "_phone_item.html": {"q", "prefix"},
    "_phone_public.html": {"top"},
    "_media_panel.html": {"media_mode"},
    "_media_health.html": {"showing"},
    "_refusal.html": {"messages", "again"},
    "base.html": {"ws_url", "page_url", "flash", "epoch", "seq", "server_ms"},
    "organiser_base.html": {"page_url", "signed_in", "dialogue_id"},
    "_org_form.html": {"back", "draft", "flash"},
}
"""Names a partial gets from the template that includes it (a loop's
variable, a ``{% set %}`` before the include), checked where they are set."""


def _source(name: str) -> nodes.Template:
    source = ENV.loader.get_source(ENV, name)[0]  # type: ignore[union-attr]
    return ENV.parse(source)


def _includes(name: str) -> set[str]:
    """Every template ``name`` includes, extends or imports, transitively."""
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        for ref in meta.find_referenced_templates(_source(current)):
            if ref and ref not in found:
                found.add(ref)
                todo.append(ref)
    return found


def _uses_of_v(name: str) -> set[str]:
    return {
        node.attr
        for node in _source(name).find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "v"
    }


def _contexts_of() -> dict[str, set[type[ScreenContext]]]:
    """Each template → the context classes it is rendered with."""
    out: dict[str, set[type[ScreenContext]]] = {}
    for screen in ALL_SCREENS:
        for fragment in screen.fragments:
            for name in {fragment.template, *_includes(fragment.template)}:
                out.setdefault(name, set()).add(screen.context)
    for page, (context, _values) in PAGES.items():
        for name in {page, *_includes(page)}:
            out.setdefault(name, set()).add(context)
    return out


CONTEXTS = _contexts_of()


def test_every_template_is_rendered_by_some_declaration() -> None:
    on_disk = {p.name for p in Path(TEMPLATES).glob("*.html")}
    unused = on_disk - set(CONTEXTS) - {"error.html"}
    assert not unused, f"templates nothing renders: {sorted(unused)}"


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_v_is_asked_only_what_its_screens_have(name: str) -> None:
    for context in CONTEXTS[name]:
        missing = {attr for attr in _uses_of_v(name) if not hasattr(context, attr)}
        # attributes set in __init__ are not on the class: check an instance's names
        missing -= {"s", "aud", "lang", "device_id", "store_ok", "media"}
        assert not missing, f"{name} asks v.{sorted(missing)} of {context.__name__}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_page_reads_only_its_page_values(page: str) -> None:
    _context, values = PAGES[page]
    fields = {f.name for f in dataclasses.fields(values)}
    given = {"v", "s", *ENV.globals, *LIVE}
    for name in {page, *_includes(page)}:
        names = meta.find_undeclared_variables(_source(name))
        names -= _imported_macros(name)
        stray = names - given - fields - HANDED_DOWN.get(name, set())
        assert not stray, f"{name} (in {page}) reads {sorted(stray)}, not in {values.__name__}"


def _imported_macros(name: str) -> set[str]:
    """Names the template gives itself: imported macros, and what it sets
    (Jinja's own analysis counts a ``{% set %}`` inside a branch as unknown)."""
    source = _source(name)
    found: set[str] = set()
    for node in source.find_all(nodes.FromImport):
        for entry in node.names:
            found.add(entry[1] if isinstance(entry, tuple) else entry)
    for assign in source.find_all((nodes.Assign, nodes.AssignBlock)):
        found.update(n.name for n in assign.target.find_all(nodes.Name))
        if isinstance(assign.target, nodes.Name):
            found.add(assign.target.name)
    return found


def test_fragments_pushed_live_need_no_page_values() -> None:
    for screen in ALL_SCREENS:
        for fragment in screen.fragments:
            for name in {fragment.template, *_includes(fragment.template)}:
                names = meta.find_undeclared_variables(_source(name)) - _imported_macros(name)
                stray = names - {"v", "s", *ENV.globals, *LIVE} - HANDED_DOWN.get(name, set())
                assert not stray, f"{fragment.template} → {name} needs {sorted(stray)}"


def test_the_environment_does_not_reload_templates_by_default() -> None:
    assert Renderer().env.auto_reload is False
    assert isinstance(ENV.undefined, type) and issubclass(ENV.undefined, jinja2.StrictUndefined)
