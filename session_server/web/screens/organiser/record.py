"""The record, for the organiser: the conclusion notice (its free text and
its DOCX), the import of pre-collected questions, and the archive exports.

Every change is a command through the gateway (an import is a batch: all
its questions or none).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from session_server.core.errors import InvalidInput, NotFound, PayloadTooLarge, SessionError
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
from session_server.export.record import Record as NoticeRecord
from session_server.export.record import (
    build_record,
    default_recipients,
    signature_warnings,
    vn_date,
)
from session_server.media.manager import recording_path
from session_server.web.gateway import Refusal
from session_server.web.live.hub import Hub
from session_server.web.screens.organiser.common import (
    Draft,
    OrganiserPage,
    caller,
    check_form,
    context,
    dialogue_hub,
    form_values,
    last,
    registry_of,
    render,
    signed_in,
)

__all__ = [
    "ConclusionPage",
    "ImportPage",
    "conclusion",
    "conclusion_file",
    "export",
    "import_questions",
]

logger = logging.getLogger(__name__)

DRAFT_LINES = ("authority_lines", "recipients")
DRAFT_FIELDS = (
    "number",
    "locality",
    "issued_on",
    "attendance",
    "opening",
    "conclusions",
    "signer_position",
    "signer_name",
)
UPLOAD_SLACK = 64 * 1024
"""Bytes of multipart framing and form fields allowed beyond the file."""


@dataclass(frozen=True)
class ConclusionPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    values: dict[str, str] = field(default_factory=dict)
    record: NoticeRecord | None = None
    summary: str = ""
    default_opening: str = ""
    figures: list[str] = field(default_factory=list)
    default_recipients: str = ""
    default_authority: str = ""
    issued: str = ""
    signature_warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    refusal: dict[str, str] | None = None
    plan: ImportPlan | None = None
    imported: int = 0
    refused: bool = False
    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS


# --- the conclusion notice ---------------------------------------------------------------


def _saved_values(hub: Hub) -> dict[str, str]:
    saved = hub.session.state.conclusion
    if saved is None:
        return {}
    return {
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


def _conclusion_page(
    request: Request,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> Response:
    state = hub.session.state
    record = build_record(state)
    saved = _saved_values(hub)
    draft = draft or Draft()
    shown = {
        name: str(draft.get("conclusion", name, saved.get(name, "")))
        for name in (*DRAFT_FIELDS, *DRAFT_LINES)
    }
    path = f"/o/{hub.dialogue_id}/conclusion"
    values = ConclusionPage(
        page_url=path,
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft,
        post_url=path,
        back=path,
        values=shown,
        record=record,
        summary=summary_line(record),
        default_opening=default_opening(record),
        figures=figures_paragraphs(record),
        default_recipients="\n".join(default_recipients(state)),
        default_authority="\n".join(DEFAULT_AUTHORITY),
        issued=vn_date(record.issued_on, record.locality) if record.issued_on else "",
        signature_warnings=signature_warnings(record.draft),
    )
    return render(request, "organiser_conclusion.html", context(request, state), values, status)


async def conclusion(request: Request) -> Response:
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    if request.method == "GET":
        return _conclusion_page(request, hub, cookie)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    data: dict[str, Any] = {"action": "set_conclusion_draft"}
    for name in DRAFT_FIELDS:
        data[name] = last(values, name)
    for name in DRAFT_LINES:
        data[name] = [line.strip() for line in last(values, name).splitlines() if line.strip()]
    gateway, organiser = caller(request, hub)
    result = await gateway.attempt(organiser, data, form=True)
    if isinstance(result, Refusal):
        return _conclusion_page(
            request,
            hub,
            cookie,
            flash=result.error.message(request.state.lang),
            status=result.error.status,
            draft=Draft.of(values),
        )
    return RedirectResponse(f"/o/{hub.dialogue_id}/conclusion#saved", status_code=303)


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def conclusion_file(request: Request) -> Response:
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    return _download(
        conclusion_docx(hub.session.state),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"thong-bao-ket-luan-{hub.dialogue_id}.docx",
    )


# --- archive exports -------------------------------------------------------------------


async def export(request: Request) -> Response:
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    registry = registry_of(request)
    state = hub.session.state
    name = request.path_params["name"]
    stem = f"{hub.dialogue_id}-"
    if name == "questions.csv":
        return _download(questions_csv(state), "text/csv; charset=utf-8", stem + name)
    if name == "questions.xlsx":
        return _download(
            questions_xlsx(state),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            stem + name,
        )
    if name == "questions.json":
        return _download(questions_json(state), "application/json", stem + name)
    if name == "events.json":
        records = await registry.log.read(hub.dialogue_id)
        body = events_json(hub.dialogue_id, hub.session.epoch, records)
        return _download(body, "application/json", stem + name)
    if name != "archive.zip":
        raise NotFound("export.not_found")
    records = await registry.log.read(hub.dialogue_id)
    folder = recording_path(registry.settings.recordings_dir, hub.dialogue_id, "")
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    await asyncio.get_running_loop().run_in_executor(
        None, archive_zip, out, hub.dialogue_id, hub.session.epoch, state, records, folder
    )
    size = out.tell()
    out.seek(0)

    def chunks() -> Iterator[bytes]:
        with out:
            while chunk := out.read(256 * 1024):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{stem}archive.zip"',
            "Content-Length": str(size),
        },
    )


# --- import ----------------------------------------------------------------------------


def _import_page(
    request: Request,
    hub: Hub,
    cookie: str,
    *,
    plan: ImportPlan | None = None,
    imported: int = 0,
    refused: bool = False,
    error: SessionError | None = None,
) -> Response:
    """The upload form, with the result of an upload; a refusal is shown in
    both languages (the file often goes back to someone else to fix)."""
    path = f"/o/{hub.dialogue_id}/import"
    values = ImportPage(
        page_url=path,
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        post_url=path,
        back=path,
        refusal=error.messages() if error else None,
        plan=plan,
        imported=imported,
        refused=refused,
    )
    return render(
        request,
        "organiser_import.html",
        context(request, hub.session.state),
        values,
        error.status if error else 200,
    )


async def import_questions(request: Request) -> Response:
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    if request.method == "GET":
        return _import_page(request, hub, cookie)
    try:
        length = int(request.headers.get("content-length") or "0")
    except ValueError:
        length = 0
    if length > MAX_BYTES + UPLOAD_SLACK:
        return _import_page(
            request, hub, cookie, error=PayloadTooLarge("import.too_large", limit=MAX_BYTES)
        )
    async with request.form(max_files=1, max_fields=10) as form:
        values = form_values(form)
        upload = form.get("file")
        check_form(request, cookie, values)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _import_page(request, hub, cookie, error=InvalidInput("import.no_file"))
        data = await upload.read(MAX_BYTES + 1)
        filename = upload.filename
    return await _import(request, hub, cookie, data, filename, last(values, "mode") == "good")


async def _import(
    request: Request, hub: Hub, cookie: str, data: bytes, filename: str, good_rows_only: bool
) -> Response:
    gateway, organiser = caller(request, hub)
    now = datetime.now(UTC)
    try:
        plan = plan_import(hub.session.state, data, filename, organiser.actor, now)
    except SessionError as error:  # the file as a whole (its size, its format)
        return _import_page(request, hub, cookie, error=error)
    if plan.errors and not good_rows_only:
        return _import_page(
            request,
            hub,
            cookie,
            plan=plan,
            refused=True,
            error=InvalidInput("import.refused", count=len(plan.errors)),
        )
    result = await gateway.attempt_batch(organiser, [cmd for _row, cmd in plan.commands])
    if isinstance(result, Refusal):
        return _import_page(request, hub, cookie, plan=plan, refused=True, error=result.error)
    imported = len(result.records)
    logger.info(
        "dialogue %s: %d questions imported from %s", hub.dialogue_id, imported, plan.digest[:12]
    )
    return _import_page(request, hub, cookie, plan=plan, imported=imported)
