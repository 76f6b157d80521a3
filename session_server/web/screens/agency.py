"""An agency's written answer to a forwarded or deferred question
(``/a/{token}``).

The link is a role link of the ``agency`` role issued by the organiser for
one question, with the agency's name fixed when it was issued (the follow-up
board, ``organiser/followup.py``): the name never comes from the form. It
stops at once when revoked and expires ``AGENCY_GRACE_DAYS`` after the
question's deadline (the page then says so and changes nothing). The page
shows the question (no personal data) and takes the answer, recorded
through the gateway as ``RecordWrittenAnswer`` by the link's ``agency``
actor, a few saves a minute per link (``RATE_AGENCY``). The public report
shows an answer once the organiser accepts it
(``AGENCY_ANSWERS_NEED_ACCEPTANCE``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from session_server.core.errors import Forbidden, NotFound, SessionError
from session_server.core.model import QuestionStatus, Role, RoleLink, WrittenAnswer
from session_server.core.views import agency_link_expired, agency_link_last_day
from session_server.export.record import RecordEntry, build_record, follow_up_status
from session_server.web.gateway import Gateway, LinkCaller, Refusal
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext, today

__all__ = ["AgencyPage", "agency_answer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgencyPage:
    page_url: str
    entry: RecordEntry
    status: str
    csrf: str
    post_url: str
    refusal: dict[str, str] | None
    typed: str
    saved: bool
    agency: str
    """The name the link answers under (fixed by the organiser)."""
    last_day: date | None
    """The last day the link works."""
    answer: WrittenAnswer | None
    """The answer recorded last, accepted or not."""
    accepted: bool
    """Whether that answer is the one the organiser accepted."""


async def _caller(request: Request) -> tuple[LinkCaller, RoleLink]:
    """The agency's link, refused when it is not one, is revoked or has
    expired, or when its question no longer awaits a written answer."""
    registry: Registry = request.app.state.registry
    gateway: Gateway = request.app.state.gateway
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(request.path_params["token"], address=address, agency=True)
    link = caller.link
    assert link is not None
    state = caller.hub.session.state
    question = state.questions.get(link.question_id if link.question_id is not None else -1)
    if question is None or question.status not in (
        QuestionStatus.FORWARDED,
        QuestionStatus.DEFERRED,
    ):
        raise NotFound("question.not_found", question=link.question_id)
    if agency_link_expired(state, link, registry.now()):
        raise Forbidden("link.expired")
    return caller, link


def _page(
    request: Request,
    registry: Registry,
    caller: LinkCaller,
    link: RoleLink,
    error: SessionError | None = None,
    typed: str = "",
    saved: bool = False,
) -> Response:
    state = caller.hub.session.state
    question_id = link.question_id
    entry = next(
        e for e in build_record(state, named=False).followups if e.question_id == question_id
    )
    question = state.questions[entry.question_id]
    answer = question.written_answer
    view = ScreenContext(state, Audience(Role.AGENCY, lang=request.state.lang))
    values = AgencyPage(
        page_url=request.url.path,
        entry=entry,
        status=follow_up_status(entry, today(registry.now())),
        csrf=registry.access.csrf_token(request.path_params["token"]),
        post_url=request.url.path,
        refusal=error.messages() if error else None,
        typed=typed or (answer.text if answer else ""),
        saved=saved,
        agency=link.agency,
        last_day=agency_link_last_day(state, link),
        answer=answer,
        accepted=answer is not None and answer == question.accepted_answer,
    )
    return HTMLResponse(
        registry.renderer.page("agency_answer.html", view, values),
        status_code=error.status if error else 200,
    )


async def agency_answer(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    gateway: Gateway = request.app.state.gateway
    token = request.path_params["token"]
    caller, link = await _caller(request)
    if request.method == "GET":
        saved = request.query_params.get("saved") == "1"
        return _page(request, registry, caller, link, saved=saved)
    form = await request.form()
    csrf, text = form.get("csrf"), form.get("text")
    registry.access.check_csrf(token, csrf if isinstance(csrf, str) else "")
    text = text if isinstance(text, str) else ""
    message = {"action": "record_written_answer", "question_id": str(link.question_id)}
    result = await gateway.attempt(caller, {**message, "text": text}, form=True)
    if isinstance(result, Refusal):
        if isinstance(result.error, Forbidden):
            raise result.error  # revoked or expired meanwhile: the page says so
        return _page(request, registry, caller, link, error=result.error, typed=text)
    logger.info(
        "dialogue %s: written answer to question %s recorded by link %s",
        caller.hub.dialogue_id,
        link.question_id,
        link.link_id,
    )
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)
