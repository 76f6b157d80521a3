"""The MC's script (kịch bản) as a DOCX file: the programme with planned
times, the guests introduced in precedence order (those checked in, once
check-in has begun), the pre-collected questions per topic with their
askers named only with consent, the closing; never a suggested answer nor
a phone number; rendered by LibreOffice."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document as open_document

from session_server.core import apply, decide
from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Origin, Role, State
from session_server.demo import demo_commands
from session_server.export.mc_script import mc_script_docx, planned_items, planned_questions
from tests.rosterdemo import roster_commands

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
NOW = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)
"""08:00 in Vietnam; the demo starts at 08:30."""
ORGANISER = Actor(Role.ORGANISER)
NOTE = "GỢI Ý KHÔNG ĐỌC TO: số liệu quỹ"
PHONE = "0907 000 111"


def _state(*extra: c.Command) -> State:
    state = State()
    commands = [
        *demo_commands(NOW, live=False),
        *roster_commands(unit_links=False),
        rc.RegisterDelegate(
            ORGANISER, "dlg-noivu-02", "doan-so-noi-vu", "Ngô Gia Bảo", phone=PHONE
        ),
        *extra,
    ]
    for step, command in enumerate(commands):
        for event in decide(state, command, NOW):
            apply(state, event)
        assert step >= 0
    return state


def _text(body: bytes) -> str:
    document = open_document(io.BytesIO(body))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def test_each_item_has_its_planned_time() -> None:
    state = _state()
    items = planned_items(state)
    times = [(i.starts.strftime("%H:%M"), i.ends.strftime("%H:%M")) for i in items]  # type: ignore[union-attr]
    assert times[:3] == [("08:30", "08:40"), ("08:40", "08:55"), ("08:55", "10:55")]
    text = _text(mc_script_docx(state))
    assert "1. Tuyên bố lý do, giới thiệu đại biểu (08:30–08:40, 10 phút)" in text
    assert "7. Bế mạc, chụp ảnh lưu niệm (11:35–11:40, 5 phút)" in text
    assert "KỊCH BẢN" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Xin trân trọng kính chào!" in text.split("7. Bế mạc")[1]


def test_guests_are_introduced_in_precedence_then_the_speakers() -> None:
    state = _state()
    text = _text(mc_script_docx(state))
    leader = text.index("Đồng chí Lê Hoàng Phúc, Phó Chủ tịch Hội đồng nhân dân tỉnh")
    press = text.index("Đồng chí Mai Anh Tuấn, Phóng viên Báo An Giang")
    first_speaker = next(iter(state.speakers.values()))
    assert leader < press < text.index(f"Đồng chí {first_speaker.name}")
    assert "4 đại biểu của 3 đơn vị" in text  # the units' delegates, counted
    assert PHONE not in text
    # once check-in has begun, only those checked in are introduced
    checked = _state(
        rc.CheckInDelegate(ORGANISER, "guest-bao-001", "tinh"),
        rc.CheckInDelegate(ORGANISER, "dlg-noivu-01", "tinh"),
    )
    text = _text(mc_script_docx(checked))
    assert "Đồng chí Lê Hoàng Phúc" not in text and "Đồng chí Mai Anh Tuấn" in text
    assert "Theo danh sách đã điểm danh" in text and "1 đại biểu của 1 đơn vị" in text


def test_questions_in_their_planned_order_with_askers_only_by_consent() -> None:
    state = _state()
    groups = planned_questions(state)
    assert [topic for topic, _s, _q in groups] == [
        t.name
        for t in state.topics.values()
        if any(q.topic_id == t.topic_id for q in state.questions.values())
    ]
    text = _text(mc_script_docx(state))
    for question in state.questions.values():
        assert question.origin is Origin.PRE_COLLECTED
        assert question.text.replace("\n", " ") in text
        if question.asker.name and not question.asker.public:
            assert question.asker.name not in text, question.question_id
    named = [q for q in state.questions.values() if q.asker.public and q.asker.name]
    assert named and all(q.asker.name in text for q in named)
    assert "một đoàn viên, thanh niên (điểm cầu" in text
    # the moderator's queue orders them once it exists; rejected ones go
    live = _state(c.ChangePhase(ORGANISER, c.Phase.LIVE))
    moderator = Actor(Role.MODERATOR)
    first, second = (q.question_id for q in planned_questions(live)[0][2][:2])
    for qid in (second, first):
        for event in decide(live, c.ApproveQuestion(moderator, qid), NOW):
            apply(live, event)
    for event in decide(
        live,
        c.RejectQuestion(moderator, planned_questions(live)[0][2][2].question_id, "Trùng"),
        NOW,
    ):
        apply(live, event)
    order = [q.question_id for q in planned_questions(live)[0][2]]
    assert order[:2] == [second, first]


def test_a_suggested_answer_is_never_in_the_script() -> None:
    state = _state(
        cp.DraftSuggestedAnswer(ORGANISER, 1, NOTE),
    )
    assert state.preparation.suggested_answers[1].text == NOTE
    assert NOTE not in _text(mc_script_docx(state))


def test_the_same_state_gives_the_same_text() -> None:
    state = _state()
    assert _text(mc_script_docx(state)) == _text(mc_script_docx(state))
    empty = State()
    for event in decide(empty, c.CreateDialogue(ORGANISER, "Chưa có gì"), NOW):
        apply(empty, event)
    assert "Chưa có chương trình." in _text(mc_script_docx(empty))


def test_the_script_rendered_by_libreoffice(tmp_path: Path) -> None:
    """LibreOffice opens the script: its text reads back, and the PDF is kept
    beside it (``UPDATE_SCREENSHOTS=1`` draws its first page with poppler's
    ``pdftoppm`` into docs/mc-script-page1.png)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing; .ci/run installs it")
        pytest.skip("LibreOffice (soffice) is not installed")
    state = _state(rc.CheckInDelegate(ORGANISER, "guest-hdnd-01", "tinh"))
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "mc-script-sample.docx"
    source.write_bytes(mc_script_docx(state))
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    for target in ("txt:Text (encoded):UTF8", "pdf"):
        subprocess.run(
            [
                soffice,
                profile,
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(ARTIFACTS),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    text = (ARTIFACTS / "mc-script-sample.txt").read_text(encoding="utf-8-sig")
    for expected in (
        "KỊCH BẢN",
        "MC: Kính thưa các đồng chí lãnh đạo",
        "Đồng chí Lê Hoàng Phúc, Phó Chủ tịch Hội đồng nhân dân tỉnh",
        "1. Tuyên bố lý do, giới thiệu đại biểu (08:30–08:40, 10 phút)",
        "Nhóm vấn đề 1:",
        "Câu hỏi 1 – ",
        "Bế mạc, chụp ảnh lưu niệm",
    ):
        assert expected in text, expected
    assert "Đồng chí Mai Anh Tuấn" not in text  # not checked in
    assert (ARTIFACTS / "mc-script-sample.pdf").read_bytes().startswith(b"%PDF")
    pdftoppm = shutil.which("pdftoppm")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and pdftoppm:
        page = ROOT / "docs" / "mc-script-page1"
        pdf = str(ARTIFACTS / "mc-script-sample.pdf")
        command = [pdftoppm, "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", pdf]
        subprocess.run([*command, str(page)], check=True, timeout=60)
        assert page.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
