"""The layout of an administrative document under Decree 30/2020/ND-CP
(Appendix I), shared by the conclusion notice (``export/conclusion.py``)
and the invitations (``export/invitation.py``): A4 with the decree's
margins, Times New Roman, the two-column header (issuing body | national
title, number | dated place line), body paragraphs in 13–14 pt justified
with a first-line indent, the signature block on the right and "Nơi nhận"
on the left, page numbers at the top from page 2.
"""

from __future__ import annotations

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

from session_server.export.record import Record, vn_date, xml_safe

__all__ = [
    "BODY_PT",
    "DEFAULT_AUTHORITY",
    "FONT",
    "HEADER_PT",
    "MARGINS_MM",
    "RECIPIENT_PT",
    "add_body",
    "add_bottom_border",
    "add_cell_line",
    "add_header",
    "add_paragraph",
    "add_run",
    "add_signature",
    "make_borderless",
    "set_up_page",
    "set_widths",
    "upper",
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


def set_font(run_font: Font, size: float | None = None) -> None:
    """Times New Roman in every script slot (Vietnamese needs hAnsi/cs)."""
    run_font.name = FONT
    r_pr = run_font.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    if size is not None:
        run_font.size = Pt(size)


def add_run(
    paragraph: Paragraph,
    text: str,
    size: float = BODY_PT,
    *,
    bold: bool = False,
    italic: bool = False,
) -> None:
    run = paragraph.add_run(xml_safe(text))
    set_font(run.font, size)
    run.bold = bold
    run.italic = italic


def add_paragraph(
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
        add_run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def add_body(
    document: Document, text: str, *, bold: bool = False, italic: bool = False, end: str = ""
) -> Paragraph | None:
    """Body paragraphs: justified, first-line indent, 6 pt after; one per
    line of ``text``."""
    last = None
    lines = [line.strip() for line in xml_safe(text).split("\n") if line.strip()]
    for n, line in enumerate(lines):
        tail = end if n == len(lines) - 1 else ""
        last = add_paragraph(
            document,
            line + tail,
            bold=bold,
            italic=italic,
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent=True,
            after=6,
        )
    return last


def add_rule(cell: _Cell, width: Cm, rule: Cm) -> None:
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
    add_bottom_border(paragraph)


def add_bottom_border(paragraph: Paragraph) -> None:
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


def make_borderless(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def set_widths(table: Table, widths: tuple[Length, ...]) -> None:
    """Column widths, in the grid (LibreOffice reads it) and in every cell."""
    table.autofit = False
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def first_cell_paragraph(cell: _Cell) -> Paragraph:
    """A new cell holds one empty paragraph: use it for the first line."""
    paragraph: Paragraph = cell.paragraphs[0]
    return paragraph


def add_cell_line(
    cell: _Cell,
    text: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    first: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
) -> Paragraph:
    paragraph = first_cell_paragraph(cell) if first else cell.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    if text:
        add_run(paragraph, text, size, bold=bold, italic=italic)
    return paragraph


def add_page_field(paragraph: Paragraph) -> None:
    """A PAGE field (begin, instruction, separate, a placeholder, end)."""

    def part(tag: str, **attrs: str) -> None:
        run = paragraph.add_run()
        set_font(run.font, BODY_PT)
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
    set_font(placeholder.font, BODY_PT)
    part("w:fldChar", **{"w:fldCharType": "end"})


# --- the parts of an administrative document ----------------------------------


def upper(text: str) -> str:
    return xml_safe(text).upper()


def issuer_lines(host_body: str) -> list[str]:
    """ "Ủy ban nhân dân tỉnh An Giang" → "ỦY BAN NHÂN DÂN" / "TỈNH AN GIANG"."""
    capitals = upper(host_body)
    for marker in (" TỈNH ", " THÀNH PHỐ ", " HUYỆN ", " QUẬN ", " THỊ XÃ "):
        head, found, tail = capitals.partition(marker)
        if found and head:
            return [head, marker.strip() + " " + tail]
    return [capitals] if capitals else [""]


def add_header(document: Document, record: Record) -> None:
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    make_borderless(table)
    set_widths(table, (LEFT_WIDTH, RIGHT_WIDTH))
    left, right = table.rows[0].cells
    first = True
    if record.parent_body:
        add_cell_line(left, upper(record.parent_body), HEADER_PT, first=True)
        first = False
    for line in issuer_lines(record.host_body):
        add_cell_line(left, line, HEADER_PT, bold=True, first=first)
        first = False
    add_rule(left, LEFT_WIDTH, Cm(2.0))
    add_cell_line(right, NATIONAL_TITLE, HEADER_PT, bold=True, first=True)
    add_cell_line(right, MOTTO, BODY_PT, bold=True)
    add_rule(right, RIGHT_WIDTH, Cm(6.0))
    number_cell, date_cell = table.rows[1].cells
    add_cell_line(number_cell, f"Số: {record.number}", HEADER_PT, first=True)
    issued = vn_date(record.issued_on, record.locality) if record.issued_on else ""
    add_cell_line(date_cell, issued, BODY_PT, italic=True, first=True)
    for cell in (number_cell, date_cell):
        cell.paragraphs[0].paragraph_format.space_before = Pt(6)


def add_signature(document: Document, record: Record) -> None:
    draft = record.draft
    table = document.add_table(rows=1, cols=2)
    make_borderless(table)
    set_widths(table, (Cm(8.0), Cm(8.5)))
    left, right = table.rows[0].cells
    heading = add_cell_line(left, "", 12, first=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    add_run(heading, "Nơi nhận:", 12, bold=True, italic=True)
    recipients = record.recipients
    for n, line in enumerate(recipients):
        end = "." if n == len(recipients) - 1 else ";"
        add_cell_line(left, f"- {line}{end}", RECIPIENT_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    authority = draft.authority_lines or DEFAULT_AUTHORITY
    first = True
    for line in authority:
        add_cell_line(right, upper(line), BODY_PT, bold=True, first=first)
        first = False
    if draft.signer_position:
        add_cell_line(right, upper(draft.signer_position), BODY_PT, bold=True, first=first)
    for _ in range(4):
        add_cell_line(right, "", BODY_PT)
    add_cell_line(right, draft.signer_name, BODY_PT, bold=True)


def set_up_page(document: Document) -> None:
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
    add_page_field(header)
    normal = document.styles["Normal"]
    set_font(normal.font, BODY_PT)
    normal.paragraph_format.space_after = Pt(0)
    core = document.core_properties
    core.author = ""
    core.last_modified_by = ""
    core.comments = ""
