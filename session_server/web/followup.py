"""Following up forwarded and deferred questions after the day.

The organiser's board (``/o/{dialogue_id}/followup``) lists each question
awaiting a written answer with its agency, deadline and state (pending,
overdue, answered) and a link for the agency. That link (``/a/{token}``) is
signed for one question of one dialogue: it shows the question (no personal
data) and takes the agency's written answer, recorded through the core as
``RecordWrittenAnswer`` by an ``agency`` actor. The public report shows the
answers as they arrive.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from session_server.core.commands import RecordWrittenAnswer
from session_server.core.errors import NotFound, SessionError
from session_server.core.model import Actor, QuestionStatus, Role
from session_server.export.record import build_record, follow_up_status
from session_server.web.actions import LOCAL_TZ
from session_server.web.hub import Hub
from session_server.web.organiser import (
    _base_url,
    _hub,
    _last,
    _render,
    _respond,
    _values,
    _view,
    signed_in_hub,
)
from session_server.web.registry import Registry
from session_server.web.screens import check_origin, language, registry_of, render_error

__all__ = ["routes", "today"]

logger = logging.getLogger(__name__)

AGENCY = Actor(Role.AGENCY)


def today() -> date:
    """Today in Vietnam: what "overdue" is measured against."""
    return datetime.now(LOCAL_TZ).date()


async def board(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    record = build_record(hub.session.state, named=False)
    day = today()
    base = _base_url(request, registry)
    rows = [
        (entry, follow_up_status(entry, day),
         f"{base}/a/{registry.access.answer_token(hub.dialogue_id, entry.question_id)}")
        for entry in record.followups
    ]
    return _render(
        request, registry, "organiser_followup.html", _view(hub.session.state, language(request)),
        cookie=cookie, page_url=f"/o/{hub.dialogue_id}/followup", dialogue_id=hub.dialogue_id,
        rows=rows, counts={s: sum(1 for _e, st, _u in rows if st == s)
                           for s in ("pending", "overdue", "answered")},
    )


async def _claim(request: Request, registry: Registry) -> tuple[Hub, int]:
    dialogue_id, question_id = registry.access.read_answer_token(request.path_params["token"])
    hub = await _hub(registry, dialogue_id)
    question = hub.session.state.questions.get(question_id)
    if question is None or question.status not in (QuestionStatus.FORWARDED,
                                                    QuestionStatus.DEFERRED):
        raise NotFound("question.not_found", question=question_id)
    return hub, question_id


def _answer_page(request: Request, registry: Registry, hub: Hub, question_id: int,
                 error: SessionError | None = None, typed: str = "",
                 saved: bool = False) -> HTMLResponse:
    state = hub.session.state
    entry = next(e for e in build_record(state, named=False).followups
                 if e.question_id == question_id)
    token = request.path_params["token"]
    html = registry.renderer.page(
        "agency_answer.html", _view(state, language(request)),
        page_url=request.url.path, entry=entry, status=follow_up_status(entry, today()),
        csrf=registry.access.csrf_token(token), post_url=request.url.path,
        refusal=error.messages() if error else None,
        typed=typed or entry.written_answer, saved=saved,
    )
    response = _respond(request, html, error.status if error else 200)
    # same-origin, not no-referrer: with no-referrer browsers post the form
    # with "Origin: null", which check_origin refuses
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def agency_answer(request: Request) -> Response:
    registry = registry_of(request)
    try:
        hub, question_id = await _claim(request, registry)
    except SessionError as error:
        return render_error(request, error)
    if request.method == "GET":
        return _answer_page(request, registry, hub, question_id,
                            saved=request.query_params.get("saved") == "1")
    values = _values(await request.form())
    try:
        check_origin(registry, request.headers, request.headers.get("host"), request.url.scheme)
        registry.access.check_csrf(request.path_params["token"], _last(values, "csrf"))
    except SessionError as error:
        return render_error(request, error)
    text = _last(values, "text")
    try:
        await hub.execute(RecordWrittenAnswer(AGENCY, question_id, text,
                                              _last(values, "agency")))
    except SessionError as error:
        return _answer_page(request, registry, hub, question_id, error=error, typed=text)
    logger.info("dialogue %s: written answer to question %d recorded", hub.dialogue_id,
                question_id)
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)


routes: list[BaseRoute] = [
    Route("/o/{dialogue_id}/followup", board),
    Route("/a/{token}", agency_answer, methods=["GET", "POST"]),
]
