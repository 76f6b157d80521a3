"""The conclusion notice: a DOCX in the layout of Decree 30/2020/ND-CP, built
from the log of the demo dialogue after its day."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document as open_document
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from session_server.core import commands as c
from session_server.core.errors import InvalidInput
from session_server.core.model import Actor, QuestionStatus, Role, State
from session_server.export.conclusion import conclusion_docx
from session_server.export.record import build_record, default_recipients, vn_date
from tests.recorddemo import ANSWERED, DAY, FORWARDED, record_state

ORGANISER = Actor(Role.ORGANISER)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

DRAFT = c.SetConclusionDraft(
    ORGANISER,
    number="25/TB-UBND",
    opening="Chiều ngày 05 tháng 3 năm 2024, Ủy ban nhân dân tỉnh tổ chức buổi đối thoại.",
    conclusions="Giao Sở Nội vụ theo dõi, đôn đốc việc trả lời các kiến nghị của thanh niên.",
    authority_lines=("TM. Ủy ban nhân dân", "KT. Chủ tịch"),
    signer_position="Phó Chủ tịch",
    signer_name="Trần Quang Vinh",
    recipients=("Bộ Nội vụ", "TT: Tỉnh ủy, HĐND tỉnh", "Các sở, ban, ngành tỉnh", "Lưu: VT, KGVX"),
)


def _open(state: State) -> Document:
    return open_document(io.BytesIO(conclusion_docx(state)))


def _text(document: Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    parts += [p.text for p in document.sections[0].header.paragraphs]
    return "\n".join(parts)


def _runs(paragraphs: list[Paragraph]) -> list[tuple[str, float | None, bool | None, bool | None]]:
    return [
        (r.text, r.font.size.pt if r.font.size else None, r.bold, r.italic)
        for p in paragraphs
        for r in p.runs
        if r.text.strip()
    ]


@pytest.fixture(scope="module")
def state() -> State:
    return record_state(extra=[DRAFT])


@pytest.fixture(scope="module")
def doc(state: State) -> Document:
    return _open(state)


def test_the_page_is_a4_with_the_decree_margins(doc: Document) -> None:
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert abs(section.page_width.mm - 210) < 0.5
    assert abs(section.page_height.mm - 297) < 0.5
    margins = {
        "top": section.top_margin,
        "bottom": section.bottom_margin,
        "left": section.left_margin,
        "right": section.right_margin,
    }
    ranges = {"top": (20, 25), "bottom": (20, 25), "left": (30, 35), "right": (15, 20)}
    for side, (low, high) in ranges.items():
        value = margins[side]
        assert value is not None and low - 0.1 <= value.mm <= high + 0.1, side


def test_every_run_is_times_new_roman_and_the_body_is_13_to_14_pt(doc: Document) -> None:
    assert doc.styles["Normal"].font.name == "Times New Roman"  # type: ignore[union-attr]
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            assert run.font.name in (None, "Times New Roman")
    body = [p for p in doc.paragraphs if p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY]
    assert len(body) > 20
    for paragraph in body:
        fmt = paragraph.paragraph_format
        assert fmt.first_line_indent is not None and 1.0 <= fmt.first_line_indent.cm <= 1.3
        assert fmt.space_after is not None and fmt.space_after.pt >= 6
        for run in paragraph.runs:
            assert run.font.size is not None and 13 <= run.font.size.pt <= 14
    assert body[-1].text.endswith("./.")


def test_the_header_table(doc: Document) -> None:
    header: Table = doc.tables[0]
    assert len(header.rows) == 2 and len(header.columns) == 2
    assert 'w:val="nil"' in header._tbl.xml  # borderless
    issuer = header.cell(0, 0)
    lines = [p.text for p in issuer.paragraphs if p.text]
    assert lines == ["ỦY BAN NHÂN DÂN", "TỈNH AN GIANG"]
    for text, size, bold, _italic in _runs(issuer.paragraphs):
        assert text == text.upper() and bold and size is not None and 12 <= size <= 13
    assert 'w:bottom w:val="single"' in issuer._tc.xml  # the short rule
    nation = header.cell(0, 1)
    runs = _runs(nation.paragraphs)
    assert runs[0][0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert runs[0][2] and runs[0][1] is not None and 12 <= runs[0][1] <= 13
    assert runs[1][0] == "Độc lập - Tự do - Hạnh phúc"
    assert runs[1][2] and runs[1][1] is not None and 13 <= runs[1][1] <= 14
    assert 'w:bottom w:val="single"' in nation._tc.xml
    number = header.cell(1, 0).text
    assert re.fullmatch(r"Số: \d+/TB-UBND", number), number
    assert _runs(header.cell(1, 0).paragraphs)[0][1] == 13
    dated = _runs(header.cell(1, 1).paragraphs)
    assert dated[0][0] == "An Giang, ngày 05 tháng 3 năm 2024"
    assert dated[0][3] is True  # italic


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 3, 5), "An Giang, ngày 05 tháng 3 năm 2024"),
        (date(2024, 1, 15), "An Giang, ngày 15 tháng 01 năm 2024"),
        (date(2024, 2, 2), "An Giang, ngày 02 tháng 02 năm 2024"),
        (date(2024, 12, 9), "An Giang, ngày 09 tháng 12 năm 2024"),
        (date(2024, 10, 31), "An Giang, ngày 31 tháng 10 năm 2024"),
    ],
)
def test_the_date_line_pads_days_and_only_january_and_february(day: date, expected: str) -> None:
    assert vn_date(day, "An Giang") == expected


def test_the_title_and_the_legal_basis(doc: Document) -> None:
    texts = [p.text for p in doc.paragraphs]
    title = texts.index("THÔNG BÁO")
    assert doc.paragraphs[title].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(r.bold for r in doc.paragraphs[title].runs)
    summary = texts[title + 1]
    assert summary.startswith("Kết luận của Phó Chủ tịch Ủy ban nhân dân tỉnh An Giang")
    assert "tại buổi đối thoại với thanh niên tỉnh An Giang năm 2024" in summary
    basis = [p for p in doc.paragraphs if p.text.startswith("Căn cứ")]
    assert len(basis) == 2 and all(r.italic for p in basis for r in p.runs)


def test_the_figures_come_from_the_state(state: State, doc: Document) -> None:
    text = _text(doc)
    answered = sum(q.status is QuestionStatus.ANSWERED for q in state.questions.values())
    assert answered == len(ANSWERED)
    assert f"đã trả lời trực tiếp tại buổi đối thoại {answered} câu hỏi" in text
    assert f"chuyển cơ quan có thẩm quyền trả lời {len(FORWARDED)} câu hỏi" in text
    assert "trả lời bằng văn bản sau buổi đối thoại 1 câu hỏi" in text
    assert f"Tổng số câu hỏi, ý kiến tiếp nhận: {len(state.questions)}" in text
    assert "TX. Tịnh Biên: 2" in text  # by bridge point
    assert "Việc làm, thị trường lao động: 8" in text  # by topic
    assert "Tóm tắt trả lời câu hỏi số 5." in text
    assert "Cam kết: Tổ chức ngày hội việc làm mỗi quý" in text and "30/06/2024" in text
    assert "với 11 điểm cầu" not in text  # the organiser's own opening replaced it
    assert "Chiều ngày 05 tháng 3 năm 2024" in text


def test_forwarded_questions_are_in_a_table_with_agency_and_deadline(doc: Document) -> None:
    table = next(t for t in doc.tables if t.cell(0, 0).text == "STT")
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert [row[3] for row in rows] == ["Sở Y tế", "Sở Xây dựng", "—"]  # 16 is deferred
    assert rows[0][4] == "05/04/2024"


def test_signature_block_and_recipients(doc: Document) -> None:
    signature = doc.tables[-1]
    left, right = signature.rows[0].cells
    heading = left.paragraphs[0].runs[0]
    assert heading.text == "Nơi nhận:" and heading.bold and heading.italic
    assert heading.font.size is not None and heading.font.size.pt == 12
    lines = [p.text for p in left.paragraphs[1:]]
    assert lines == [
        "- Bộ Nội vụ;",
        "- TT: Tỉnh ủy, HĐND tỉnh;",
        "- Các sở, ban, ngành tỉnh;",
        "- Lưu: VT, KGVX.",
    ]
    assert all(
        r.font.size is not None and r.font.size.pt == 11
        for p in left.paragraphs[1:]
        for r in p.runs
    )
    signed = [p.text for p in right.paragraphs if p.text]
    assert signed == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Quang Vinh"]
    assert all(r.bold for p in right.paragraphs for r in p.runs)


def test_recipients_default_to_every_agency_involved() -> None:
    state = record_state()
    recipients = default_recipients(state)
    assert recipients[-1] == "Lưu: VT"
    assert "Sở Nội vụ" in recipients and "Sở Y tế" in recipients  # speaker, forwarding
    assert "Ủy ban nhân dân tỉnh" not in recipients  # the host itself
    left = _open(state).tables[-1].rows[0].cells[0]
    assert left.paragraphs[-1].text == "- Lưu: VT."


def test_page_numbers_from_page_two(doc: Document) -> None:
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    assert section.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert not section.first_page_header.paragraphs[0].text


def test_exporting_twice_gives_the_same_text(state: State) -> None:
    assert _text(_open(state)) == _text(_open(state))
    again = record_state(extra=[DRAFT])
    assert _text(_open(again)) == _text(_open(state))


def test_askers_without_consent_are_not_named(doc: Document, state: State) -> None:
    text = _text(doc)
    assert not state.questions[16].asker.public
    assert state.questions[16].text in text
    assert state.questions[16].asker.name not in text
    assert "Trần Thị Mỹ Linh (Đoàn Trường Đại học An Giang)" in text  # consented


def test_markup_and_control_characters_do_not_break_the_xml() -> None:
    state = record_state(extra=[DRAFT])
    question = state.questions[1]
    question.text = "<script>alert(1)</script> & \x00\x0b\x1f\ufffe ]]> \"'"
    document = _open(state)
    text = _text(document)
    assert "<script>alert(1)</script> &  ]]> \"'" in text
    assert "\x00" not in text


def test_the_draft_is_validated_and_bounded() -> None:
    state = record_state()
    with pytest.raises(InvalidInput):
        record_state(extra=[c.SetConclusionDraft(ORGANISER, opening="x" * 9000)])
    with pytest.raises(InvalidInput):
        record_state(extra=[c.SetConclusionDraft(ORGANISER, recipients=("a",) * 41)])
    with pytest.raises(InvalidInput):
        record_state(extra=[c.SetConclusionDraft(ORGANISER, attendance=-1)])
    assert state.conclusion is None
    record = build_record(record_state(extra=[c.SetConclusionDraft(ORGANISER, attendance=850)]))
    assert record.attendance == 850 and record.attendance_entered
    assert build_record(state).attendance is None  # never the halls' capacity


def test_only_the_organiser_writes_the_draft() -> None:
    from session_server.core.errors import Forbidden

    with pytest.raises(Forbidden):
        record_state(extra=[c.SetConclusionDraft(Actor(Role.MODERATOR), number="1")])


def test_sample_docx_and_pdf(state: State) -> None:
    """An artefact for people to look at: the sample notice as DOCX and,
    where LibreOffice is installed, as PDF."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "conclusion-sample.docx"
    target.write_bytes(conclusion_docx(state))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(ARTIFACTS), str(target)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = ARTIFACTS / "conclusion-sample.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert DAY.year == 2024
