"""The organiser's dialogues (``/o/``: list and create), a dialogue's setup
page (``/o/{dialogue_id}``) and every change to it (``/o/{dialogue_id}/act``).

A form posted to ``act`` becomes a command through the gateway; issuing the
standard set of links is the one action that is several commands. A
refused form shows its page again with the message and what was typed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.catalogue import UI
from session_server.core.deciders.setup import NEXT_PHASE
from session_server.core.errors import IllegalTransition, InvalidInput, SessionError
from session_server.core.links import standard_links
from session_server.core.model import LOCAL_TZ, BridgeKind, Phase, ProgrammeKind, State
from session_server.core.preparation import (
    PUBLICATION_NOTICE_DAYS,
    PreparationTask,
    overdue_tasks,
    publication_warning,
)
from session_server.core.programme import CITY_PLAN_PROGRAMME
from session_server.core.text import fold_text
from session_server.store.base import check_dialogue_id
from session_server.web.access import new_link_id
from session_server.web.gateway import Caller, Refusal
from session_server.web.live.hub import Hub
from session_server.web.registry import Registry
from session_server.web.screens.organiser.common import (
    ORGANISER,
    Draft,
    OrganiserPage,
    caller,
    check_form,
    context,
    dialogue_hub,
    form_values,
    last,
    registry_of,
    render,
    safe_back,
    signed_in,
    split_list,
)
from session_server.web.screens.organiser.links import links_page

__all__ = ["DialoguesPage", "SetupPage", "act", "dialogues", "setup"]

logger = logging.getLogger(__name__)

LIST_FIELDS = frozenset({"speaker_ids", "topic_ids"})
"""Fields sent as checkboxes (several values) or as comma-separated ids."""

LINE_FIELDS = frozenset({"legal_basis"})
"""Fields typed in a textarea, one entry a line."""

STANDARD_LINKS = "issue_standard_links"
"""The one form action that is not a single core command."""

RESERVED_IDS = frozenset({"login", "logout"})
"""Dialogue ids that would be hidden by the organiser's own pages."""


@dataclass(frozen=True)
class DialoguesPage(OrganiserPage):
    dialogues: list[tuple[str, State]] = field(default_factory=list)


@dataclass(frozen=True)
class SetupPage(OrganiserPage):
    media_on: bool = False
    post_url: str = ""
    back: str = ""
    next_phase: Phase | None = None
    local_input: Callable[[datetime | None], str] = lambda moment: ""
    programme_text: str = ""
    programme_kinds: list[ProgrammeKind] = field(default_factory=list)
    bridge_kinds: list[BridgeKind] = field(default_factory=list)
    overdue: list[PreparationTask] = field(default_factory=list)
    """Preparation tasks not done past their deadline (``/o/{id}/prep``)."""
    plan_warning: str | None = None
    """The plan's publication warning, a message code, or None."""
    notice_days: int = PUBLICATION_NOTICE_DAYS


def local_input(moment: datetime | None) -> str:
    """A moment as an ``<input type="datetime-local">`` value, Vietnam time."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def command_data(values: Mapping[str, list[str]]) -> dict[str, Any]:
    """The form as the gateway takes it: one string a field, lists for the
    tuple fields."""
    data: dict[str, Any] = {}
    for key, found in values.items():
        if key in LIST_FIELDS:
            data[key] = split_list(found)
        elif key in LINE_FIELDS:
            data[key] = [
                line.strip() for value in found for line in value.splitlines() if line.strip()
            ]
        else:
            data[key] = found[-1]
    return data


PROGRAMME_TEMPLATE = "programme_template"
"""The form action that sets the city plan's seven items."""

ROW_FIELDS = ("item_id", "title", "kind", "minutes")
"""The programme editor's columns, one value per row each."""


def _kind(text: str) -> str | None:
    """A programme kind by its code or its Vietnamese or English name."""
    folded = fold_text(text)
    for kind in ProgrammeKind:
        names = (kind.value, *UI[f"org.kind.{kind.value}"])
        if folded in {fold_text(name) for name in names}:
            return kind.value
    return None


def programme_items(text: str) -> list[dict[str, str]] | Refusal:
    """Programme lines ``[id |] title | kind | minutes``, one item a line
    (the kind by code or by name); an item without an id gets one made
    from its title."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3:
            parts.insert(0, "")
        if len(parts) != 4:
            return Refusal(InvalidInput("input.bad_value", field="programme"))
        item_id, title, kind, minutes = parts
        found = _kind(kind)
        if found is None or not (minutes or "0").isdigit():
            return Refusal(InvalidInput("input.bad_value", field="programme"))
        items.append(
            {"item_id": item_id, "title": title, "kind": found, "planned_minutes": minutes or "0"}
        )
    return items


def programme_rows(values: Mapping[str, list[str]]) -> list[dict[str, str]] | Refusal:
    """The programme editor's rows (an item id, kept, for each row already
    there; none for a new row), in order; rows left without a title or
    ticked for removal are dropped."""
    columns = [values.get(name, []) for name in ROW_FIELDS]
    count = max(len(column) for column in columns)
    if any(len(column) != count for column in columns):
        return Refusal(InvalidInput("input.bad_value", field="programme"))
    removed = set(values.get("remove", []))
    items = []
    for item_id, title, kind, minutes in zip(*columns, strict=True):
        if not title.strip() or (item_id and item_id in removed):
            continue
        found = _kind(kind)
        if found is None or not (minutes.strip() or "0").isdigit():
            return Refusal(InvalidInput("input.bad_value", field="programme"))
        items.append(
            {
                "item_id": item_id,
                "title": title,
                "kind": found,
                "planned_minutes": minutes.strip() or "0",
            }
        )
    return items


# --- the dialogues ---------------------------------------------------------------------


def _dialogues_page(
    request: Request, cookie: str, flash: str = "", status: int = 200, draft: Draft | None = None
) -> Response:
    registry = registry_of(request)
    found = []
    for dialogue_id in sorted(registry.known):
        hub = registry.hubs.get(dialogue_id)
        if hub is not None and hub.session.state.created:
            found.append((dialogue_id, hub.session.state))
    values = DialoguesPage(
        page_url="/o/",
        signed_in=True,
        csrf=registry.access.csrf_token(cookie),
        flash=flash,
        draft=draft or Draft(),
        dialogues=found,
    )
    return render(
        request,
        "organiser_list.html",
        context(request, State(limits=registry.settings.limits)),
        values,
        status,
    )


async def dialogues(request: Request) -> Response:
    cookie = await signed_in(request)
    if request.method == "GET":
        return _dialogues_page(request, cookie)
    registry = registry_of(request)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    dialogue_id = last(values, "dialogue_id").strip()
    result = await _create(request, registry, dialogue_id, last(values, "title"))
    if isinstance(result, Refusal):
        return _dialogues_page(
            request,
            cookie,
            flash=result.error.message(request.state.lang),
            status=result.error.status,
            draft=Draft.of(values),
        )
    logger.info("dialogue %s created by the organiser", dialogue_id)
    return RedirectResponse(f"/o/{dialogue_id}", status_code=303)


async def _create(
    request: Request, registry: Registry, dialogue_id: str, title: str
) -> Hub | Refusal:
    """A new dialogue, or why not (an id taken or reserved, a bad title)."""
    refusal = _id_refusal(registry, dialogue_id)
    if refusal is not None:
        return refusal
    hub = await registry.open(dialogue_id)
    gateway, organiser = caller(request, hub)
    result = await gateway.attempt(
        organiser, {"action": "create_dialogue", "title": title}, form=True
    )
    return result if isinstance(result, Refusal) else hub


def _id_refusal(registry: Registry, dialogue_id: str) -> Refusal | None:
    if dialogue_id in RESERVED_IDS:
        return Refusal(InvalidInput("dialogue.reserved_id", dialogue=dialogue_id))
    try:
        check_dialogue_id(dialogue_id)
    except SessionError as error:
        return Refusal(error)
    hub = registry.hubs.get(dialogue_id)
    if hub is not None and hub.session.state.created:
        return Refusal(IllegalTransition("dialogue.exists"))
    return None


# --- a dialogue's setup ------------------------------------------------------------------


def setup_page(
    request: Request,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> Response:
    state = hub.session.state
    programme = "\n".join(
        f"{item.item_id} | {item.title} | {item.kind.value} | {item.planned_minutes}"
        for item in state.programme
    )
    values = SetupPage(
        page_url=f"/o/{hub.dialogue_id}",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft or Draft(),
        media_on=hub.media is not None,
        post_url=f"/o/{hub.dialogue_id}/act",
        back=f"/o/{hub.dialogue_id}",
        next_phase=NEXT_PHASE.get(state.dialogue.phase),
        local_input=local_input,
        programme_text=programme,
        programme_kinds=list(ProgrammeKind),
        bridge_kinds=list(BridgeKind),
        overdue=overdue_tasks(state, registry_of(request).now()),
        plan_warning=publication_warning(state, registry_of(request).now()),
    )
    return render(request, "organiser.html", context(request, state, hub), values, status)


async def setup(request: Request) -> Response:
    cookie = await signed_in(request)
    return setup_page(request, await dialogue_hub(request), cookie)


# --- every change to a dialogue ------------------------------------------------------------

_link_locks: weakref.WeakKeyDictionary[Hub, asyncio.Lock] = weakref.WeakKeyDictionary()


async def _standard_links(request: Request, organiser: Caller) -> None:
    """One link of each standard kind that does not exist yet, one at a time
    (two clicks must not issue two sets)."""
    gateway, _ = caller(request, organiser.hub)
    hub = organiser.hub
    lock = _link_locks.setdefault(hub, asyncio.Lock())
    async with lock:
        for issue in standard_links(hub.session.state, ORGANISER, new_link_id):
            await gateway.run(organiser, issue)


async def act(request: Request) -> Response:
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    back = safe_back(last(values, "back"), f"/o/{hub.dialogue_id}")
    gateway, organiser = caller(request, hub)
    if last(values, "action") == STANDARD_LINKS:
        await _standard_links(request, organiser)
        return RedirectResponse(back, status_code=303)
    if last(values, "action") == PROGRAMME_TEMPLATE:
        values = {
            "action": ["set_programme"],
            **({"command_id": values["command_id"]} if values.get("command_id") else {}),
            "item_id": [item.item_id for item in CITY_PLAN_PROGRAMME],
            "title": [item.title for item in CITY_PLAN_PROGRAMME],
            "kind": [item.kind.value for item in CITY_PLAN_PROGRAMME],
            "minutes": [str(item.planned_minutes) for item in CITY_PLAN_PROGRAMME],
        }
    rows = last(values, "action") == "set_programme" and "title" in values
    data = command_data({k: v for k, v in values.items() if not (rows and k in ROW_FIELDS)})
    if data.get("action") == "revoke_link" and last(values, "confirm") != "yes":
        # a link's open screens close at once: the organiser confirms first
        link = hub.session.state.links.get(str(data.get("link_id", "")))
        if link is not None and link.active:
            return links_page(request, hub, cookie, confirm=link)
    if data.get("action") == "issue_link":
        data["link_id"] = new_link_id()
    result: Any = None
    if rows:
        data.pop("remove", None)
        result = data["items"] = programme_rows(values)
    elif data.get("action") == "set_programme":
        result = data["items"] = programme_items(str(data.get("items", "")))
    if not isinstance(result, Refusal):
        result = await gateway.attempt(organiser, data, form=True)
    if isinstance(result, Refusal):
        page = links_page if back.split("#")[0].split("?")[0].endswith("/links") else setup_page
        return page(
            request,
            hub,
            cookie,
            flash=result.error.message(request.state.lang),
            status=result.error.status,
            draft=Draft.of(values),
        )
    return RedirectResponse(back, status_code=303)
