"""The conclusion notice (Thông báo kết luận) as a DOCX file, in the layout
of Decree 30/2020/ND-CP (Appendix I): A4, Times New Roman, the two-column
header (issuing body | national title), number and dated place line, the
centred title, body in 13–14 pt justified with a first-line indent, the
signature on the right and "Nơi nhận" on the left, page numbers at the top
from page 2.

Everything comes from the dialogue's state (``export/record.py``) and the
organiser's draft (``SetConclusionDraft``); there is no clock in here, so
exporting the same log twice gives the same text.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.font import Font
from docx.text.paragraph import Paragraph

from session_server.core.model import QuestionStatus, State
from session_server.export.record import (
    ORIGIN_LABELS,
    Record,
    RecordEntry,
    build_record,
    vn_date,
    xml_safe,
)

__all__ = [
    "BODY_PT",
    "FONT",
    "HEADER_PT",
    "LEFT_WIDTH",
    "MARGINS_MM",
    "MOTTO",
    "NATIONAL_TITLE",
    "RIGHT_WIDTH",
    "body",
    "borderless",
    "bottom_border",
    "cell_line",
    "conclusion_document",
    "conclusion_docx",
    "default_opening",
    "figures_paragraphs",
    "header",
    "issuer_lines",
    "page_setup",
    "para",
    "rule",
    "run",
    "signature",
    "summary_line",
    "widths",
]

FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13
RECIPIENT_PT = 11
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
FIRST_LINE_INDENT = Cm(1.27)
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LEFT_WIDTH = Cm(6.0)
RIGHT_WIDTH = Cm(10.5)
DEFAULT_AUTHORITY = ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")


# --- low-level helpers --------------------------------------------------------


def _font(run_font: Font, size: float | None = None) -> None:
    """Times New Roman in every script slot (Vietnamese needs hAnsi/cs)."""
    run_font.name = FONT
    r_pr = run_font.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    if size is not None:
        run_font.size = Pt(size)


def _run(
    paragraph: Paragraph,
    text: str,
    size: float = BODY_PT,
    *,
    bold: bool = False,
    italic: bool = False,
) -> None:
    run = paragraph.add_run(xml_safe(text))
    _font(run.font, size)
    run.bold = bold
    run.italic = italic


def _para(
    container: Document | _Cell,
    text: str = "",
    size: float = BODY_PT,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
    indent: bool = False,
    after: float = 0,
    before: float = 0,
) -> Paragraph:
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    if indent:
        fmt.first_line_indent = FIRST_LINE_INDENT
    if text:
        _run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def _body(
    document: Document, text: str, *, bold: bool = False, italic: bool = False, end: str = ""
) -> Paragraph | None:
    """Body paragraphs: justified, first-line indent, 6 pt after; one per
    line of ``text``."""
    last = None
    lines = [line.strip() for line in xml_safe(text).split("\n") if line.strip()]
    for n, line in enumerate(lines):
        tail = end if n == len(lines) - 1 else ""
        last = _para(
            document,
            line + tail,
            bold=bold,
            italic=italic,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent=True,
            after=6,
        )
    return last


def _rule(cell: _Cell, width: Cm, rule: Cm) -> None:
    """A short centred line under the text above (a paragraph border on an
    empty, indented paragraph)."""
    paragraph = cell.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max(0, int((width - rule) / 2))
    fmt.left_indent = side
    fmt.right_indent = side
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(2)
    _bottom_border(paragraph)


def _bottom_border(paragraph: Paragraph) -> None:
    """A thin single line under ``paragraph`` (how Decree 30's rules are drawn)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "6")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    p_pr.append(borders)


def _borderless(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _widths(table: Table, widths: tuple[Length, ...]) -> None:
    """Column widths, in the grid (LibreOffice reads it) and in every cell."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _first_cell_paragraph(cell: _Cell) -> Paragraph:
    """A new cell holds one empty paragraph: use it for the first line."""
    paragraph: Paragraph = cell.paragraphs[0]
    return paragraph


def _cell_line(
    cell: _Cell,
    text: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    first: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
) -> Paragraph:
    paragraph = _first_cell_paragraph(cell) if first else cell.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        _run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field (begin, instruction, separate, a placeholder, end)."""

    def part(tag: str, **attrs: str) -> None:
        run = paragraph.add_run()
        _font(run.font, BODY_PT)
        element = OxmlElement(tag)
        for key, value in attrs.items():
            element.set(qn(key), value)
        if tag == "w:instrText":
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        run._r.append(element)

    part("w:fldChar", **{"w:fldCharType": "begin"})
    part("w:instrText")
    part("w:fldChar", **{"w:fldCharType": "separate"})
    placeholder = paragraph.add_run("2")
    _font(placeholder.font, BODY_PT)
    part("w:fldChar", **{"w:fldCharType": "end"})


# --- the parts of the notice ------------------------------------------------------


def _upper(text: str) -> str:
    return xml_safe(text).upper()


def _issuer_lines(host_body: str) -> list[str]:
    """ "Ủy ban nhân dân tỉnh An Giang" → "ỦY BAN NHÂN DÂN" / "TỈNH AN GIANG"."""
    upper = _upper(host_body)
    for marker in (" TỈNH ", " THÀNH PHỐ ", " HUYỆN ", " QUẬN ", " THỊ XÃ "):
        head, found, tail = upper.partition(marker)
        if found and head:
            return [head, marker.strip() + " " + tail]
    return [upper] if upper else [""]


def _header(document: Document, record: Record) -> None:
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borderless(table)
    _widths(table, (LEFT_WIDTH, RIGHT_WIDTH))
    left, right = table.rows[0].cells
    first = True
    if record.parent_body:
        _cell_line(left, _upper(record.parent_body), HEADER_PT, first=True)
        first = False
    for line in _issuer_lines(record.host_body):
        _cell_line(left, line, HEADER_PT, bold=True, first=first)
        first = False
    _rule(left, LEFT_WIDTH, Cm(2.0))
    _cell_line(right, NATIONAL_TITLE, HEADER_PT, bold=True, first=True)
    _cell_line(right, MOTTO, BODY_PT, bold=True)
    _rule(right, RIGHT_WIDTH, Cm(6.0))
    number_cell, date_cell = table.rows[1].cells
    _cell_line(number_cell, f"Số: {record.number}", HEADER_PT, first=True)
    issued = vn_date(record.issued_on, record.locality) if record.issued_on else ""
    _cell_line(date_cell, issued, BODY_PT, italic=True, first=True)
    for cell in (number_cell, date_cell):
        cell.paragraphs[0].paragraph_format.space_before = Pt(6)


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
    _para(document, "THÔNG BÁO", BODY_PT, bold=True, before=18)
    _para(document, summary_line(record), BODY_PT, bold=True)
    line = _para(document, "", 2)
    fmt = line.paragraph_format
    fmt.left_indent = Cm(5.5)
    fmt.right_indent = Cm(5.5)
    fmt.space_after = Pt(12)
    _bottom_border(line)


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
    paragraph = _para(document, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)
    _run(paragraph, asked, bold=True)
    _run(paragraph, entry.text.replace("\n", " "), italic=True)
    if entry.status is QuestionStatus.ANSWERED:
        speaker = f"{entry.speaker} trả lời" if entry.speaker else "Nội dung trả lời"
        _body(document, f"{speaker}: {entry.summary or 'đã trả lời trực tiếp tại buổi đối thoại.'}")
    else:
        _body(document, f"Xử lý: {entry.fate_detail.rstrip('.')}.")
    for commitment in entry.commitments:
        when = f", thời hạn: {_date(commitment.by_when)}" if commitment.by_when else ""
        _body(document, f"Cam kết: {commitment.what} (thực hiện: {commitment.who}{when}).")


def _followup_table(document: Document, record: Record) -> None:
    headers = ("STT", "Nội dung câu hỏi", "Điểm cầu", "Cơ quan trả lời", "Hạn trả lời")
    widths = (Cm(1.2), Cm(7.3), Cm(2.8), Cm(3.2), Cm(2.0))
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell_line(cell, text, 12, bold=True, first=True)
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
            _cell_line(cell, text, 12, first=True, align=align)
    _widths(table, widths)


def _written_answers(document: Document, record: Record) -> None:
    """The written answers the organiser accepted (an answer awaiting
    acceptance is not in the record), by the follow-up table's numbers."""
    for n, entry in enumerate(record.followups, 1):
        if entry.written_answer:
            by = entry.answered_by or entry.agency
            on = f" ngày {_date(entry.answered_on)}" if entry.answered_on else ""
            _body(
                document,
                f"Câu hỏi số {n}: {by} đã trả lời bằng văn bản{on}: {entry.written_answer}",
            )


def _signature(document: Document, record: Record) -> None:
    draft = record.draft
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    _widths(table, (Cm(8.0), Cm(8.5)))
    left, right = table.rows[0].cells
    heading = _cell_line(left, "", 12, first=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _run(heading, "Nơi nhận:", 12, bold=True, italic=True)
    recipients = record.recipients
    for n, line in enumerate(recipients):
        end = "." if n == len(recipients) - 1 else ";"
        _cell_line(left, f"- {line}{end}", RECIPIENT_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    authority = draft.authority_lines or DEFAULT_AUTHORITY
    first = True
    for line in authority:
        _cell_line(right, _upper(line), BODY_PT, bold=True, first=first)
        first = False
    if draft.signer_position:
        _cell_line(right, _upper(draft.signer_position), BODY_PT, bold=True, first=first)
    for _ in range(4):
        _cell_line(right, "", BODY_PT)
    _cell_line(right, draft.signer_name, BODY_PT, bold=True)


def _page_setup(document: Document) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width = Mm(210)
    section.page_height = Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)
    normal = document.styles["Normal"]
    _font(normal.font, BODY_PT)
    normal.paragraph_format.space_after = Pt(0)
    core = document.core_properties
    core.author = ""
    core.last_modified_by = ""
    core.comments = ""


def conclusion_document(state: State) -> Document:
    """The notice for ``state`` as a python-docx ``Document``."""
    record = build_record(state, named=True)
    document = new_document()
    _page_setup(document)
    _header(document, record)
    _title(document, record)
    for line in record.legal_basis:
        _body(document, line, italic=True)
    _body(document, record.draft.opening or default_opening(record))
    _body(document, "I. KẾT QUẢ TIẾP NHẬN Ý KIẾN, CÂU HỎI CỦA THANH NIÊN", bold=True)
    for line in figures_paragraphs(record):
        _body(document, line)
    _body(document, "II. NỘI DUNG TRẢ LỜI THEO NHÓM VẤN ĐỀ", bold=True)
    if not record.topics:
        _body(document, "Chưa có câu hỏi nào được trả lời hoặc xử lý.")
    n = 0
    for number, section in enumerate(record.topics, 1):
        _body(document, f"{number}. {section.topic}", bold=True)
        for entry in section.entries:
            n += 1
            _question_paragraphs(document, entry, n)
    _body(document, "III. CÁC Ý KIẾN CHUYỂN CƠ QUAN CÓ THẨM QUYỀN, TRẢ LỜI BẰNG VĂN BẢN", bold=True)
    if record.followups:
        _body(
            document,
            f"Có {len(record.followups)} câu hỏi được ghi nhận để các cơ quan có "
            "thẩm quyền trả lời bằng văn bản theo quy định, cụ thể:",
        )
        _followup_table(document, record)
        _para(document, "", after=6)
        _written_answers(document, record)
    else:
        _body(document, "Không có.")
    _body(document, "IV. KẾT LUẬN CỦA CHỦ TRÌ", bold=True)
    if record.draft.conclusions:
        _body(document, record.draft.conclusions)
    host = record.host_body or "Cơ quan chủ trì"
    _body(
        document,
        f"Trên đây là Thông báo kết luận buổi đối thoại với thanh niên của {host}; "
        "đề nghị các cơ quan, đơn vị có liên quan căn cứ thực hiện, trả lời thanh "
        "niên đúng thời hạn theo quy định tại khoản 3 Điều 10 Luật Thanh niên",
        end="./.",
    )
    _signature(document, record)
    return document


def conclusion_docx(state: State) -> bytes:
    """The notice as DOCX bytes."""
    buffer = io.BytesIO()
    conclusion_document(state).save(buffer)
    return buffer.getvalue()


# --- the administrative layout other documents share (MC's script, invitations) ---

page_setup = _page_setup
para = _para
body = _body
run = _run
cell_line = _cell_line
borderless = _borderless
widths = _widths
rule = _rule
issuer_lines = _issuer_lines
bottom_border = _bottom_border
header = _header
signature = _signature
