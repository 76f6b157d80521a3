"""Invitations with their QR codes, the list of delegates per bridge point,
and attendance in the conclusion notice: DOCX read back and rendered by
LibreOffice."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import segno
from docx import Document as open_document

from session_server.core import apply, decide
from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Role, State
from session_server.demo import demo_commands
from session_server.export.conclusion import conclusion_docx, figures_paragraphs
from session_server.export.invitation import (
    delegate_list_docx,
    invitations_docx,
    parse_qr,
    qr_payload,
)
from session_server.export.record import build_record
from tests.recorddemo import DAY
from tests.rosterdemo import roster_commands

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ORGANISER = Actor(Role.ORGANISER)
DOOR = Actor(Role.CHECK_IN, bridge_id="tinh")


def _state() -> State:
    state = State()
    for command in [*demo_commands(DAY), *roster_commands()]:
        for event in decide(state, command, DAY):
            apply(state, event)
    return state


def _run(state: State, command: c.Command) -> None:
    for event in decide(state, command, DAY):
        apply(state, event)


def _text(data: bytes) -> str:
    document = open_document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _soffice() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    return soffice


def test_an_invitation_names_the_delegate_and_carries_their_qr_code() -> None:
    state = _state()
    delegate = state.roster.delegates["dlg-noivu-01"]
    data = invitations_docx(state, [delegate], issued_on=date(2024, 2, 20))
    text = _text(data)
    for expected in (
        "GIẤY MỜI",
        "ỦY BAN NHÂN DÂN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Đồng chí Phan Thị Thu Hà",
        "Bí thư Đoàn cơ sở, Đoàn cơ sở Sở Nội vụ",
        "08 giờ 30, ngày 05 tháng 3 năm 2024",
        "Hội trường UBND tỉnh (điểm cầu chính)",
        "/GM",
        "ngày 20 tháng 02 năm 2024",
        "Như trên",
    ):
        assert expected in text, expected
    document = open_document(io.BytesIO(data))
    images = [part.blob for part in document.part.package.parts if part.content_type == "image/png"]
    expected_png = io.BytesIO()
    segno.make(qr_payload("dlg-noivu-01"), error="m").save(
        expected_png, kind="png", scale=8, border=4
    )
    assert images == [expected_png.getvalue()]
    assert parse_qr(qr_payload("dlg-noivu-01")) == "dlg-noivu-01"
    assert parse_qr("https://example.org/x") == ""


def test_a_units_invitations_are_one_a_page_and_a_district_delegate_goes_to_its_bridge() -> None:
    state = _state()
    _run(state, rc.RegisterDelegate(ORGANISER, "dlg-chaudoc-2", "doan-chau-doc", "Ông Văn Tài"))
    delegates = [d for d in state.roster.delegates.values() if d.unit_id == "doan-chau-doc"]
    text = _text(invitations_docx(state, delegates))
    assert text.count("GIẤY MỜI") == 2
    assert "Điểm cầu TP. Châu Đốc" in text


def test_the_list_of_a_bridge_point_has_guests_first_and_who_checked_in() -> None:
    state = _state()
    _run(state, rc.CheckInDelegate(DOOR, "dlg-daihoc-01", "tinh"))
    _run(state, rc.CountWalkIns(DOOR, "tinh", 4))
    document = open_document(io.BytesIO(delegate_list_docx(state, "tinh")))
    rows = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert [row[1] for row in rows[1:]] == [
        "Lê Hoàng Phúc",
        "Mai Anh Tuấn",
        "Phan Thị Thu Hà",
        "Lữ Minh Khôi",
    ]
    assert rows[4][3] == "08:00"  # checked in at DAY, Vietnam time
    assert rows[3][3] == ""
    assert "đã đếm: 4" in "\n".join(p.text for p in document.paragraphs)


def test_attendance_in_the_notice_comes_from_the_check_ins() -> None:
    state = _state()
    _run(state, c.SetConclusionDraft(ORGANISER, attendance=850))
    record = build_record(state)
    assert (record.attendance, record.attendance_entered) == (850, True)  # nobody checked in
    assert record.attendance_by_bridge == ()
    _run(state, rc.CheckInDelegate(DOOR, "dlg-noivu-01", "tinh"))
    _run(state, rc.CountWalkIns(DOOR, "tinh", 2))
    _run(state, rc.CountWalkIns(Actor(Role.CHECK_IN, bridge_id="chau-doc"), "chau-doc", 5))
    record = build_record(state)
    assert (record.attendance, record.attendance_entered) == (8, False)
    assert record.attendance_by_bridge == (
        ("Hội trường UBND tỉnh (điểm cầu chính)", 3),
        ("TP. Châu Đốc", 5),
    )
    assert figures_paragraphs(record)[0] == (
        "Số người tham dự: 8 (theo điểm cầu: Hội trường UBND tỉnh (điểm cầu chính): 3; "
        "TP. Châu Đốc: 5)."
    )
    assert "Tham dự buổi đối thoại có 8 đại biểu" in _text(conclusion_docx(state))


def test_invitation_rendered_by_libreoffice(tmp_path: Path) -> None:
    """LibreOffice opens the invitation: its text reads back, and the PDF is
    kept beside it (its first page is docs/invitation-page1.png)."""
    soffice = _soffice()
    state = _state()
    delegate = state.roster.delegates["dlg-noivu-01"]
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "invitation-sample.docx"
    source.write_bytes(invitations_docx(state, [delegate], issued_on=date(2024, 2, 20)))
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    for target in ("txt:Text (encoded):UTF8", "pdf"):
        command = [soffice, profile, "--headless", "--convert-to", target]
        subprocess.run(
            [*command, "--outdir", str(ARTIFACTS), str(source)],
            check=True,
            capture_output=True,
            timeout=180,
        )
    text = (ARTIFACTS / "invitation-sample.txt").read_text(encoding="utf-8-sig")
    for expected in ("GIẤY MỜI", "Đồng chí Phan Thị Thu Hà", "Mã điểm danh: dlg-noivu-01"):
        assert expected in text, expected
    assert (ARTIFACTS / "invitation-sample.pdf").read_bytes().startswith(b"%PDF")
