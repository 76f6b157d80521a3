"""The record of a dialogue on the web: the organiser's conclusion draft and
its DOCX, the import of pre-collected questions, the archive exports, and
the public report (``/r/{dialogue_id}``, no sign-in, no personal data).

The organiser's pages here follow ``organiser.py``: signed in by cookie,
forms checked for Origin and CSRF, every change a core command through the
dialogue's hub.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from session_server.core.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    SessionError,
)
from session_server.core.model import Phase
from session_server.export.archive import (
    archive_zip,
    events_json,
    questions_csv,
    questions_json,
    questions_xlsx,
)
from session_server.export.conclusion import (
    DEFAULT_AUTHORITY,
    conclusion_docx,
    default_opening,
    figures_paragraphs,
    summary_line,
)
from session_server.export.intake import MAX_BYTES, MAX_ROWS, ImportPlan, plan_import
from session_server.export.record import (
    ORIGIN_LABELS,
    build_record,
    default_recipients,
    follow_up_status,
    vn_date,
)
from session_server.media.manager import recording_path
from session_server.web.actions import parse_action
from session_server.web.followup import today
from session_server.web.hub import Hub
from session_server.web.organiser import (
    Draft,
    _check_post,
    _last,
    _render,
    _respond,
    _values,
    _view,
    signed_in_hub,
)
from session_server.web.registry import Registry
from session_server.web.screens import language, registry_of, render_error

__all__ = ["routes"]

logger = logging.getLogger(__name__)

DRAFT_LINES = ("authority_lines", "recipients")
DRAFT_FIELDS = ("number", "locality", "issued_on", "attendance", "opening", "conclusions",
                "signer_position", "signer_name")
UPLOAD_SLACK = 64 * 1024
"""Bytes of multipart framing and form fields allowed beyond the file."""

PUBLIC_PHASES = frozenset({Phase.LIVE, Phase.CLOSED})


# --- the conclusion notice ---------------------------------------------------


def _conclusion_page(request: Request, registry: Registry, hub: Hub, cookie: str,
                     flash: str = "", status: int = 200,
                     draft: Draft | None = None) -> HTMLResponse:
    state = hub.session.state
    record = build_record(state)
    saved = state.conclusion
    values: dict[str, str] = {}
    if saved is not None:
        values = {
            "number": saved.number,
            "locality": saved.locality,
            "issued_on": saved.issued_on.isoformat() if saved.issued_on else "",
            "attendance": "" if saved.attendance is None else str(saved.attendance),
            "opening": saved.opening,
            "conclusions": saved.conclusions,
            "authority_lines": "\n".join(saved.authority_lines),
            "signer_position": saved.signer_position,
            "signer_name": saved.signer_name,
            "recipients": "\n".join(saved.recipients),
        }
    draft = draft or Draft()
    shown = {
        name: str(draft.get("conclusion", name, values.get(name, "")))
        for name in (*DRAFT_FIELDS, *DRAFT_LINES)
    }
    return _render(
        request, registry, "organiser_conclusion.html", _view(state, language(request)),
        cookie=cookie, page_url=f"/o/{hub.dialogue_id}/conclusion",
        dialogue_id=hub.dialogue_id, flash=flash, status=status, draft=draft,
        post_url=f"/o/{hub.dialogue_id}/conclusion", back=f"/o/{hub.dialogue_id}/conclusion",
        values=shown, record=record, summary=summary_line(record),
        default_opening=default_opening(record), figures=figures_paragraphs(record),
        default_recipients="\n".join(default_recipients(state)),
        default_authority="\n".join(DEFAULT_AUTHORITY),
        issued=vn_date(record.issued_on, record.locality) if record.issued_on else "",
    )


async def conclusion(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    if request.method == "GET":
        return _conclusion_page(request, registry, hub, cookie)
    values = _values(await request.form())
    try:
        _check_post(request, registry, cookie, values)
    except SessionError as error:
        return render_error(request, error)
    data: dict[str, Any] = {"action": "set_conclusion_draft"}
    for name in DRAFT_FIELDS:
        data[name] = _last(values, name)
    for name in DRAFT_LINES:
        data[name] = [line.strip() for line in _last(values, name).splitlines() if line.strip()]
    try:
        await hub.execute(parse_action(data, registry.access.organiser_actor()))
    except SessionError as error:
        return _conclusion_page(request, registry, hub, cookie,
                                flash=error.message(language(request)), status=error.status,
                                draft=Draft.of(values))
    return RedirectResponse(f"/o/{hub.dialogue_id}/conclusion#saved", status_code=303)


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


async def _signed_hub(request: Request) -> Hub | Response:
    """The dialogue of a download: organiser only (401 otherwise)."""
    opened = await signed_in_hub(request, to_login=False)
    return opened if isinstance(opened, Response) else opened[1]


async def conclusion_file(request: Request) -> Response:
    hub = await _signed_hub(request)
    if isinstance(hub, Response):
        return hub
    return _download(
        conclusion_docx(hub.session.state),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"thong-bao-ket-luan-{hub.dialogue_id}.docx",
    )


# --- archive exports -----------------------------------------------------------


async def export(request: Request) -> Response:
    hub = await _signed_hub(request)
    if isinstance(hub, Response):
        return hub
    state = hub.session.state
    name = request.path_params["name"]
    stem = f"{hub.dialogue_id}-"
    if name == "questions.csv":
        return _download(questions_csv(state), "text/csv; charset=utf-8", stem + name)
    if name == "questions.xlsx":
        return _download(
            questions_xlsx(state),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", stem + name)
    if name == "questions.json":
        return _download(questions_json(state), "application/json", stem + name)
    if name == "events.json":
        registry = registry_of(request)
        records = await registry.log.read(hub.dialogue_id)
        body = events_json(hub.dialogue_id, hub.session.epoch, records)
        return _download(body, "application/json", stem + name)
    if name == "archive.zip":
        registry = registry_of(request)
        records = await registry.log.read(hub.dialogue_id)
        folder = recording_path(registry.settings.recordings_dir, hub.dialogue_id, "")
        out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        await asyncio.get_running_loop().run_in_executor(
            None, archive_zip, out, hub.dialogue_id, hub.session.epoch, state, records, folder)
        size = out.tell()
        out.seek(0)

        def chunks() -> Iterator[bytes]:
            with out:
                while chunk := out.read(256 * 1024):
                    yield chunk

        return StreamingResponse(chunks(), media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{stem}archive.zip"',
            "Content-Length": str(size),
            "Cache-Control": "no-store",
        })
    return render_error(request, NotFound("export.not_found"))


# --- import ---------------------------------------------------------------------


def _import_page(request: Request, registry: Registry, hub: Hub, cookie: str, *,
                 plan: ImportPlan | None = None, imported: int = 0, refused: bool = False,
                 error: SessionError | None = None) -> HTMLResponse:
    """The upload form, with the result of an upload; a refusal is shown in
    both languages (the file often goes back to someone else to fix)."""
    return _render(
        request, registry, "organiser_import.html", _view(hub.session.state, language(request)),
        cookie=cookie, page_url=f"/o/{hub.dialogue_id}/import", dialogue_id=hub.dialogue_id,
        refusal=error.messages() if error else None, status=error.status if error else 200,
        post_url=f"/o/{hub.dialogue_id}/import",
        back=f"/o/{hub.dialogue_id}/import", plan=plan, imported=imported, refused=refused,
        max_bytes=MAX_BYTES, max_rows=MAX_ROWS,
    )


async def import_questions(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    if request.method == "GET":
        return _import_page(request, registry, hub, cookie)
    try:
        length = int(request.headers.get("content-length") or "0")
    except ValueError:
        length = 0
    if length > MAX_BYTES + UPLOAD_SLACK:
        return _import_page(request, registry, hub, cookie,
                            error=PayloadTooLarge("import.too_large", limit=MAX_BYTES))
    async with request.form(max_files=1, max_fields=10) as form:
        values = _values(form)
        upload = form.get("file")
        try:
            _check_post(request, registry, cookie, values)
        except SessionError as error:
            return render_error(request, error)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _import_page(request, registry, hub, cookie,
                                error=InvalidInput("import.no_file"))
        data = await upload.read(MAX_BYTES + 1)
        filename = upload.filename
    good_rows_only = _last(values, "mode") == "good"
    now = datetime.now(UTC)
    try:
        plan = plan_import(hub.session.state, data, filename,
                           registry.access.organiser_actor(), now)
    except SessionError as error:
        return _import_page(request, registry, hub, cookie, error=error)
    if plan.errors and not good_rows_only:
        return _import_page(request, registry, hub, cookie, plan=plan, refused=True,
                            error=InvalidInput("import.refused", count=len(plan.errors)))
    try:
        outcome = await hub.session.execute_batch([cmd for _row, cmd in plan.commands], now)
    except SessionError as error:
        return _import_page(request, registry, hub, cookie, plan=plan, refused=True,
                            error=error)
    imported = len(outcome.records)
    logger.info("dialogue %s: %d questions imported from %s", hub.dialogue_id, imported,
                plan.digest[:12])
    return _import_page(request, registry, hub, cookie, plan=plan, imported=imported)


# --- the public report -------------------------------------------------------------


async def public_report(request: Request) -> Response:
    registry = registry_of(request)
    try:
        hub = await registry.get(request.path_params["dialogue_id"])
        state = hub.session.state
        if not state.created or state.dialogue.phase not in PUBLIC_PHASES:
            raise NotFound("dialogue.not_found")
    except SessionError as error:
        return render_error(request, error)
    record = build_record(state, named=False)
    html = registry.renderer.page(
        "report.html", _view(state, language(request)),
        page_url=f"/r/{hub.dialogue_id}", record=record, summary=summary_line(record),
        opening=record.draft.opening or default_opening(record),
        figures=figures_paragraphs(record), origin_labels=ORIGIN_LABELS,
        today=today(), status_of=follow_up_status,
        day=vn_date(record.day) if record.day else "",
    )
    response = _respond(request, html)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


routes: list[BaseRoute] = [
    Route("/o/{dialogue_id}/conclusion", conclusion, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/conclusion.docx", conclusion_file),
    Route("/o/{dialogue_id}/import", import_questions, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}/export/{name}", export),
    Route("/r/{dialogue_id}", public_report),
]
