"""An agency's written answer to a forwarded or deferred question
(``/a/{token}``): the link is signed for one question of one dialogue; the
page shows the question (no personal data) and takes the answer, recorded
through the gateway as ``RecordWrittenAnswer`` by an ``agency`` actor. The
public report shows the answers as they arrive."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from session_server.core.errors import NotFound, SessionError
from session_server.core.model import Actor, QuestionStatus, Role
from session_server.export.record import RecordEntry, build_record, follow_up_status
from session_server.web.gateway import Caller, Gateway, Refusal
from session_server.web.live.hub import Hub
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext, today

__all__ = ["AgencyPage", "agency_answer"]

logger = logging.getLogger(__name__)

AGENCY = Actor(Role.AGENCY)


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


async def _question(registry: Registry, token: str) -> tuple[Hub, int]:
    dialogue_id, question_id = registry.access.read_answer_token(token)
    hub = await registry.get(dialogue_id)
    question = hub.session.state.questions.get(question_id)
    if question is None or question.status not in (
        QuestionStatus.FORWARDED,
        QuestionStatus.DEFERRED,
    ):
        raise NotFound("question.not_found", question=question_id)
    return hub, question_id


def _page(
    request: Request,
    registry: Registry,
    hub: Hub,
    question_id: int,
    error: SessionError | None = None,
    typed: str = "",
    saved: bool = False,
) -> Response:
    state = hub.session.state
    entry = next(
        e for e in build_record(state, named=False).followups if e.question_id == question_id
    )
    view = ScreenContext(state, Audience(Role.AGENCY, lang=request.state.lang))
    values = AgencyPage(
        page_url=request.url.path,
        entry=entry,
        status=follow_up_status(entry, today()),
        csrf=registry.access.csrf_token(request.path_params["token"]),
        post_url=request.url.path,
        refusal=error.messages() if error else None,
        typed=typed or entry.written_answer,
        saved=saved,
    )
    return HTMLResponse(
        registry.renderer.page("agency_answer.html", view, values),
        status_code=error.status if error else 200,
    )


async def agency_answer(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    gateway: Gateway = request.app.state.gateway
    token = request.path_params["token"]
    hub, question_id = await _question(registry, token)
    if request.method == "GET":
        return _page(
            request, registry, hub, question_id, saved=request.query_params.get("saved") == "1"
        )
    form = await request.form()
    csrf, text, agency = (form.get(name) for name in ("csrf", "text", "agency"))
    registry.access.check_csrf(token, csrf if isinstance(csrf, str) else "")
    text = text if isinstance(text, str) else ""
    caller = Caller(hub, AGENCY, address=request.client.host if request.client else "")
    result = await gateway.attempt(
        caller,
        {
            "action": "record_written_answer",
            "question_id": str(question_id),
            "text": text,
            "agency": agency if isinstance(agency, str) else "",
        },
        form=True,
    )
    if isinstance(result, Refusal):
        return _page(request, registry, hub, question_id, error=result.error, typed=text)
    logger.info("dialogue %s: written answer to question %d recorded", hub.dialogue_id, question_id)
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)
