"""The public report of a dialogue (``/r/{dialogue_id}``): no sign-in, no
personal data, printable; live and closed dialogues only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from session_server.core.chapters import answer_moments
from session_server.core.errors import NotFound
from session_server.core.model import Origin, Role
from session_server.export.conclusion import default_opening, figures_paragraphs, summary_line
from session_server.export.record import (
    ORIGIN_LABELS,
    REJECTION_CATEGORIES,
    RecordEntry,
    build_record,
    follow_up_status,
    vn_date,
)
from session_server.export.record import Record as NoticeRecord
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext, today
from session_server.web.screens.onair import PUBLIC_PHASES, OnAir, on_air

__all__ = ["PUBLIC_PHASES", "ReportPage", "public_report"]


@dataclass(frozen=True)
class ReportPage:
    page_url: str
    record: NoticeRecord
    summary: str
    opening: str
    figures: list[str]
    origin_labels: dict[Origin, str]
    today: date
    status_of: Callable[[RecordEntry, date], str]
    day: str
    public_rejections: frozenset[str]
    """Rejection categories whose question text the report shows (off the
    topic, a duplicate); spam, offensive or personal texts are withheld."""
    on_air: OnAir | None = None
    """The programme's player: live, or the day's video (``screens/onair.py``)."""
    moments: dict[int, int] = field(default_factory=dict)
    """Each answered question's moment in the day's video (seconds)."""


async def public_report(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    hub = await registry.get(request.path_params["dialogue_id"])
    state = hub.session.state
    if not state.created or state.dialogue.phase not in PUBLIC_PHASES:
        raise NotFound("dialogue.not_found")
    record = build_record(state, named=False)
    values = ReportPage(
        page_url=f"/r/{hub.dialogue_id}",
        record=record,
        summary=summary_line(record),
        opening=record.draft.opening or default_opening(record),
        figures=figures_paragraphs(record),
        origin_labels=ORIGIN_LABELS,
        today=today(registry.now()),
        status_of=follow_up_status,
        day=vn_date(record.day) if record.day else "",
        public_rejections=frozenset(
            REJECTION_CATEGORIES[key] for key in ("off_topic", "duplicate")
        ),
        on_air=on_air(registry, hub),
        moments=answer_moments(state),
    )
    view = ScreenContext(state, Audience(Role.DISPLAY, lang=request.state.lang))
    html = registry.renderer.page("report.html", view, values)
    return HTMLResponse(html)  # public: cached a minute, no referrer (web/middleware.py)
