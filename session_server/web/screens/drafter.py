"""Suggested answers (gợi ý nội dung trả lời) to the pre-collected questions
(``/g/{token}``), drafted by the unit compiling them or by a topic's agency.

The link is a role link of the ``drafter`` role issued by the organiser
(``organiser/preparation.py``) under a name the organiser fixed, for every
pre-collected question or one topic's; it stops at once when revoked. The
page lists those questions with their asker's unit hidden (the drafter
needs the question, not who asked) and takes one note per question,
recorded through the gateway as ``DraftSuggestedAnswer`` by the link's
``drafter`` actor. A note is shown to the question's speaker only
(``screens/speaker.py``): never on a public screen, an export for the
public or a phone."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from session_server.core.deciders.preparation import PRE_COLLECTED
from session_server.core.errors import Forbidden, SessionError
from session_server.core.model import Question, QuestionStatus, Role, RoleLink
from session_server.core.preparation import SuggestedAnswer
from session_server.web.gateway import Gateway, LinkCaller, Refusal
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext

__all__ = ["DrafterPage", "drafter_page"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftRow:
    question: Question
    note: SuggestedAnswer | None
    typed: str
    """What the box shows: the note, or what was typed into a refused form."""


@dataclass(frozen=True)
class DrafterPage:
    page_url: str
    post_url: str
    csrf: str
    name: str
    """The name the link drafts under (fixed by the organiser)."""
    topic: str
    """The link's topic, or "" for every pre-collected question."""
    rows: list[DraftRow]
    refusal: dict[str, str] | None
    refused: int | None
    """The question whose note was refused (its box keeps the text)."""
    saved: int | None


def _questions(caller: LinkCaller, link: RoleLink) -> list[Question]:
    state = caller.hub.session.state
    return [
        q
        for q in state.questions.values()
        if q.origin in PRE_COLLECTED
        and q.status not in (QuestionStatus.REJECTED, QuestionStatus.MERGED)
        and (link.topic_id is None or q.topic_id == link.topic_id)
    ]


def _page(
    request: Request,
    caller: LinkCaller,
    link: RoleLink,
    *,
    error: SessionError | None = None,
    refused: int | None = None,
    typed: str = "",
    saved: int | None = None,
) -> Response:
    registry: Registry = request.app.state.registry
    state = caller.hub.session.state
    notes = state.preparation.suggested_answers
    rows = []
    for question in _questions(caller, link):
        note = notes.get(question.question_id)
        text = typed if question.question_id == refused else (note.text if note else "")
        rows.append(DraftRow(question, note, text))
    view = ScreenContext(state, Audience(Role.DRAFTER, lang=request.state.lang))
    values = DrafterPage(
        page_url=request.url.path,
        post_url=request.url.path,
        csrf=registry.access.csrf_token(request.path_params["token"]),
        name=link.agency,
        topic=view.topic_name(link.topic_id) if link.topic_id else "",
        rows=rows,
        refusal=error.messages() if error else None,
        refused=refused,
        saved=saved,
    )
    return HTMLResponse(
        registry.renderer.page("drafter.html", view, values),
        status_code=error.status if error else 200,
    )


async def drafter_page(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    token = request.path_params["token"]
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(token, address=address, drafter=True)
    link = caller.link
    assert link is not None
    if request.method == "GET":
        saved = request.query_params.get("saved", "")
        return _page(request, caller, link, saved=_number(saved))
    registry: Registry = request.app.state.registry
    form = await request.form()
    csrf, text, question = form.get("csrf"), form.get("text"), form.get("question_id")
    registry.access.check_csrf(token, csrf if isinstance(csrf, str) else "")
    text = text if isinstance(text, str) else ""
    question = question if isinstance(question, str) else ""
    command_id = form.get("command_id")
    message = {"action": "draft_suggested_answer", "question_id": question, "text": text}
    if isinstance(command_id, str) and command_id:
        message["command_id"] = command_id
    result = await gateway.attempt(caller, message, form=True)
    if isinstance(result, Refusal):
        if isinstance(result.error, Forbidden) and result.error.code == "link.invalid":
            raise result.error  # revoked meanwhile: the page says so
        refused = _number(question)
        return _page(request, caller, link, error=result.error, refused=refused, typed=text)
    logger.info(
        "dialogue %s: suggested answer to question %s by link %s",
        caller.hub.dialogue_id,
        question,
        link.link_id,
    )
    return RedirectResponse(f"{request.url.path}?saved={question}#q{question}", status_code=303)


def _number(text: str) -> int | None:
    """A question's number from the query or the form, or None (``"²"`` is
    a digit to ``str.isdigit`` but no number to ``int``)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
