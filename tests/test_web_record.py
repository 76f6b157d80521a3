"""The record on the web: the conclusion page and its DOCX, the import of
pre-collected questions, the archive exports and the public report."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from docx import Document as open_document
from openpyxl import Workbook, load_workbook
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from session_server.config import load_settings
from session_server.core.model import Origin, QuestionStatus, State
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.app import create_app
from tests.recorddemo import record_log

PASSWORD = "pw-for-tests"
SECRET = "y" * 32
DEMO = DEMO_DIALOGUE_ID
IMPORT = f"/o/{DEMO}/import"
CONCLUSION = f"/o/{DEMO}/conclusion"
HEADER = "Đơn vị,Người hỏi,Điểm cầu,Nhóm vấn đề,Câu hỏi\r\n"


def _client(log: MemoryEventLog) -> TestClient:
    settings = dataclasses.replace(
        load_settings(None),
        organiser_password=Secret(PASSWORD),
        media=False,
        public_url="http://testserver",
    )
    return TestClient(create_app(settings, log, SECRET))


def _live_log() -> MemoryEventLog:
    log = MemoryEventLog()

    async def seed() -> None:
        session = DialogueSession(log, DEMO)
        await session.load()
        now = datetime.now(UTC)
        await session.execute_all(demo_commands(now), now)

    asyncio.run(seed())
    return log


def _sign_in(client: TestClient) -> None:
    response = client.post("/o/login", data={"password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303


@pytest.fixture
def live() -> Iterator[TestClient]:
    with _client(_live_log()) as client:
        _sign_in(client)
        yield client


@pytest.fixture
def closed() -> Iterator[TestClient]:
    with _client(record_log()) as client:
        _sign_in(client)
        yield client


def state(client: TestClient) -> State:
    app = client.app
    assert isinstance(app, Starlette)
    result: State = app.state.registry.hubs[DEMO].session.state
    return result


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match
    return match.group(1)


def upload(
    client: TestClient, content: bytes, filename: str = "cau-hoi.csv", mode: str = "all"
) -> httpx.Response:
    response: httpx.Response = client.post(
        IMPORT,
        data={"csrf": csrf(client, IMPORT), "action": "import_questions", "mode": mode},
        files={"file": (filename, content, "text/csv")},
    )
    return response


def imported(client: TestClient) -> list[int]:
    return [q.question_id for q in state(client).questions.values() if q.origin is Origin.IMPORTED]


# --- the conclusion page ---------------------------------------------------------


def test_the_record_pages_need_the_organiser(closed: TestClient) -> None:
    closed.cookies.clear()
    for path in (CONCLUSION, IMPORT):
        response = closed.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/o/login")
    for path in (
        f"{CONCLUSION}.docx",
        f"/o/{DEMO}/export/questions.csv",
        f"/o/{DEMO}/export/events.json",
    ):
        assert closed.get(path).status_code == 401


def test_the_conclusion_draft_is_saved_through_the_core(closed: TestClient) -> None:
    page = closed.get(CONCLUSION)
    assert "Sở Y tế" in page.text  # the default recipients
    assert "Kết luận của lãnh đạo Ủy ban nhân dân tỉnh An Giang" in page.text
    response = closed.post(
        CONCLUSION,
        data={
            "csrf": csrf(closed, CONCLUSION),
            "action": "set_conclusion_draft",
            "number": "25/TB-UBND",
            "signer_position": "Phó Chủ tịch",
            "signer_name": "Trần Quang Vinh",
            "attendance": "850",
            "recipients": "Bộ Nội vụ\nCác sở, ban, ngành tỉnh",
            "authority_lines": "",
            "conclusions": "Giao <b>Sở Nội vụ</b> theo dõi.",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    draft = state(closed).conclusion
    assert draft is not None and draft.number == "25/TB-UBND" and draft.attendance == 850
    assert draft.recipients == ("Bộ Nội vụ", "Các sở, ban, ngành tỉnh")
    page = closed.get(CONCLUSION)
    assert "Giao &lt;b&gt;Sở Nội vụ&lt;/b&gt; theo dõi." in page.text
    download = closed.get(f"{CONCLUSION}.docx")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    document = open_document(io.BytesIO(download.content))
    texts = [p.text for t in document.tables for row in t.rows for p in row.cells[1].paragraphs]
    assert "Trần Quang Vinh" in texts
    assert document.tables[0].cell(1, 0).text == "Số: 25/TB-UBND"


def test_a_bad_draft_is_refused_and_shown_again(closed: TestClient) -> None:
    response = closed.post(
        CONCLUSION,
        data={
            "csrf": csrf(closed, CONCLUSION),
            "action": "set_conclusion_draft",
            "form": "conclusion",
            "back": CONCLUSION + "#rec-draft",
            "attendance": "-5",
            "signer_name": "Người Thử",
        },
    )
    assert response.status_code == 422  # breaks the command's model: refused before the core
    assert "Số người tham dự phải từ 0 trở lên" in response.text
    assert 'value="Người Thử"' in response.text
    assert state(closed).conclusion is None
    forged = closed.post(CONCLUSION, data={"csrf": "0" * 64, "number": "1"})
    assert forged.status_code == 403


# --- the exports -----------------------------------------------------------------------


def test_questions_as_csv_xlsx_and_json(closed: TestClient) -> None:
    questions = state(closed).questions
    questions[2].text = '=HYPERLINK("http://evil","x")'  # as if imported
    questions[3].asker = dataclasses.replace(questions[3].asker, name="@SUM(A1)")
    raw = closed.get(f"/o/{DEMO}/export/questions.csv")
    assert raw.status_code == 200 and raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã", "Trạng thái", "Kết quả xử lý", "Nguồn"]
    assert len(rows) == len(questions) + 1
    assert rows[2][8] == '\'=HYPERLINK("http://evil","x")'
    assert rows[3][9] == "'@SUM(A1)"
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    book = load_workbook(io.BytesIO(closed.get(f"/o/{DEMO}/export/questions.xlsx").content))
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=9).value == '\'=HYPERLINK("http://evil","x")'
    assert sheet.cell(row=3, column=9).data_type == "s"
    body = json.loads(closed.get(f"/o/{DEMO}/export/questions.json").content)
    assert body["questions"][1]["text"] == '=HYPERLINK("http://evil","x")'
    statuses = {q["status"] for q in body["questions"]}
    assert {"answered", "forwarded", "deferred", "merged", "rejected"} <= statuses


def test_the_event_log_as_json(closed: TestClient) -> None:
    response = closed.get(f"/o/{DEMO}/export/events.json")
    assert response.status_code == 200
    body = json.loads(response.content)
    app = closed.app
    assert isinstance(app, Starlette)
    hub = app.state.registry.hubs[DEMO]
    assert len(body["events"]) == hub.session.seq
    assert [e["seq"] for e in body["events"]] == list(range(1, hub.session.seq + 1))
    assert body["events"][0]["name"] == "DialogueCreated"
    assert closed.get(f"/o/{DEMO}/export/secrets.txt").status_code == 404


# --- the public report -----------------------------------------------------------------


def test_the_public_report_names_nobody(closed: TestClient) -> None:
    closed.cookies.clear()
    response = closed.get(f"/r/{DEMO}")
    assert response.status_code == 200
    text = response.text
    assert "@media print" in text
    assert "KẾT QUẢ BUỔI ĐỐI THOẠI" in text
    assert "Sở Y tế" in text and "05/04/2024" in text
    assert "Tóm tắt trả lời câu hỏi số 5." in text
    for question in state(closed).questions.values():
        for asker in question.askers():
            assert asker.name not in text
            if asker.unit:
                assert asker.unit not in text
    answered = sum(q.status is QuestionStatus.ANSWERED for q in state(closed).questions.values())
    assert f"đã trả lời trực tiếp tại buổi đối thoại {answered} câu hỏi" in text
    assert closed.get("/r/no-such-dialogue").status_code == 404


def test_no_public_report_before_the_day() -> None:
    log = MemoryEventLog()

    async def seed() -> None:
        session = DialogueSession(log, DEMO)
        await session.load()
        now = datetime.now(UTC)
        await session.execute_all(demo_commands(now, live=False), now)

    asyncio.run(seed())
    with _client(log) as client:
        assert client.get(f"/r/{DEMO}").status_code == 404


# --- import -------------------------------------------------------------------------------


GOOD = (
    HEADER
    + "Đoàn xã Mỹ Hòa,Nguyễn Văn A,tp. chau doc,viec-lam,Thanh niên cần thêm việc làm tại chỗ?\r\n"
    + "Chi đoàn B,,Huyện Tri Tôn,Khởi nghiệp; đổi mới sáng tạo; lập nghiệp,"
    "Vốn khởi nghiệp cho thanh niên?\r\n"
    + ",,,,\r\n"
    + 'Đoàn trường C,Lê Thị D,,,"=HYPERLINK(""http://x"",""y"")"\r\n'
)


def test_a_good_file_is_imported_with_names_matched(live: TestClient) -> None:
    before = len(state(live).questions)
    response = upload(live, GOOD.encode("utf-8-sig"))
    assert response.status_code == 200, response.text
    assert "Đã nhập 3 câu hỏi." in response.text
    new = [state(live).questions[q] for q in imported(live)]
    assert len(state(live).questions) == before + 3
    assert [q.bridge_id for q in new] == ["chau-doc", "tri-ton", "tinh"]
    assert new[0].topic_id == "viec-lam" and new[2].topic_id is None
    assert new[0].asker.name == "Nguyễn Văn A" and not new[0].asker.public
    assert new[2].text == '=HYPERLINK("http://x","y")'  # kept as text
    assert "5" in response.text and "=, +, - hoặc @" in response.text  # flagged row 5
    again = upload(live, GOOD.encode("utf-8-sig"))
    assert "Đã nhập 0 câu hỏi." in again.text
    assert "3 dòng đã được nhập từ trước" in again.text
    assert len(imported(live)) == 3


def test_wrong_headers_refuse_the_file(live: TestClient) -> None:
    response = upload(live, b"name,email\r\nA,a@example.org\r\n")
    assert response.status_code == 400
    assert "Không tìm thấy cột câu hỏi" in response.text
    assert "No question column found" in response.text  # both languages
    assert imported(live) == []


def test_bad_rows_refuse_the_whole_file_with_row_numbers(live: TestClient) -> None:
    content = (
        HEADER
        + "A,B,tinh,viec-lam,Câu hỏi hợp lệ thứ nhất\r\n"
        + "A,B,tinh,viec-lam,\r\n"
        + "A,B,tinh,viec-lam,"
        + "x" * 5000
        + "\r\n"
        + "A,B,Huyện Không Có,viec-lam,Câu hỏi ở điểm cầu lạ\r\n"
        + "A,B,tinh,chu-de-la,Câu hỏi về chủ đề lạ\r\n"
        + "A,B,tinh,viec-lam,Câu hỏi hợp lệ thứ hai\r\n"
    ).encode()
    response = upload(live, content)
    assert response.status_code == 400
    assert imported(live) == []
    table = response.text.split('id="import-errors"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td>", table)
    assert rows == ["3", "4", "5", "6"]
    assert "Câu hỏi không được để trống" in table or "Câu hỏi" in table
    assert "Question is too long: 5000 characters" in table
    assert "There is no bridge point" in table and "Không có nhóm vấn đề" in table
    assert "Tệp có 4 dòng lỗi nên chưa nhập câu hỏi nào." in response.text
    chosen = upload(live, content, mode="good")
    assert chosen.status_code == 200
    assert "Đã nhập 2 câu hỏi." in chosen.text
    assert len(imported(live)) == 2


def test_a_quoted_cell_after_the_first_4_kb_is_kept_whole(live: TestClient) -> None:
    plain = [
        [
            "Đoàn xã Mỹ Hòa",
            f"Người hỏi {n}",
            "tinh",
            "viec-lam",
            f"Câu hỏi bình thường số {n} về việc làm cho thanh niên",
        ]
        for n in range(60)
    ]
    tricky = [
        'Chi đoàn "Tuổi trẻ", xã B',
        'Lê Văn "Tư", em',
        "Hội trường UBND tỉnh (điểm cầu chính)",
        "Việc làm, thị trường lao động",
        'Vốn vay "ưu đãi", lãi suất ""bao nhiêu""?',
    ]
    after = [["Đoàn trường C", "Lê Thị D", "chau-doc", "khoi-nghiep", "Câu hỏi sau dòng khó"]]
    head = HEADER + "".join(",".join(row) + "\r\n" for row in plain)
    assert len(head) > 4096
    quoted = ",".join('"' + cell.replace('"', '""') + '"' for cell in tricky)
    rest = "".join(",".join(row) + "\r\n" for row in after)
    response = upload(live, (head + quoted + "\r\n" + rest).encode())
    assert response.status_code == 200, response.text
    new = [state(live).questions[q] for q in imported(live)]
    got = [[q.asker.unit, q.asker.name, q.bridge_id, q.topic_id, q.text] for q in new]
    tricky_ids = [*tricky[:2], "tinh", "viec-lam", tricky[4]]
    assert got == [*plain, tricky_ids, *after]


def test_an_unterminated_quote_refuses_the_file(live: TestClient) -> None:
    content = (
        HEADER
        + "A,B,tinh,viec-lam,Câu hỏi thứ nhất\r\n"
        + 'A,B,tinh,viec-lam,"Câu hỏi thứ hai, quên đóng ngoặc\r\n'
        + "A,B,tinh,viec-lam,Câu hỏi thứ ba\r\n"
    ).encode()
    response = upload(live, content, mode="good")
    assert response.status_code == 400
    assert "Dòng 3 của tệp CSV có dấu ngoặc kép" in response.text
    assert "Row 3 of the CSV file has a double quote" in response.text
    assert imported(live) == []


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters with their
    vowel marks precomposed, tone marks as combining characters."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            split = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(m for m in split if m not in tones))
            out += base.encode("cp1258") + "".join(m for m in split if m in tones).encode("cp1258")
    return out


def test_a_legacy_encoded_csv_is_read_with_a_warning(live: TestClient) -> None:
    text = HEADER + "Đoàn xã,Trần Thị Ánh,tinh,viec-lam,Học nghề ở đâu cho phù hợp?\r\n"
    content = _cp1258(text)
    response = upload(live, content)
    assert response.status_code == 200, response.text
    assert "cp1258" in response.text
    (qid,) = imported(live)
    question = state(live).questions[qid]
    assert question.text == "Học nghề ở đâu cho phù hợp?"
    assert question.asker.name == "Trần Thị Ánh"


def test_a_binary_file_is_refused(live: TestClient) -> None:
    response = upload(live, b"\x00\x01\x02\x81\x8d\x8f\x90\x9d" * 10)
    assert response.status_code == 400
    assert imported(live) == []


def test_a_ten_megabyte_file_is_refused(live: TestClient) -> None:
    content = (HEADER + ("A,B,tinh,viec-lam," + "y" * 200 + "\r\n") * 50_000).encode()
    assert len(content) > 10_000_000
    response = upload(live, content)
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.text and "The file is too large" in response.text
    assert imported(live) == []


def test_too_many_rows_are_refused(live: TestClient) -> None:
    content = (HEADER + "A,B,tinh,viec-lam,Câu hỏi\r\n" * 5001).encode()
    response = upload(live, content)
    assert response.status_code == 400
    assert "tối đa 5000 dòng" in response.text
    assert imported(live) == []


def test_an_xlsx_file_with_vietnamese_headers(live: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ tên", "Đơn vị", "Điểm cầu", "Chủ đề", "Nội dung"])
    sheet.append(
        [
            "Võ Văn E",
            "Đoàn xã F",
            "TX. Tân Châu",
            "Đào tạo nghề, định hướng nghề nghiệp",
            "Có lớp dạy nghề dệt thổ cẩm không?",
        ]
    )
    sheet.append(["", "", "tan-chau", "dao-tao-nghe", "=1+1"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(live, buffer.getvalue(), filename="cau-hoi.xlsx")
    assert response.status_code == 200, response.text
    new = [state(live).questions[q] for q in imported(live)]
    assert [q.topic_id for q in new] == ["dao-tao-nghe", "dao-tao-nghe"]
    assert new[0].asker.name == "Võ Văn E" and new[1].text == "=1+1"


def test_likely_duplicates_are_flagged(live: TestClient) -> None:
    existing = state(live).questions[1].text
    folded = unicodedata.normalize("NFD", existing.upper())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).replace("Đ", "D")
    content = (
        HEADER
        + f'A,B,tinh,viec-lam,"{folded}!!"\r\n'
        + "A,B,tinh,viec-lam,Đề nghị tỉnh hỗ trợ vốn vay cho thanh niên nông thôn khởi nghiệp\r\n"
        + "A,B,tinh,viec-lam,Đề nghị tỉnh hỗ trợ vốn vay cho thanh niên nông thôn khởi nghiệp.\r\n"
    ).encode()
    response = upload(live, content)
    assert response.status_code == 200
    listed = response.text.split('id="import-duplicates"')[1].split("</ul>")[0]
    assert "Dòng 2 ≈ câu hỏi #1" in listed
    assert "Dòng 4 ≈ Dòng 3" in listed
    assert len(imported(live)) == 3  # flagged, still imported


def test_an_import_after_the_day_is_refused(closed: TestClient) -> None:
    response = upload(closed, (HEADER + "A,B,tinh,viec-lam,Câu hỏi muộn\r\n").encode())
    assert response.status_code == 400
    assert imported(closed) == []


def test_a_batch_is_all_or_nothing() -> None:
    from session_server.core import commands as c
    from session_server.core.errors import NotFound
    from session_server.core.model import Actor, Role

    log = _live_log()
    organiser = Actor(Role.ORGANISER)

    async def run() -> tuple[int, int]:
        session = DialogueSession(log, DEMO)
        await session.load()
        before = session.seq
        good = c.SubmitQuestion(organiser, "Câu hỏi tốt", "batch-key-0001", "tinh", Origin.IMPORTED)
        bad = c.SubmitQuestion(
            organiser, "Câu hỏi xấu", "batch-key-0002", "khong-co", Origin.IMPORTED
        )
        with pytest.raises(NotFound):
            await session.execute_batch([good, bad], datetime.now(UTC))
        assert session.seq == before and (await log.head(DEMO)).seq == before
        outcome = await session.execute_batch([good, good], datetime.now(UTC))
        return before, outcome.seq

    before, after = asyncio.run(run())
    assert after == before + 1  # the repeat of the same key adds nothing


def test_five_thousand_rows_import_in_one_go(live: TestClient) -> None:
    rows = "".join(
        f"Đơn vị {n},Người {n},tinh,viec-lam,Câu hỏi số {n} về việc làm {n * 7}\r\n"
        for n in range(5000)
    )
    response = upload(live, (HEADER + rows).encode())
    assert response.status_code == 200
    assert "Đã nhập 5000 câu hỏi." in response.text
