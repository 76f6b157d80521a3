"""The conclusion notice (Thông báo kết luận) as a DOCX file, in the layout
of Decree 30/2020/ND-CP (Appendix I): A4, Times New Roman, the two-column
header (issuing body | national title), number and dated place line, the
centred title, body in 13–14 pt justified with a first-line indent, the
signature on the right and "Nơi nhận" on the left, page numbers at the top
from page 2.

Everything comes from the dialogue's state (``export/record.py``) and the
organiser's draft (``SetConclusionDraft``); there is no clock in here, so
exporting the same log twice gives the same text. The layout's parts are
``export/layout.py``'s (the invitations share them).
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from session_server.core.model import QuestionStatus, State
from session_server.export import layout
from session_server.export.layout import BODY_PT, DEFAULT_AUTHORITY, FONT, MARGINS_MM
from session_server.export.record import (
    ORIGIN_LABELS,
    Record,
    RecordEntry,
    build_record,
    vn_date,
)

__all__ = [
    "BODY_PT",
    "DEFAULT_AUTHORITY",
    "FONT",
    "MARGINS_MM",
    "conclusion_document",
    "conclusion_docx",
    "default_opening",
    "figures_paragraphs",
    "summary_line",
]

# --- the parts of the notice ------------------------------------------------------


def _chair(record: Record) -> str:
    draft = record.draft
    host = record.host_body or "cơ quan chủ trì"
    if draft.signer_position:
        chair = f"{draft.signer_position} {host}"
        return f"{chair} {draft.signer_name}".strip()
    return f"lãnh đạo {host}"


def summary_line(record: Record) -> str:
    """The line under "THÔNG BÁO"."""
    year = f" năm {record.day.year}" if record.day else ""
    youth = f"thanh niên {record.audience_place}" if record.audience_place else "thanh niên"
    return f"Kết luận của {_chair(record)} tại buổi đối thoại với {youth}{year}"


def _title(document: Document, record: Record) -> None:
    layout.add_paragraph(document, "THÔNG BÁO", BODY_PT, bold=True, before=18)
    layout.add_paragraph(document, summary_line(record), BODY_PT, bold=True)
    line = layout.add_paragraph(document, "", 2)
    fmt = line.paragraph_format
    fmt.left_indent = Cm(5.5)
    fmt.right_indent = Cm(5.5)
    fmt.space_after = Pt(12)
    layout.add_bottom_border(line)


def default_opening(record: Record) -> str:
    when = vn_date(record.day) if record.day else ""
    when = when[0].upper() + when[1:] if when else ""
    remote = [b for b in record.bridges if b != record.main_bridge]
    parts = [
        f"{when}, tại {record.place or record.main_bridge}"
        if when
        else f"Tại {record.place or record.main_bridge}"
    ]
    parts.append(f"{record.host_body} tổ chức buổi đối thoại với thanh niên")
    if record.theme:
        parts[-1] += f" với chủ đề “{record.theme}”"
    text = ", ".join(parts)
    if remote:
        text += (
            f", theo hình thức trực tiếp kết hợp trực tuyến với {len(remote)} điểm cầu: "
            + ", ".join(remote)
        )
    text += "."
    if record.attendance:
        text += (
            f" Tham dự buổi đối thoại có {record.attendance} đại biểu, "
            "đoàn viên, thanh niên tại các điểm cầu."
        )
    return text


def figures_paragraphs(record: Record) -> list[str]:
    f = record.figures
    lines = [f"Tổng số câu hỏi, ý kiến tiếp nhận: {f.received}"]
    if f.by_origin:
        lines[0] += (
            " ("
            + "; ".join(f"{ORIGIN_LABELS[origin]}: {count}" for origin, count in f.by_origin)
            + ")"
        )
    lines[0] += "."
    if f.by_bridge:
        lines.append(
            "Theo điểm cầu: " + "; ".join(f"{name}: {count}" for name, count in f.by_bridge) + "."
        )
    if f.by_topic:
        lines.append(
            "Theo nhóm vấn đề: " + "; ".join(f"{name}: {count}" for name, count in f.by_topic) + "."
        )
    result = (
        f"Kết quả: đã trả lời trực tiếp tại buổi đối thoại {f.answered} câu hỏi; "
        f"ghi nhận, chuyển cơ quan có thẩm quyền trả lời {f.forwarded} câu hỏi; "
        f"trả lời bằng văn bản sau buổi đối thoại {f.deferred} câu hỏi"
    )
    extras = []
    if f.merged:
        extras.append(f"{f.merged} câu hỏi trùng nội dung đã được gộp")
    if f.rejected:
        by_category = ", ".join(f"{label}: {count}" for label, count in f.rejected_by_category)
        extras.append(f"{f.rejected} ý kiến không được tiếp nhận ({by_category})")
    if f.not_reached:
        extras.append(
            f"{f.not_reached} câu hỏi chưa được trả lời tại buổi đối thoại, chưa chuyển xử lý"
        )
    if f.unscreened:
        extras.append(f"{f.unscreened} câu hỏi chưa được xem xét")
    if extras:
        result += "; " + "; ".join(extras)
    lines.append(result + ".")
    if record.attendance_by_bridge:
        by_bridge = "; ".join(f"{name}: {count}" for name, count in record.attendance_by_bridge)
        lines.insert(0, f"Số người tham dự: {record.attendance} (theo điểm cầu: {by_bridge}).")
    return lines


def _date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _question_paragraphs(document: Document, entry: RecordEntry, n: int) -> None:
    who = f" – {', '.join(entry.askers)}" if entry.askers else ""
    asked = f"Câu hỏi {n} (điểm cầu {entry.bridge}{who}): "
    paragraph = layout.add_paragraph(
        document, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6
    )
    layout.add_run(paragraph, asked, bold=True)
    layout.add_run(paragraph, entry.text.replace("\n", " "), italic=True)
    if entry.status is QuestionStatus.ANSWERED:
        speaker = f"{entry.speaker} trả lời" if entry.speaker else "Nội dung trả lời"
        layout.add_body(
            document, f"{speaker}: {entry.summary or 'đã trả lời trực tiếp tại buổi đối thoại.'}"
        )
    else:
        layout.add_body(document, f"Xử lý: {entry.fate_detail.rstrip('.')}.")
    for commitment in entry.commitments:
        when = f", thời hạn: {_date(commitment.by_when)}" if commitment.by_when else ""
        layout.add_body(
            document, f"Cam kết: {commitment.what} (thực hiện: {commitment.who}{when})."
        )


def _followup_table(document: Document, record: Record) -> None:
    headers = ("STT", "Nội dung câu hỏi", "Điểm cầu", "Cơ quan trả lời", "Hạn trả lời")
    widths = (Cm(1.2), Cm(7.3), Cm(2.8), Cm(3.2), Cm(2.0))
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        layout.add_cell_line(cell, text, 12, bold=True, first=True)
    for n, entry in enumerate(record.followups, 1):
        row = table.add_row().cells
        text = entry.text.replace("\n", " ")
        values = (
            str(n),
            f"{text} (Ghi chú: {entry.note})" if entry.note else text,
            entry.bridge,
            entry.agency or "—",
            _date(entry.due) or "—",
        )
        for col, (cell, text) in enumerate(zip(row, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if col == 1 else WD_ALIGN_PARAGRAPH.CENTER
            layout.add_cell_line(cell, text, 12, first=True, align=align)
    layout.set_widths(table, widths)


def _written_answers(document: Document, record: Record) -> None:
    """The written answers the organiser accepted (an answer awaiting
    acceptance is not in the record), by the follow-up table's numbers."""
    for n, entry in enumerate(record.followups, 1):
        if entry.written_answer:
            by = entry.answered_by or entry.agency
            on = f" ngày {_date(entry.answered_on)}" if entry.answered_on else ""
            layout.add_body(
                document,
                f"Câu hỏi số {n}: {by} đã trả lời bằng văn bản{on}: {entry.written_answer}",
            )


def conclusion_document(state: State) -> Document:
    """The notice for ``state`` as a python-docx ``Document``."""
    record = build_record(state, named=True)
    document = new_document()
    layout.set_up_page(document)
    layout.add_header(document, record)
    _title(document, record)
    for line in record.legal_basis:
        layout.add_body(document, line, italic=True)
    layout.add_body(document, record.draft.opening or default_opening(record))
    layout.add_body(document, "I. KẾT QUẢ TIẾP NHẬN Ý KIẾN, CÂU HỎI CỦA THANH NIÊN", bold=True)
    for line in figures_paragraphs(record):
        layout.add_body(document, line)
    layout.add_body(document, "II. NỘI DUNG TRẢ LỜI THEO NHÓM VẤN ĐỀ", bold=True)
    if not record.topics:
        layout.add_body(document, "Chưa có câu hỏi nào được trả lời hoặc xử lý.")
    n = 0
    for number, section in enumerate(record.topics, 1):
        layout.add_body(document, f"{number}. {section.topic}", bold=True)
        for entry in section.entries:
            n += 1
            _question_paragraphs(document, entry, n)
    layout.add_body(
        document, "III. CÁC Ý KIẾN CHUYỂN CƠ QUAN CÓ THẨM QUYỀN, TRẢ LỜI BẰNG VĂN BẢN", bold=True
    )
    if record.followups:
        layout.add_body(
            document,
            f"Có {len(record.followups)} câu hỏi được ghi nhận để các cơ quan có "
            "thẩm quyền trả lời bằng văn bản theo quy định, cụ thể:",
        )
        _followup_table(document, record)
        layout.add_paragraph(document, "", after=6)
        _written_answers(document, record)
    else:
        layout.add_body(document, "Không có.")
    layout.add_body(document, "IV. KẾT LUẬN CỦA CHỦ TRÌ", bold=True)
    if record.draft.conclusions:
        layout.add_body(document, record.draft.conclusions)
    host = record.host_body or "Cơ quan chủ trì"
    layout.add_body(
        document,
        f"Trên đây là Thông báo kết luận buổi đối thoại với thanh niên của {host}; "
        "đề nghị các cơ quan, đơn vị có liên quan căn cứ thực hiện, trả lời thanh "
        "niên đúng thời hạn theo quy định tại khoản 3 Điều 10 Luật Thanh niên",
        end="./.",
    )
    layout.add_signature(document, record)
    return document


def conclusion_docx(state: State) -> bytes:
    """The notice as DOCX bytes."""
    buffer = io.BytesIO()
    conclusion_document(state).save(buffer)
    return buffer.getvalue()
