"""Following up forwarded and deferred questions after the day: the
organiser's board (``/o/{dialogue_id}/followup``) lists each question
awaiting a written answer with its agency, deadline and state (pending,
overdue, answered) and the link for the agency (``screens/agency.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from session_server.export.record import RecordEntry, build_record, follow_up_status
from session_server.web.screens.base import today
from session_server.web.screens.organiser.common import (
    OrganiserPage,
    base_url,
    context,
    dialogue_hub,
    registry_of,
    render,
    signed_in,
)

__all__ = ["FollowupPage", "board"]


@dataclass(frozen=True)
class FollowupPage(OrganiserPage):
    rows: list[tuple[RecordEntry, str, str]] = field(default_factory=list)
    """(the question, its state, the agency's link)."""
    counts: dict[str, int] = field(default_factory=dict)


async def board(request: Request) -> Response:
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    registry = registry_of(request)
    record = build_record(hub.session.state, named=False)
    day = today()
    base = base_url(request)
    rows = [
        (
            entry,
            follow_up_status(entry, day),
            f"{base}/a/{registry.access.answer_token(hub.dialogue_id, entry.question_id)}",
        )
        for entry in record.followups
    ]
    values = FollowupPage(
        page_url=f"/o/{hub.dialogue_id}/followup",
        signed_in=True,
        csrf=registry.access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        rows=rows,
        counts={
            s: sum(1 for _e, st, _u in rows if st == s) for s in ("pending", "overdue", "answered")
        },
    )
    return render(request, "organiser_followup.html", context(request, hub.session.state), values)
