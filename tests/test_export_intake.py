"""Reading the import file: every cell of a CSV (any delimiter, UTF-8 with or
without BOM, or cp1258) or an XLSX comes back exactly as it was written."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from openpyxl import Workbook

from session_server.core.errors import InvalidInput
from session_server.core.model import Actor, Role, State
from session_server.demo import DEMO_BRIDGES, DEMO_TOPICS
from session_server.export.intake import MAX_CELL, plan_import, read_table
from tests.conftest import NOW

ORGANISER = Actor(Role.ORGANISER)
HEADER = [
    "Cơ quan, đơn vị",
    "Người hỏi",
    "Điểm cầu",
    "Nhóm vấn đề",
    "Câu hỏi",
    "Ghi chú",
    "Đồng ý nêu tên",
]

AWKWARD = (
    "Vốn vay, lãi suất và thời hạn?",
    "Dự án; đề án; kế hoạch: khi nào triển khai?",
    "Cột\tcó\tdấu tab ở giữa",
    'Câu hỏi về "nhà ở xã hội", ""giá"" bao nhiêu?',
    '"Trích dẫn" ở đầu, và "ở cuối"',
    "Dòng một\nDòng hai, có dấu phẩy\n\nDòng bốn; có chấm phẩy",
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+84 912 345 678 có được tư vấn không?",
    "-1 ý kiến phản đối",
    "@tinhdoan trả lời giúp",
    "Thanh niên Chăm, Khmer ở Tịnh Biên – Tri Tôn được hỗ trợ học nghề thế nào?",
    "Đường vào ấp Vĩnh Phước; cầu ‘khỉ’ — khi nào làm lại?",
    "'Dấu nháy đơn' và \\ dấu gạch chéo ngược",
)
PEOPLE = (
    ('Nguyễn Văn "Tèo", A', "Đoàn xã Mỹ Hòa; ấp 3"),
    ("Lê Thị Ánh", "=Chi đoàn B"),
    ("@Trần Quốc Bảo", "Đoàn trường THPT Thoại Ngọc Hầu\tlớp 12A1"),
    ("", ""),
    ("Néang Sa Rết", 'Hội LHTN "Việt Nam", huyện Tri Tôn'),
)


def _rows() -> list[list[str]]:
    """Ordinary rows first (the first 4 KB look harmless), then every awkward
    text in every column, cells at the limits, names and ids of bridge points
    and topics (some with commas)."""
    rows: list[list[str]] = []
    for n in range(60):
        rows.append(
            [
                f"Đoàn xã {n}",
                f"Người hỏi {n}",
                "tinh",
                "viec-lam",
                f"Câu hỏi bình thường số {n} về việc làm",
                "",
                "",
            ]
        )
    for n, text in enumerate(AWKWARD * 3):
        name, unit = PEOPLE[n % len(PEOPLE)]
        bridge_id, bridge_name = DEMO_BRIDGES[n % len(DEMO_BRIDGES)][:2]
        topic_id, topic_name = DEMO_TOPICS[n % len(DEMO_TOPICS)]
        note = AWKWARD[(n + 5) % len(AWKWARD)]
        rows.append(
            [
                unit,
                name,
                bridge_name if n % 2 else bridge_id,
                topic_id if n % 3 else topic_name,
                text,
                note,
                "x" if n % 2 else "",
            ]
        )
    long_question = ('Dài "quá", phải không;\t' * 50)[:1000].strip()
    long_note = ('Ghi chú, "dài";\tcó\nhai hàng ' * 1000)[:MAX_CELL]  # cp1258 as it is
    assert len(long_note) == MAX_CELL
    rows.append(["Đoàn khối", "Võ Văn E", "tan-chau", "khac", long_question, long_note, "1"])
    rows.append(["", "", "", "", "Câu hỏi cuối cùng, sau ô dài", long_note[::-1], ""])
    return rows


def _cp1258_text(text: str) -> str:
    """The text as Vietnamese Windows writes it in cp1258: letters it lacks
    split into a base letter and a combining tone mark."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            split = unicodedata.normalize("NFD", ch)
            out.append(unicodedata.normalize("NFC", "".join(m for m in split if m not in tones)))
            out.append("".join(m for m in split if m in tones))
    return "".join(out)


def _csv(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FILES = [
    pytest.param(encoding, delimiter, id=f"{encoding}-{name}")
    for encoding in ("utf-8", "utf-8-sig", "cp1258")
    for delimiter, name in ((",", "comma"), (";", "semicolon"), ("\t", "tab"))
] + [pytest.param("xlsx", "", id="xlsx")]


@pytest.mark.parametrize(("encoding", "delimiter"), FILES)
def test_every_cell_comes_back_as_written(live_demo: State, encoding: str, delimiter: str) -> None:
    rows = [HEADER, *_rows()]
    if encoding == "cp1258":
        rows = [[_cp1258_text(cell) for cell in row] for row in rows]
    if encoding == "xlsx":
        data, filename = _xlsx(rows), "cau-hoi.xlsx"
    else:
        data, filename = _csv(rows, delimiter, encoding), "cau-hoi.csv"

    header, body, warnings = read_table(data, filename)
    table = [header, *body]
    if encoding == "xlsx":  # a read-only sheet pads every row with empty cells
        assert all(not any(row[len(HEADER) :]) for row in table)
        table = [row[: len(HEADER)] for row in table]
    assert table == rows  # every cell, no column shifted
    assert bool(warnings) == (encoding == "cp1258")

    plan = plan_import(live_demo, data, filename, ORGANISER, NOW)
    assert plan.errors == [] and plan.rows == len(rows) - 1
    bridges = {name: bridge_id for bridge_id, name, *_ in DEMO_BRIDGES}
    topics = {name: topic_id for topic_id, name in DEMO_TOPICS}
    if encoding == "cp1258":
        bridges = {_cp1258_text(name): key for name, key in bridges.items()}
        topics = {_cp1258_text(name): key for name, key in topics.items()}
    got = [
        (c.text, c.asker_name, c.asker_unit, c.bridge_id, c.topic_id, c.asker_public)
        for _, c in plan.commands
    ]
    want = [
        (
            row[4],
            row[1],
            row[0],
            bridges.get(row[2], row[2] or "tinh"),
            topics.get(row[3], row[3] or None),
            row[6] != "",
        )
        for row in rows[1:]
    ]
    assert got == want
    formulas = [
        number
        for number, row in enumerate(rows[1:], start=2)
        if any(cell[:1] in "=+-@" and cell[:2] != "- " for cell in row if cell)
    ]
    assert plan.formula_rows == formulas


@pytest.mark.parametrize(
    "line",
    [
        'A,B,tinh,viec-lam,"Câu hỏi chưa đóng ngoặc\r\nA,B,tinh,viec-lam,Câu hỏi sau\r\n',
        'A,B,tinh,viec-lam,"Câu hỏi" có chữ sau dấu ngoặc\r\n',
    ],
    ids=["open", "out-of-place"],
)
def test_a_quote_open_or_out_of_place_refuses_the_file_at_its_row(line: str) -> None:
    rows = 'Đơn vị,Người hỏi,Điểm cầu,Nhóm vấn đề,Câu hỏi\r\nA,B,tinh,viec-lam,"Hai\r\ndòng"\r\n'
    with pytest.raises(InvalidInput) as refused:
        read_table((rows + line).encode(), "cau-hoi.csv")
    assert refused.value.code == "import.bad_quotes"
    assert refused.value.message("vi").startswith("Dòng 3 của tệp CSV có dấu ngoặc kép")
    assert refused.value.message("en").startswith("Row 3 of the CSV file has a double quote")


def test_a_row_with_more_cells_than_the_header_is_refused(live_demo: State) -> None:
    content = "Câu hỏi\r\nVốn vay; lãi suất?\r\nVốn vay, lãi suất?\r\n"  # written with ;
    plan = plan_import(live_demo, content.encode(), "cau-hoi.csv", ORGANISER, NOW)
    assert [command.text for _, command in plan.commands] == ["Vốn vay; lãi suất?"]
    assert [(error.row, error.en) for error in plan.errors] == [
        (
            3,
            "This row has cells past the header's last column (column 1): a delimiter or a "
            "double quote may be wrong.",
        ),
    ]


@pytest.mark.parametrize(
    ("typed", "bridge_id"),
    [
        ("Thành phố Châu Đốc", "chau-doc"),
        ("TP. Châu Đốc", "chau-doc"),
        ("Tp Chau Doc", "chau-doc"),
        ("thành phố long xuyên", "long-xuyen"),
        ("Thị xã Tân Châu", "tan-chau"),
        ("TX Tịnh Biên", "tinh-bien"),
        ("H. Chợ Mới", "cho-moi"),
        ("H.Châu Phú", "chau-phu"),
        ("Huyen Tri Ton", "tri-ton"),
        ("Châu Thành", "chau-thanh"),
        ("chau-doc", "chau-doc"),
    ],
)
def test_bridge_names_match_whatever_the_abbreviation(
    live_demo: State, typed: str, bridge_id: str
) -> None:
    content = f"Điểm cầu,Câu hỏi\r\n{typed},Vốn vay cho thanh niên khởi nghiệp?\r\n"
    plan = plan_import(live_demo, content.encode(), "cau-hoi.csv", ORGANISER, NOW)
    assert not plan.errors, typed
    assert [command.bridge_id for _, command in plan.commands] == [bridge_id]


def test_a_name_of_another_place_is_still_refused(live_demo: State) -> None:
    content = "Điểm cầu,Câu hỏi\r\nHuyện Long Xuyên,Vốn vay?\r\nTP. Cần Thơ,Vốn vay?\r\n"
    plan = plan_import(live_demo, content.encode(), "cau-hoi.csv", ORGANISER, NOW)
    assert [error.row for error in plan.errors] == [2, 3]
