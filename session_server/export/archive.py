"""Archive exports of a dialogue: every question as CSV, XLSX and JSON, and
the full event log as JSON.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) as a formula; every such text cell of the CSV and
XLSX is prefixed with ``'`` so it stays text (OWASP, "CSV injection"). The
JSON keeps the text as it is.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from session_server.core.chapters import PROGRAMME_CHAPTERS
from session_server.core.codec import event_to_dict
from session_server.core.model import LOCAL_TZ, Origin, Question, QuestionStatus, State
from session_server.export.record import (
    REJECTION_CATEGORIES,
    STATUS_LABELS,
    RecordEntry,
    build_record,
    local_time,
    rejection_category,
)
from session_server.store.base import Record

__all__ = [
    "QUESTION_COLUMNS",
    "archive_zip",
    "events_json",
    "neutralise",
    "question_rows",
    "questions_csv",
    "questions_json",
    "questions_xlsx",
]

QUESTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Mã"),
    ("status", "Trạng thái"),
    ("fate_detail", "Kết quả xử lý"),
    ("origin", "Nguồn"),
    ("bridge_id", "Mã điểm cầu"),
    ("bridge", "Điểm cầu"),
    ("topic_id", "Mã nhóm vấn đề"),
    ("topic", "Nhóm vấn đề"),
    ("text", "Câu hỏi"),
    ("asker_name", "Người hỏi"),
    ("asker_unit", "Đơn vị"),
    ("asker_public", "Đồng ý nêu tên"),
    ("votes", "Lượt ủng hộ"),
    ("submitted_at", "Thời điểm gửi"),
    ("speaker", "Diễn giả"),
    ("summary", "Tóm tắt trả lời"),
    ("commitments", "Cam kết"),
    ("agency", "Cơ quan trả lời"),
    ("deadline", "Hạn trả lời"),
    ("note", "Ghi chú"),
    ("merged_into", "Gộp vào"),
    ("rejection_category", "Loại lý do không tiếp nhận"),
    ("rejection_reason", "Lý do không tiếp nhận"),
)
"""(key, Vietnamese header) of each column, in order. The JSON keeps the
codes and ISO 8601 (Vietnam time); the CSV and XLSX show the labels,
``dd/mm/yyyy HH:MM`` Vietnam time and ``dd/mm/yyyy`` dates."""

_ORIGIN_LABELS: dict[str, str] = {
    Origin.PHONE.value: "Điện thoại",
    Origin.BRIDGE.value: "Điểm cầu",
    Origin.PRE_COLLECTED.value: "Tổng hợp trước",
    Origin.IMPORTED.value: "Nhập từ tệp",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run, made plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _question(state: State, question: Question, entry: RecordEntry) -> dict[str, Any]:
    record = state.answers.get(question.question_id)
    bridge = state.bridges.get(question.bridge_id)
    topic = state.topics.get(question.topic_id or "")
    speaker_id = (record.speaker_id if record else None) or question.speaker_id
    speaker = state.speakers.get(speaker_id or "")
    commitments = "; ".join(
        f"{k.what} ({k.who}{', ' + k.by_when.strftime('%d/%m/%Y') if k.by_when else ''})"
        for k in (record.commitments if record else [])
    )
    rejected = question.status is QuestionStatus.REJECTED
    return {
        "id": question.question_id,
        "status": question.status.value,
        "fate": entry.fate,
        "fate_detail": entry.fate_detail,
        "origin": question.origin.value,
        "bridge_id": question.bridge_id,
        "bridge": bridge.name if bridge else "",
        "topic_id": question.topic_id or "",
        "topic": topic.name if topic else "",
        "text": question.text,
        "asker_name": question.asker.name,
        "asker_unit": question.asker.unit,
        "asker_public": question.asker.public,
        "votes": question.votes,
        "submitted_at": question.submitted_at.astimezone(LOCAL_TZ).isoformat(),
        "speaker": speaker.name if speaker else "",
        "summary": record.summary if record else "",
        "commitments": commitments,
        "agency": entry.agency if entry.due is not None else "",
        "deadline": entry.due.isoformat() if entry.due else "",
        "note": entry.note,
        "merged_into": question.merged_into or "",
        "rejection_category": rejection_category(question) if rejected else "",
        "rejection_reason": question.rejection_reason,
    }


def question_rows(state: State) -> list[dict[str, Any]]:
    """Every question, as the JSON gives it (codes, ISO 8601 times)."""
    entries = {entry.question_id: entry for entry in build_record(state).every}
    return [
        _question(state, q, entries[q.question_id])
        for q in sorted(state.questions.values(), key=lambda q: q.question_id)
    ]


def _shown(key: str, value: object) -> object:
    """A JSON value as the CSV and XLSX show it, under a Vietnamese header."""
    if key == "status":
        return STATUS_LABELS[QuestionStatus(str(value))]
    if key == "origin":
        return _ORIGIN_LABELS.get(str(value), value)
    if key == "submitted_at" and value:
        return local_time(datetime.fromisoformat(str(value)))
    if key == "deadline" and value:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if key == "rejection_category" and value:
        return REJECTION_CATEGORIES[str(value)]
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return value


def _table(state: State) -> Iterable[Sequence[object]]:
    yield [header for _key, header in QUESTION_COLUMNS]
    for row in question_rows(state):
        yield [neutralise(_shown(key, row[key])) for key, _header in QUESTION_COLUMNS]


def questions_csv(state: State) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in _table(state):
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def questions_xlsx(state: State) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Câu hỏi"
    for r, row in enumerate(_table(state), 1):
        for col, value in enumerate(row, 1):
            plain = value if isinstance(value, str | int | float) else str(value)
            cell = sheet.cell(row=r, column=col, value=plain)
            if isinstance(plain, str):
                cell.data_type = TYPE_STRING  # never a formula
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def questions_json(state: State) -> bytes:
    body = {"dialogue": state.dialogue.title, "questions": question_rows(state)}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def events_json(dialogue_id: str, epoch: str, records: Iterable[Record]) -> bytes:
    body = {
        "dialogue_id": dialogue_id,
        "epoch": epoch,
        "events": [{"seq": r.seq, **event_to_dict(r.event)} for r in records],
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def archive_zip(
    out: IO[bytes],
    dialogue_id: str,
    epoch: str,
    state: State,
    records: Sequence[Record],
    recordings: Path,
) -> None:
    """Everything of one dialogue in one ZIP written to ``out``: the questions
    (CSV, XLSX, JSON), the event log (JSON), and every floor segment's
    recording (Ogg/Opus, stored as is) with an index of what each holds, and
    the day's video (``programme.mp4``) with its chapters (``programme.vtt``)."""
    stem = f"{dialogue_id}/"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(stem + "questions.csv", questions_csv(state))
        archive.writestr(stem + "questions.xlsx", questions_xlsx(state))
        archive.writestr(stem + "questions.json", questions_json(state))
        archive.writestr(stem + "events.json", events_json(dialogue_id, epoch, records))
        index = []
        for recording in state.recordings.values():
            path = recordings / recording.file
            present = path.is_file()
            if present:
                archive.write(
                    path, stem + "recordings/" + recording.file, compress_type=zipfile.ZIP_STORED
                )
            index.append(
                {
                    "file": "recordings/" + recording.file if present else None,
                    "question_id": recording.question_id,
                    "bridge_id": recording.bridge_id,
                    "started_at": recording.started_at.astimezone(LOCAL_TZ).isoformat(),
                    "ended_at": recording.ended_at.astimezone(LOCAL_TZ).isoformat(),
                    "duration_ms": recording.duration_ms,
                }
            )
        archive.writestr(
            stem + "recordings.json", json.dumps(index, ensure_ascii=False, indent=1).encode()
        )
        if state.programme_file:  # the day's video and its chapters, as kept
            for name in (state.programme_file, PROGRAMME_CHAPTERS):
                path = recordings / name
                if path.is_file():
                    archive.write(path, stem + name, compress_type=zipfile.ZIP_STORED)
