"""The moderator's console (podium tablet): screening, the queue by topic,
the floor, floor requests, fairness per bridge point, the pictures' links."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from session_server.core.errors import Forbidden
from session_server.core.model import Question, QuestionStatus, RejectionCategory, Role, State
from session_server.core.views import (
    BridgeFairness,
    default_agency,
    fairness,
    proposed_speaker,
    queue_by_topic,
)
from session_server.web.limits import Alert
from session_server.web.screens.base import (
    ASKED,
    CHECKED,
    NOTHING_FREQUENT,
    VOTED,
    Fragment,
    Screen,
)
from session_server.web.screens.checkin import CheckinContext

if TYPE_CHECKING:
    from session_server.web.gateway import Gateway
    from session_server.web.registry import Registry

__all__ = ["SCREEN", "InboxPage", "ModeratorContext", "inbox_kept", "inbox_page"]


class ModeratorContext(CheckinContext):
    INBOX_SHOWN = 100

    HELD_SHOWN = 20

    REJECTIONS = tuple(RejectionCategory)
    """The reasons offered, in this order (``other`` asks for words)."""

    inbox_after = 0
    """Set on a context rendering a later page of the inbox (``inbox_page``)."""

    def inbox(self) -> list[Question]:
        """The oldest questions waiting to be screened, at most INBOX_SHOWN:
        the moderator works from the top, and a screen of thousands would
        cost every push (``inbox_count`` says how many wait); the later
        pages are fetched on demand (``inbox_page``), not pushed. Questions
        held for review are apart (``held``)."""
        return self._waiting(held=False, limit=self.INBOX_SHOWN, after=self.inbox_after)

    def inbox_position(self) -> int:
        """How many waiting questions come before this page."""
        return sum(
            1
            for q in self.s.questions.values()
            if q.status is QuestionStatus.SUBMITTED
            and not q.held
            and q.question_id <= self.inbox_after
        )

    def alike(self, question: Question) -> Question | None:
        """The earlier question this one likely repeats and may still be
        merged into (one merged meanwhile stands for the one it joined)."""
        for other_id in question.similar:
            other = self.s.questions.get(other_id)
            seen = 0
            while other is not None and other.merged_into is not None and seen < 20:
                other = self.s.questions.get(other.merged_into)
                seen += 1
            if (
                other is not None
                and other.question_id != question.question_id
                and other.status in _MERGEABLE
            ):
                return other
        return None

    def inbox_count(self) -> int:
        return sum(
            1
            for q in self.s.questions.values()
            if q.status is QuestionStatus.SUBMITTED and not q.held
        )

    def held(self) -> list[Question]:
        """Questions sent while their bridge point's were held for review."""
        return self._waiting(held=True, limit=self.HELD_SHOWN)

    def held_count(self) -> int:
        return sum(
            1 for q in self.s.questions.values() if q.status is QuestionStatus.SUBMITTED and q.held
        )

    def _waiting(self, held: bool, limit: int, after: int = 0) -> list[Question]:
        waiting = []
        for question in self.s.questions.values():
            if (
                question.status is QuestionStatus.SUBMITTED
                and question.held is held
                and question.question_id > after
            ):
                waiting.append(question)
                if len(waiting) == limit:
                    break
        return waiting

    def alerts(self) -> list[Alert]:
        """Addresses sending far more questions than the others, right now."""
        if self.traffic is None:
            return []
        alerts: list[Alert] = self.traffic.alerts(time.monotonic())
        return alerts

    def queue_groups(self) -> list[tuple[str | None, list[Question]]]:
        return list(queue_by_topic(self.s).items())

    def proposed(self, question: Question) -> str | None:
        return proposed_speaker(self.s, question)

    def default_agency(self, question: Question) -> str:
        """Where "forward" sends a question unless the moderator types
        another: its topic speaker's agency."""
        return default_agency(self.s, question)

    def fairness(self) -> list[BridgeFairness]:
        return fairness(self.s)


_MERGEABLE = frozenset({QuestionStatus.SUBMITTED, QuestionStatus.APPROVED, QuestionStatus.ON_FLOOR})


@dataclass(frozen=True)
class InboxPage:
    """What a later page of the inbox gets beside ``v`` and ``s``."""

    after: int
    """The number of the last question before this page."""


async def inbox_page(request: Request) -> Response:
    """``/s/{token}/inbox?after=N``: the moderator's next INBOX_SHOWN waiting
    questions after number N, the same cards as the live inbox, fetched on
    demand (and again after each change while shown) instead of pushed."""
    gateway: Gateway = request.app.state.gateway
    registry: Registry = request.app.state.registry
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(request.path_params["token"], None, address, phone=False)
    if caller.actor.role is not Role.MODERATOR:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    try:
        after = max(0, min(int(request.query_params.get("after", "0")), 10**9))
    except ValueError:
        after = 0
    view = caller.hub.context(SCREEN.audience(caller.actor, request.state.lang))
    assert isinstance(view, ModeratorContext)
    view.inbox_after = after
    html = registry.renderer.page("_mod_inbox_page.html", view, InboxPage(after))
    return HTMLResponse(html)


def inbox_kept(state: State, items: tuple[str, ...], asked: Collection[int]) -> bool:
    """Whether questions just ``asked`` leave the pushed inbox (its cards'
    ids ``items``, ``mi-N``) as it is: it lists the oldest INBOX_SHOWN
    waiting questions, so once it is full a new question (always numbered
    after every card) is not among them, unless it is held for review (the
    held ones are listed below the cards). A new question changes no other
    card (a card's likely duplicate is one asked before it)."""
    if len(items) < ModeratorContext.INBOX_SHOWN:
        return False
    last = int(items[-1].removeprefix("mi-"))
    for question_id in asked:
        question = state.questions.get(question_id)
        if question is None or question.held or question_id <= last:
            return False
    return True


SCREEN = Screen(
    Role.MODERATOR,
    "moderator.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_programme.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_floor.html", volatile=True, media=True, changed_by=NOTHING_FREQUENT),
        Fragment("_mod_requests.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_alerts.html", volatile=True, changed_by=ASKED),
        Fragment("_mod_inbox_head.html", changed_by=ASKED),
        Fragment("_mod_inbox.html", changed_by=ASKED, kept_when_asked=inbox_kept),
        Fragment("_mod_queue_head.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_queue.html", changed_by=VOTED),
        Fragment("_fairness.html", changed_by=ASKED),
        Fragment("_mod_attendance.html", changed_by=CHECKED),
        Fragment("_media_health.html", volatile=True, media=True, changed_by=NOTHING_FREQUENT),
    ),
    ModeratorContext,
    rank=0,
    recordings=True,
)
