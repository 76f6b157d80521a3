"""Before the day (``/o/{dialogue_id}/prep``): the preparation timeline
(from the city plan's template, each task's owner unit, deadline and
status; overdue tasks marked), the plan's publication (the public page,
``/p/{dialogue_id}``), the drafters' links for suggested answers, and the
MC's script (``/o/{dialogue_id}/mc-script.docx``, made again at each
download).

Every change is a command through the gateway, like every organiser form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.core.deciders.preparation import PRE_COLLECTED
from session_server.core.errors import InvalidInput, SessionError
from session_server.core.model import LOCAL_TZ, Role, RoleLink, State
from session_server.core.preparation import (
    PUBLICATION_NOTICE_DAYS,
    PreparationTask,
    TaskStatus,
    publication_warning,
    task_deadline,
    task_overdue,
    timeline,
)
from session_server.export.mc_script import mc_script_docx
from session_server.web.access import new_link_id
from session_server.web.gateway import Refusal
from session_server.web.live.hub import Hub
from session_server.web.screens.organiser.common import (
    Draft,
    OrganiserPage,
    base_url,
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

__all__ = ["PrepPage", "TaskRow", "mc_script", "prep"]

logger = logging.getLogger(__name__)

ACTIONS = frozenset(
    {
        "apply_preparation_template",
        "set_preparation_task",
        "remove_preparation_task",
        "publish_plan",
        "issue_link",
        "revoke_link",
    }
)
"""What the page's forms may ask."""

FIELDS = ("task_id", "title", "owner", "deadline", "status", "agency", "topic_id", "link_id")


@dataclass(frozen=True)
class TaskRow:
    task: PreparationTask
    deadline: datetime | None
    relative: str
    """The deadline against the day: ``D−15`` (empty without a day or deadline)."""
    overdue: bool


@dataclass(frozen=True)
class DrafterRow:
    link: RoleLink
    url: str
    """"" once revoked."""


@dataclass(frozen=True)
class PrepPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    rows: list[TaskRow] = field(default_factory=list)
    statuses: tuple[TaskStatus, ...] = tuple(TaskStatus)
    local_input: Callable[[datetime | None], str] = local_input
    warning: str | None = None
    """The publication warning's message code (``core/preparation.py``)."""
    notice_days: int = PUBLICATION_NOTICE_DAYS
    public_url: str = ""
    drafters: list[DrafterRow] = field(default_factory=list)
    pre_collected: int = 0
    noted: int = 0
    mc_url: str = ""
    owners: list[str] = field(default_factory=list)
    """Names an owner unit is picked from: the participating units, the
    speakers' agencies and the owners already named."""


def relative_day(state: State, moment: datetime | None) -> str:
    """``D−9`` for a moment nine calendar days before the dialogue's day."""
    starts_at = state.dialogue.starts_at
    if moment is None or starts_at is None:
        return ""
    days = (starts_at.astimezone(LOCAL_TZ).date() - moment.astimezone(LOCAL_TZ).date()).days
    if days >= 0:
        return f"D−{days}" if days else "D"
    return f"D+{-days}"


def owner_names(state: State) -> list[str]:
    names = [task.owner for task in state.preparation.tasks.values()]
    names += [unit.name for unit in state.roster.units.values()]
    names += [speaker.agency for speaker in state.speakers.values()]
    return list(dict.fromkeys(name for name in names if name))


def task_rows(state: State, now: datetime) -> list[TaskRow]:
    return [
        TaskRow(
            task,
            task_deadline(state, task),
            relative_day(state, task_deadline(state, task)),
            task_overdue(state, task, now),
        )
        for task in timeline(state)
    ]


def prep_page(
    request: Request,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> Response:
    state = hub.session.state
    now = registry_of(request).now()
    pre = [q for q in state.questions.values() if q.origin in PRE_COLLECTED]
    values = PrepPage(
        page_url=f"/o/{hub.dialogue_id}/prep",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft or Draft(),
        post_url=f"/o/{hub.dialogue_id}/prep",
        back=f"/o/{hub.dialogue_id}/prep",
        rows=task_rows(state, now),
        warning=publication_warning(state, now),
        public_url=f"{base_url(request)}/p/{hub.dialogue_id}",
        drafters=[
            DrafterRow(link, link_url(request, hub.dialogue_id, link) if link.active else "")
            for link in state.links.values()
            if link.role is Role.DRAFTER
        ],
        pre_collected=len(pre),
        noted=sum(1 for q in pre if q.question_id in state.preparation.suggested_answers),
        mc_url=f"/o/{hub.dialogue_id}/mc-script.docx",
        owners=owner_names(state),
    )
    return render(request, "organiser_prep.html", context(request, state, hub), values, status)


async def prep(request: Request) -> Response:
    if request.method == "POST":
        return await _act(request)
    cookie = await signed_in(request)
    return prep_page(request, await dialogue_hub(request), cookie)


async def _act(request: Request) -> Response:
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    action = last(values, "action")
    anchor = last(values, "back").partition("#")[2]
    refusal: SessionError | None = None
    message: dict[str, str] = {"action": action, "command_id": last(values, "command_id")}
    message |= {name: last(values, name) for name in FIELDS if name in values}
    if action not in ACTIONS:
        refusal = InvalidInput("command.unknown")
    elif action == "issue_link":
        message |= {"link_id": new_link_id(), "role": Role.DRAFTER.value}
    elif action == "revoke_link":
        link = hub.session.state.links.get(message.get("link_id", ""))
        if link is None or link.role is not Role.DRAFTER:
            refusal = InvalidInput("input.bad_value", field="link_id")
    if not message["command_id"]:
        del message["command_id"]
    if refusal is None:
        gateway, organiser = caller(request, hub)
        result = await gateway.attempt(organiser, message, form=True)
        if not isinstance(result, Refusal):
            if action == "publish_plan":
                logger.info("dialogue %s: plan published", hub.dialogue_id)
            return RedirectResponse(
                f"/o/{hub.dialogue_id}/prep{'#' + anchor if anchor else ''}", status_code=303
            )
        refusal = result.error
    return prep_page(
        request,
        hub,
        cookie,
        flash=refusal.message(request.state.lang),
        status=refusal.status,
        draft=Draft.of(values),
    )


async def mc_script(request: Request) -> Response:
    """The MC's script, made again from the state at each download."""
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    return Response(
        mc_script_docx(hub.session.state),
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="kich-ban-{hub.dialogue_id}.docx"'},
    )
