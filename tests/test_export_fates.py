"""One fate and one deadline per question in every output: the conclusion
notice (DOCX, its text as LibreOffice renders it), the organiser's
follow-up board, the public report, CSV, XLSX and JSON; times in Vietnam
time; every question received in the public report; the organiser gives
the questions the day did not reach a fate after closing, in bulk."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.export.conclusion import figures_paragraphs
from session_server.export.record import build_record, signature_warnings
from tests.recorddemo import record_state
from tests.test_web_followup import BOARD, DEMO, Clock, _app, _board_form, _sign_in, _state

ORGANISER = Actor(Role.ORGANISER)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(_app(Clock())) as client:
        _sign_in(client)
        yield client


def _give_fates(client: TestClient, ids: list[int], **fields: str) -> None:
    data: dict[str, object] = {**_board_form(client, "fates"), **fields}
    data["question_ids"] = [str(i) for i in ids]
    done = client.post(BOARD, data=data, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert client.get(done.headers["location"]).status_code == 200


def _docx_text(client: TestClient, tmp_path: Path) -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    target = tmp_path / "notice.docx"
    target.write_bytes(client.get(f"/o/{DEMO}/conclusion.docx").content)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            str(tmp_path),
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (tmp_path / "notice.txt").read_text(encoding="utf-8-sig")


def test_the_same_fate_and_deadline_in_every_output(client: TestClient, tmp_path: Path) -> None:
    # 2 and 11: approved, never reached; the dialogue is closed
    _give_fates(
        client, [2, 17], fate="forward", deadline="2024-04-30", note="Cần số liệu của huyện"
    )
    _give_fates(client, [11], fate="defer", note="Trả lời sau khi họp")
    state = _state(client)
    assert state.questions[2].forwarding is not None
    assert state.questions[2].forwarding.agency == "Sở Lao động, Thương binh và Xã hội"
    assert state.questions[11].status.value == "deferred"
    # 16 was deferred on the day without a deadline: due 30 days after
    expected = {2: "30/04/2024", 17: "30/04/2024", 11: "09/04/2024", 16: "04/04/2024"}
    notes = {2: "Cần số liệu của huyện", 11: "Trả lời sau khi họp"}

    board = client.get(BOARD).text
    report = client.get(f"/r/{DEMO}").text
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/o/{DEMO}/export/questions.csv").content.decode("utf-8-sig"))
        )
    )
    by_id = {int(r["Mã"]): r for r in rows}
    book = load_workbook(io.BytesIO(client.get(f"/o/{DEMO}/export/questions.xlsx").content))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    xlsx = {
        int(str(row[0])): dict(zip(headers, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    body = json.loads(client.get(f"/o/{DEMO}/export/questions.json").content)
    js = {q["id"]: q for q in body["questions"]}
    docx = _docx_text(client, tmp_path)

    for qid, due in expected.items():
        board_row = board.split(f'id="fu-{qid}"')[1].split("</tr>")[0]
        assert due in board_row, qid
        report_row = report.split(f'id="fu-{qid}"')[1].split("</tr>")[0]
        assert due in report_row, qid
        assert by_id[qid]["Hạn trả lời"] == due
        assert xlsx[qid]["Hạn trả lời"] == due
        day, month, year = due.split("/")
        assert js[qid]["deadline"] == f"{year}-{month}-{day}"
        fate = build_record(state).every[qid - 1].fate_detail
        assert due in fate
        assert by_id[qid]["Kết quả xử lý"] == fate == xlsx[qid]["Kết quả xử lý"]
        assert js[qid]["fate_detail"] == fate
        assert fate in report.replace("\n", " ")
        assert fate.rstrip(".") in " ".join(docx.split()), (qid, fate)
    for qid, note in notes.items():
        for output in (board, report, docx, by_id[qid]["Ghi chú"], js[qid]["note"]):
            assert note in output, qid
    # codes in the JSON, words under the Vietnamese headers
    assert js[2]["status"] == "forwarded" and js[2]["fate"] == "forwarded"
    assert by_id[2]["Trạng thái"] == "Chuyển cơ quan có thẩm quyền"
    assert by_id[6]["Trạng thái"] == "Không tiếp nhận"
    assert by_id[6]["Loại lý do không tiếp nhận"] == "trùng nội dung"
    assert js[6]["rejection_category"] == "duplicate"


def test_exports_are_in_vietnam_time(client: TestClient) -> None:
    state = _state(client)
    state.questions[9].submitted_at = datetime(2024, 3, 5, 16, 32, tzinfo=UTC)  # 23:32 in Vietnam
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/o/{DEMO}/export/questions.csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[8]["Thời điểm gửi"] == "05/03/2024 23:32"
    body = json.loads(client.get(f"/o/{DEMO}/export/questions.json").content)
    assert body["questions"][8]["submitted_at"] == "2024-03-05T23:32:00+07:00"


def test_the_public_report_lists_every_question_received(client: TestClient) -> None:
    state = _state(client)
    client.cookies.clear()
    report = client.get(f"/r/{DEMO}").text
    table = report.split('id="every-table"')[1].split("</table>")[0]
    found = [int(n) for n in re.findall(r'id="all-(\d+)"', table)]
    assert found == sorted(state.questions)
    row = table.split('id="all-3"')[1].split("</tr>")[0]
    assert "Gộp vào câu hỏi số 20" in row
    row = table.split('id="all-6"')[1].split("</tr>")[0]
    assert "Không tiếp nhận: trùng nội dung" in row
    row = table.split('id="all-2"')[1].split("</tr>")[0]
    assert "Chưa được trả lời tại buổi đối thoại" in row


def test_rejections_are_counted_by_category_and_attendance_is_entered() -> None:
    state = record_state(
        extra=[
            c.SetConclusionDraft(ORGANISER, attendance=None),
        ]
    )
    state.questions[12].status = state.questions[6].status
    state.questions[12].rejection_reason = "Tin rác hoặc thử nghiệm"
    text = " ".join(figures_paragraphs(build_record(state)))
    assert "không thuộc chủ đề" not in text
    assert "2 ý kiến không được tiếp nhận (trùng nội dung: 1, tin rác, thử nghiệm: 1)" in text
    record = build_record(state)
    assert record.attendance is None


def test_a_deputy_signature_block_is_checked() -> None:
    from session_server.core.model import ConclusionDraft

    wrong = ConclusionDraft(
        authority_lines=("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), signer_position="CHỦ TỊCH"
    )
    assert signature_warnings(wrong)
    right = ConclusionDraft(
        authority_lines=("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), signer_position="PHÓ CHỦ TỊCH"
    )
    assert signature_warnings(right) == []
    chair = ConclusionDraft(authority_lines=("TM. ỦY BAN NHÂN DÂN",), signer_position="CHỦ TỊCH")
    assert signature_warnings(chair) == []


def test_the_moderators_deferral_takes_a_deadline_through_the_gateway_model() -> None:
    from datetime import date

    from session_server.core.model import Limits
    from session_server.web.models import CommandModels

    models = CommandModels(Limits())
    moderator = Actor(Role.MODERATOR)
    form = {"action": "defer_question", "question_id": "3", "deadline": "2024-04-30"}
    deferred = models.parse(form, moderator, strings=True)
    assert isinstance(deferred, c.DeferQuestion) and deferred.deadline == date(2024, 4, 30)
    sent = {"action": "forward_question", "question_id": 3, "agency": "Sở Y tế"}
    forwarded = models.parse({**sent, "deadline": "2024-04-30"}, moderator)
    assert isinstance(forwarded, c.ForwardQuestion) and forwarded.deadline == date(2024, 4, 30)
