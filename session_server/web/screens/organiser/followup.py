"""Following up forwarded and deferred questions after the day: the
organiser's board (``/o/{dialogue_id}/followup``) lists each question
awaiting a written answer with its agency, deadline and state (pending,
overdue, waiting for acceptance, answered), its agency links and the answer
the agency sent.

Each action is one tap, a form posted to the board and a command through
the gateway, answered by the board with a confirmation or the refusal in
Vietnamese and English:

- **issue a link** for the question's agency (``IssueLink`` of the
  ``agency`` role: the name is fixed here, never by the agency's form);
- **revoke** a link (``RevokeLink``, as for every role link): the agency's
  page refuses it at once;
- **accept** the answer the organiser read (``AcceptWrittenAnswer``): only
  then do the public report and the conclusion notice show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.catalogue import UI
from session_server.core.errors import InvalidInput, SessionError
from session_server.core.model import Role, RoleLink, State, WrittenAnswer
from session_server.core.views import agency_link_expired, agency_link_last_day, default_agency
from session_server.export.record import RecordEntry, build_record, follow_up_status
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

__all__ = ["AgencyLinkRow", "FollowupPage", "FollowupRow", "board"]

STATES = ("pending", "overdue", "awaiting", "answered")
"""A question's follow-up states, in the order the board counts them."""

ACTIONS = frozenset({"issue_link", "revoke_link", "accept_written_answer", "give_fates"})
"""What the board's forms may ask."""


@dataclass(frozen=True)
class AgencyLinkRow:
    link: RoleLink
    url: str
    """"" once the link no longer works."""
    state: str
    """``active``, ``expired`` or ``revoked``."""
    last_day: date | None


@dataclass(frozen=True)
class FollowupRow:
    entry: RecordEntry
    state: str
    """One of :data:`STATES`."""
    answer: WrittenAnswer | None
    """The answer recorded last, accepted or not."""
    accepted: bool
    links: list[AgencyLinkRow] = field(default_factory=list)


@dataclass(frozen=True)
class UnreachedRow:
    """An approved question with no outcome yet, and where it goes by default."""

    entry: RecordEntry
    default_agency: str


@dataclass(frozen=True)
class FollowupPage(OrganiserPage):
    rows: list[FollowupRow] = field(default_factory=list)
    unreached: list[UnreachedRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    post_url: str = ""
    back: str = ""
    need_acceptance: bool = True
    grace_days: int = 0
    done: dict[str, str] | None = None
    """The confirmation of the action just done, Vietnamese and English."""
    refusal: dict[str, str] | None = None
    confirm: RoleLink | None = None
    """An agency's link the organiser asked to revoke, waiting for confirmation."""


def _rows(request: Request, hub: Hub, day: date) -> list[FollowupRow]:
    state = hub.session.state
    now = registry_of(request).now()
    rows = []
    for entry in build_record(state, named=False).followups:
        question = state.questions[entry.question_id]
        answer = question.written_answer
        accepted = answer is not None and answer == question.accepted_answer
        status = follow_up_status(entry, day)
        if answer is not None and not accepted and status != "answered":
            status = "awaiting"
        links = [
            _link_row(request, hub, link, agency_link_expired(state, link, now))
            for link in state.links.values()
            if link.role is Role.AGENCY and link.question_id == entry.question_id
        ]
        rows.append(FollowupRow(entry, status, answer, accepted, links))
    return rows


def _link_row(request: Request, hub: Hub, link: RoleLink, expired: bool) -> AgencyLinkRow:
    state = "revoked" if not link.active else "expired" if expired else "active"
    url = link_url(request, hub.dialogue_id, link) if state == "active" else ""
    return AgencyLinkRow(link, url, state, agency_link_last_day(hub.session.state, link))


def _both(key: str, **params: object) -> dict[str, str]:
    vi, en = UI[key]
    return {"vi": vi.format(**params), "en": en.format(**params)}


def _board(
    request: Request,
    hub: Hub,
    cookie: str,
    *,
    done: dict[str, str] | None = None,
    refusal: SessionError | None = None,
    confirm: RoleLink | None = None,
) -> Response:
    state: State = hub.session.state
    rows = _rows(request, hub, today(registry_of(request).now()))
    unreached = [
        UnreachedRow(entry, default_agency(state, state.questions[entry.question_id]))
        for entry in build_record(state, named=False).every
        if entry.fate == "not_reached"
    ]
    values = FollowupPage(
        page_url=f"/o/{hub.dialogue_id}/followup",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        rows=rows,
        unreached=unreached,
        counts={s: sum(1 for row in rows if row.state == s) for s in STATES},
        post_url=f"/o/{hub.dialogue_id}/followup",
        back=f"/o/{hub.dialogue_id}/followup",
        need_acceptance=state.limits.answers_need_acceptance,
        grace_days=state.limits.agency_grace_days,
        done=done,
        refusal=refusal.messages() if refusal else None,
        confirm=confirm,
    )
    status = refusal.status if refusal else 200
    return render(request, "organiser_followup.html", context(request, state), values, status)


async def board(request: Request) -> Response:
    if request.method == "POST":
        return await _act(request)
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    done = request.query_params.get("done", "")
    question = request.query_params.get("q", "")
    confirmed = (
        _both(f"fu.done.{done}", question=question)
        if done in ACTIONS and question.isdigit()
        else None
    )
    return _board(request, hub, cookie, done=confirmed)


async def _act(request: Request) -> Response:
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    action = last(values, "action")
    if action == "give_fates":
        return await _give_fates(request, hub, cookie, values)
    question = last(values, "question_id")
    message: dict[str, str] = {"action": action, "command_id": last(values, "command_id")}
    if action == "issue_link":
        message |= {
            "link_id": new_link_id(),
            "role": Role.AGENCY.value,
            "question_id": question,
            "agency": last(values, "agency"),
        }
    elif action == "revoke_link":
        message["link_id"] = last(values, "link_id")
        link = hub.session.state.links.get(message["link_id"])
        if link is not None and link.active and last(values, "confirm") != "yes":
            # the agency's page stops at once: the organiser confirms first
            return _board(request, hub, cookie, confirm=link)
    elif action == "accept_written_answer":
        message |= {"question_id": question, "revision": last(values, "revision")}
    else:
        return _board(request, hub, cookie, refusal=InvalidInput("command.unknown"))
    if not message["command_id"]:
        del message["command_id"]
    gateway, organiser = caller(request, hub)
    result = await gateway.attempt(organiser, message, form=True)
    if isinstance(result, Refusal):
        return _board(request, hub, cookie, refusal=result.error)
    anchor = f"#fu-{question}" if question.isdigit() else ""
    return RedirectResponse(
        f"/o/{hub.dialogue_id}/followup?done={action}&q={question}{anchor}", status_code=303
    )


async def _give_fates(
    request: Request, hub: Hub, cookie: str, values: dict[str, list[str]]
) -> Response:
    """Forward or defer each ticked question (single or in bulk), with the
    deadline and note given, each to the agency typed or else its own
    default (its topic's speaker's agency). Stops at the first refusal,
    which names its question; those before it keep their outcome."""
    fate = last(values, "fate")
    if fate not in ("forward", "defer"):
        return _board(request, hub, cookie, refusal=InvalidInput("input.bad_value", field="fate"))
    picked = [qid for qid in values.get("question_ids", []) if qid.isdigit()]
    if not picked:
        return _board(
            request, hub, cookie, refusal=InvalidInput("input.empty", field="question_ids")
        )
    gateway, organiser = caller(request, hub)
    typed = last(values, "agency").strip()
    base_id = last(values, "command_id")
    done = 0
    for qid in dict.fromkeys(picked):
        state = hub.session.state
        question = state.questions.get(int(qid))
        message: dict[str, str] = {
            "question_id": qid,
            "deadline": last(values, "deadline"),
            "note": last(values, "note"),
        }
        if not message["deadline"]:
            del message["deadline"]
        if fate == "forward":
            agency = typed or (default_agency(state, question) if question else "")
            message |= {"action": "forward_question", "agency": agency}
        else:
            message["action"] = "defer_question"
        if base_id:
            message["command_id"] = f"{base_id}-{qid}"[:64]
        result = await gateway.attempt(organiser, message, form=True)
        if isinstance(result, Refusal):
            return _board(request, hub, cookie, refusal=result.error)
        done += 1
    return RedirectResponse(
        f"/o/{hub.dialogue_id}/followup?done=give_fates&q={done}#fu-board", status_code=303
    )
