"""Before the day and at the doors, the organiser's pages:

- **units** (``/o/{dialogue_id}/units``): the quota rule and the
  registration deadline, the participating units with their quota (the
  rule's or an override), how many each registered and how many are
  missing, each unit's registration link (``/u/…``), its invitations, and
  imports of unit and delegate lists (CSV/XLSX, ``export/roster_import.py``);
- **guests** (``/o/{dialogue_id}/guests``): invited guests by category and
  precedence, each with an invitation;
- **attendance** (``/o/{dialogue_id}/attendance``): checked in / expected
  and walk-ins at each bridge point (refreshed every few seconds), each
  door's check-in link and its printable list of delegates.

Every change is a command through the gateway like any other organiser
form; a refusal is shown on the page, in Vietnamese and English.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.catalogue import UI
from session_server.core.errors import InvalidInput, NotFound, PayloadTooLarge, SessionError
from session_server.core.model import Role
from session_server.core.registration import Delegate, GuestCategory, QuotaRule, UnitKind
from session_server.core.roster import (
    BridgeAttendance,
    UnitFill,
    attendance,
    attendance_total,
    guests_in_precedence,
    unit_delegates,
    unit_fill,
)
from session_server.export.intake import MAX_BYTES
from session_server.export.invitation import (
    invitations,
    render_delegate_list,
    render_invitations,
    sign_in_list,
)
from session_server.export.roster_import import RosterPlan, plan_roster_import
from session_server.web.access import new_link_id
from session_server.web.gateway import Refusal
from session_server.web.live.hub import Hub
from session_server.web.screens.base import today
from session_server.web.screens.organiser.common import (
    OrganiserPage,
    caller,
    check_form,
    context,
    dialogue_hub,
    form_values,
    last,
    link_url,
    registry_of,
    render,
    signed_in,
)
from session_server.web.screens.organiser.dialogues import local_input
from session_server.web.screens.unit import DOCX

__all__ = ["RosterPage", "attendance_page", "delegate_list", "guests", "invitation", "units"]

logger = logging.getLogger(__name__)

ACTIONS = frozenset(
    {
        "set_quota_rule",
        "set_registration_deadline",
        "set_unit",
        "remove_unit",
        "set_guest",
        "withdraw_delegate",
        "issue_link",
    }
)
"""What these pages' forms may ask (besides an import)."""


@dataclass(frozen=True)
class RosterPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    fills: list[UnitFill] = field(default_factory=list)
    unit_links: dict[str, str] = field(default_factory=dict)
    """Unit id → its active registration link's address."""
    guests: list[Delegate] = field(default_factory=list)
    rows: list[BridgeAttendance] = field(default_factory=list)
    total: tuple[int, int] = (0, 0)
    """(present, expected) at every bridge point."""
    door_links: dict[str, str] = field(default_factory=dict)
    """Bridge point id → its active check-in link's address."""
    rule: QuotaRule = field(default_factory=QuotaRule)
    deadline: str = ""
    kinds: tuple[UnitKind, ...] = tuple(UnitKind)
    categories: tuple[GuestCategory, ...] = tuple(GuestCategory)
    done: dict[str, str] | None = None
    refusal: dict[str, str] | None = None
    plan: RosterPlan | None = None
    imported: int = 0
    new_id: str = field(default_factory=new_link_id)


def _links(request: Request, hub: Hub, role: Role) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in hub.session.state.links.values():
        key = link.unit_id if role is Role.UNIT_REGISTRAR else link.bridge_id
        if link.role is role and link.active and key and key not in found:
            found[key] = link_url(request, hub.dialogue_id, link)
    return found


def _page(
    request: Request,
    hub: Hub,
    cookie: str,
    which: str,
    *,
    refusal: SessionError | None = None,
    plan: RosterPlan | None = None,
    imported: int = 0,
) -> Response:
    state = hub.session.state
    done = request.query_params.get("done", "")
    path = f"/o/{hub.dialogue_id}/{which}"
    present = attendance_total(state)
    rows = attendance(state)
    values = RosterPage(
        page_url=path,
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        post_url=path,
        back=path,
        fills=unit_fill(state),
        unit_links=_links(request, hub, Role.UNIT_REGISTRAR),
        guests=guests_in_precedence(state),
        rows=rows,
        total=(present, sum(r.expected for r in rows)),
        door_links=_links(request, hub, Role.CHECK_IN),
        rule=state.roster.quota_rule,
        deadline=local_input(state.roster.deadline),
        done=_both(f"ros.done.{done}") if done in ACTIONS | {"import"} and not refusal else None,
        refusal=refusal.messages() if refusal else None,
        plan=plan,
        imported=imported,
    )
    template = f"organiser_{which}.html"
    status = refusal.status if refusal else 200
    return render(request, template, context(request, state), values, status)


def _both(key: str) -> dict[str, str]:
    vi, en = UI[key]
    return {"vi": vi, "en": en}


async def units(request: Request) -> Response:
    return await _handle(request, "units")


async def guests(request: Request) -> Response:
    return await _handle(request, "guests")


async def attendance_page(request: Request) -> Response:
    return await _handle(request, "attendance")


async def _handle(request: Request, which: str) -> Response:
    if request.method == "GET":
        cookie = await signed_in(request)
        return _page(request, await dialogue_hub(request), cookie, which)
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await _import(request, hub, cookie, which)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    action = last(values, "action")
    if action not in ACTIONS:
        return _page(request, hub, cookie, which, refusal=InvalidInput("command.unknown"))
    skip = {"csrf", "back", "form"}
    message: dict[str, str] = {k: v[-1] for k, v in values.items() if k not in skip and v}
    if action == "issue_link":
        message["link_id"] = new_link_id()
        if message.get("role") not in (Role.UNIT_REGISTRAR.value, Role.CHECK_IN.value):
            return _page(request, hub, cookie, which, refusal=InvalidInput("link.bad_role"))
        bridge = hub.session.state.bridges.get(message.get("bridge_id", ""))
        if bridge is not None:
            message.setdefault("label", bridge.name)  # the door's link says where
    if action == "set_unit" and not message.get("quota_override"):
        message.pop("quota_override", None)  # the rule's quota
    gateway, organiser = caller(request, hub)
    result = await gateway.attempt(organiser, message, form=True)
    if isinstance(result, Refusal):
        return _page(request, hub, cookie, which, refusal=result.error)
    return RedirectResponse(f"/o/{hub.dialogue_id}/{which}?done={action}", status_code=303)


async def _import(request: Request, hub: Hub, cookie: str, which: str) -> Response:
    """A list of units or of delegates: the good rows are imported at once;
    each refused row is listed with the core's reason."""
    try:
        length = int(request.headers.get("content-length") or "0")
    except ValueError:
        length = 0
    if length > MAX_BYTES + 64 * 1024:
        error = PayloadTooLarge("import.too_large", limit=MAX_BYTES)
        return _page(request, hub, cookie, which, refusal=error)
    async with request.form(max_files=1, max_fields=10) as form:
        values = form_values(form)
        upload = form.get("file")
        check_form(request, cookie, values)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(request, hub, cookie, which, refusal=InvalidInput("import.no_file"))
        data = await upload.read(MAX_BYTES + 1)
        filename = upload.filename
    kind = "units" if last(values, "kind") == "units" else "delegates"
    gateway, organiser = caller(request, hub)
    try:
        plan = plan_roster_import(
            hub.session.state, data, filename, kind, organiser.actor, datetime.now(UTC)
        )
    except SessionError as error:  # the file as a whole
        return _page(request, hub, cookie, which, refusal=error)
    result = await gateway.attempt_batch(organiser, [command for _row, command in plan.commands])
    if isinstance(result, Refusal):
        return _page(request, hub, cookie, which, refusal=result.error, plan=plan)
    logger.info("dialogue %s: %d %s imported", hub.dialogue_id, len(result.records), kind)
    return _page(request, hub, cookie, which, plan=plan, imported=len(result.records))


async def invitation(request: Request) -> Response:
    """``/o/{d}/invitations/{who}.docx``: one guest's or delegate's
    invitation (``who`` = a delegate id), or a unit's (``unit-{unit_id}``)."""
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    state = hub.session.state
    who = request.path_params["who"]
    if who.startswith("unit-") and who[5:] in state.roster.units:
        people = unit_delegates(state, who[5:])
    elif who in state.roster.delegates:
        people = [state.roster.delegates[who]]
    else:
        raise NotFound("delegate.not_found")
    words = invitations(state, people, issued_on=today(registry_of(request).now()))
    data = await asyncio.to_thread(render_invitations, words)  # off the screens' event loop
    return Response(
        data,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="giay-moi-{who}.docx"'},
    )


async def delegate_list(request: Request) -> Response:
    """``/o/{d}/delegates/{bridge_id}.docx``: a bridge point's sign-in list."""
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    bridge_id = request.path_params["bridge_id"]
    if bridge_id not in hub.session.state.bridges:
        raise NotFound("bridge.not_found", bridge=bridge_id)
    listing = sign_in_list(
        hub.session.state, bridge_id, issued_on=today(registry_of(request).now())
    )
    data = await asyncio.to_thread(render_delegate_list, listing)  # off the screens' event loop
    return Response(
        data,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="dai-bieu-{bridge_id}.docx"'},
    )
