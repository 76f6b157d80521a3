"""Registration and check-in through the web: the organiser's units,
guests and attendance pages, a unit's registration page by its own link,
the check-in page of a door, invitations and lists as DOCX, attendance on
the moderator's screen and in the record."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as open_document
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from session_server import cli
from session_server.core import commands as c
from session_server.core.model import LOCAL_TZ, Actor, Role, State
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.app import create_app
from tests.rosterdemo import roster_commands
from tests.webapp import SECRET, seed, settings

DEMO = DEMO_DIALOGUE_ID
ORGANISER = Actor(Role.ORGANISER)
DOOR_LINK = "door-tinh-01"


async def _seed(log: MemoryEventLog) -> None:
    await seed(log)
    session = DialogueSession(log, DEMO)
    await session.load()
    now = datetime.now(UTC)
    commands = [
        *roster_commands(),
        c.IssueLink(ORGANISER, DOOR_LINK, Role.CHECK_IN, "tinh", label="Hội trường tỉnh"),
    ]
    await session.execute_all(commands, now)


def roster_app(**changes: object) -> Starlette:
    log = MemoryEventLog()
    asyncio.run(_seed(log))
    return create_app(settings(**changes), log, SECRET)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(roster_app()) as client:
        yield client


def _state(client: TestClient) -> State:
    app = client.app
    assert isinstance(app, Starlette)
    state: State = app.state.registry.hubs[DEMO].session.state
    return state


def _token(client: TestClient, link_id: str) -> str:
    app = client.app
    assert isinstance(app, Starlette)
    token: str = app.state.registry.access.link_token(DEMO, link_id)
    return token


def _sign_in(client: TestClient) -> None:
    response = client.post("/o/login", data={"password": "organiser-pw"}, follow_redirects=False)
    assert response.status_code == 303


def _hidden(html: str, key: str) -> dict[str, str]:
    """The hidden fields of the organiser's form named ``key``."""
    found = re.search(
        rf'<form[^>]*>((?:(?!</form>).)*?name="form" value="{key}".*?)</form>', html, re.S
    )
    assert found, key
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', found.group(1)))


def _unit_form(client: TestClient, token: str) -> dict[str, str]:
    page = client.get(f"/u/{token}")
    assert page.status_code == 200
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)[:3])


# --- the unit's page ---------------------------------------------------------------


def test_a_unit_registers_its_delegates_up_to_its_quota(client: TestClient) -> None:
    token = _token(client, "unit-link-01")  # Đoàn cơ sở Sở Nội vụ: 42 members, quota 2
    page = client.get(f"/u/{token}")
    assert "Đoàn cơ sở Sở Nội vụ" in page.text and "1 / 2" in page.text
    form = _unit_form(client, token)
    response = client.post(
        f"/u/{token}",
        data={**form, "name": "Hồ Văn Lâm", "position": "Đoàn viên", "phone": "0912 345 678"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    names = [
        d.name for d in _state(client).roster.delegates.values() if d.unit_id == "doan-so-noi-vu"
    ]
    assert names == ["Phan Thị Thu Hà", "Hồ Văn Lâm"]
    # the same form again (a double tap) changes the same person
    again = client.post(f"/u/{token}", data={**form, "name": "Hồ Văn Lâm"}, follow_redirects=False)
    assert again.status_code == 303
    assert (
        len([d for d in _state(client).roster.delegates.values() if d.unit_id == "doan-so-noi-vu"])
        == 2
    )
    # the quota is full: the form is gone, and a post is refused in both languages
    page = client.get(f"/u/{token}?done=register")
    assert 'id="reg-form"' not in page.text and "2 / 2" in page.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)[:1])
    full = client.post(
        f"/u/{token}", data={**form, "delegate_id": "new-person-01", "name": "Lê Văn Ba"}
    )
    assert full.status_code == 409
    assert "đã đủ chỉ tiêu 2 đại biểu" in full.text and "quota of 2" in full.text


def test_a_units_link_is_for_its_page_only(client: TestClient) -> None:
    unit = _token(client, "unit-link-01")
    assert client.get(f"/s/{unit}").status_code == 403
    assert client.get(f"/u/{_token(client, 'moderator01')}").status_code == 403
    form = _unit_form(client, unit)
    bad_csrf = client.post(f"/u/{unit}", data={**form, "csrf": "x", "name": "A"})
    assert bad_csrf.status_code == 403
    # the form cannot name another unit's delegate
    other = client.post(f"/u/{unit}", data={**form, "delegate_id": "dlg-daihoc-01", "name": "A"})
    assert other.status_code == 400
    assert _state(client).roster.delegates["dlg-daihoc-01"].name == "Lữ Minh Khôi"


def test_a_unit_withdraws_until_the_deadline_then_not(client: TestClient) -> None:
    token = _token(client, "unit-link-01")
    form = _unit_form(client, token)
    withdraw = {"csrf": form["csrf"], "action": "withdraw", "delegate_id": "dlg-noivu-01"}
    # the button asks first, naming the person; nothing changes yet
    asked = client.post(f"/u/{token}", data=withdraw, follow_redirects=False)
    assert asked.status_code == 200 and 'id="reg-confirm"' in asked.text
    name = _state(client).roster.delegates["dlg-noivu-01"].name
    assert f"Rút tên {name} khỏi danh sách?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    # asked for a person not on the unit's list: no question, nothing changes
    other = client.post(f"/u/{token}", data={**withdraw, "delegate_id": "dlg-daihoc-01"})
    assert other.status_code == 200 and 'id="reg-confirm"' not in other.text
    assert {"dlg-noivu-01", "dlg-daihoc-01"} <= set(_state(client).roster.delegates)
    gone = client.post(f"/u/{token}", data={**withdraw, "confirm": "yes"}, follow_redirects=False)
    assert gone.status_code == 303 and "dlg-noivu-01" not in _state(client).roster.delegates
    _sign_in(client)
    units = client.get(f"/o/{DEMO}/units")
    past = (datetime.now(UTC) - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    saved = client.post(
        f"/o/{DEMO}/units",
        data={**_hidden(units.text, "deadline"), "deadline": past},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(f"/u/{token}")
    assert "Đã hết hạn đăng ký" in page.text and 'id="reg-form"' not in page.text
    late = client.post(f"/u/{token}", data={**form, "name": "Đến Muộn"})
    assert late.status_code == 409 and "Đã hết hạn đăng ký đại biểu" in late.text


def test_a_script_on_a_units_link_is_slowed_down() -> None:
    with TestClient(roster_app(rate_socket="3/60")) as client:
        token = _token(client, "unit-link-02")
        form = _unit_form(client, token)
        codes = [
            client.post(f"/u/{token}", data={**form, "name": f"Người {n}"}).status_code
            for n in range(5)
        ]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        assert "Bạn gửi quá nhanh" in client.post(f"/u/{token}", data=form).text


def test_the_unit_downloads_its_invitations(client: TestClient) -> None:
    response = client.get(f"/u/{_token(client, 'unit-link-04')}/invitations.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in open_document(io.BytesIO(response.content)).paragraphs)
    assert "GIẤY MỜI" in text and "Kha Thị Mỹ Tiên" in text and "TP. Châu Đốc" in text


# --- the organiser's pages -------------------------------------------------------------


def test_the_units_page_shows_fill_and_missing_and_issues_links(client: TestClient) -> None:
    _sign_in(client)
    page = client.get(f"/o/{DEMO}/units")
    assert page.status_code == 200
    assert "Đoàn Trường Đại học An Giang" in page.text
    assert "còn thiếu 2" in page.text  # 860 members: 3, one registered
    assert page.text.count("/u/") == 4  # every unit has its link
    added = client.post(
        f"/o/{DEMO}/units",
        data={**_hidden(page.text, "add-unit"), "name": "Chi đoàn Sở Y tế", "kind": "branch_base"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert _state(client).roster.units["chi-doan-so-y-te"].kind.value == "branch_base"
    page = client.get(f"/o/{DEMO}/units?done=set_unit")
    assert "Đã lưu đơn vị" in page.text
    issued = client.post(
        f"/o/{DEMO}/units",
        data=_hidden(page.text, "link-unit-chi-doan-so-y-te") | {"role": "unit"},
        follow_redirects=False,
    )
    assert issued.status_code == 303
    links = [link for link in _state(client).links.values() if link.unit_id == "chi-doan-so-y-te"]
    assert len(links) == 1 and links[0].role is Role.UNIT_REGISTRAR
    rule = _hidden(client.get(f"/o/{DEMO}/units").text, "rule")
    numbers = {"union_base": "3", "large_union_base": "4", "large_above": "50", "branch_base": "1"}
    numbers |= {"department": "3", "district": "5", "other": "1"}
    assert client.post(f"/o/{DEMO}/units", data={**rule, **numbers}).status_code == 200
    assert _state(client).roster.quota_rule.union_base == 3
    refused = client.post(f"/o/{DEMO}/units", data={**rule, **numbers, "other": "-1"})
    assert refused.status_code in (400, 422) and 'id="ros-refusal"' in refused.text


def test_units_and_delegates_are_imported_row_by_row(client: TestClient) -> None:
    _sign_in(client)
    page = client.get(f"/o/{DEMO}/units")
    form = _hidden(page.text, "import")
    units_csv = (
        "Đơn vị;Loại;Số đoàn viên;Điểm cầu;Chỉ tiêu\n"
        "Đoàn cơ sở Công an tỉnh;Đoàn cơ sở;120;;\n"
        "Chi đoàn Bưu điện;Chi đoàn cơ sở;9;Châu Đốc;\n"
        "Đoàn xã Vĩnh Tế;Phường;30;;\n"
        "Đoàn Trường Chính trị;Đoàn cơ sở;20;Huyện Không Có;\n"
    ).encode()
    response = client.post(
        f"/o/{DEMO}/units",
        data={**form, "kind": "units"},
        files={"file": ("don-vi.csv", units_csv, "text/csv")},
    )
    assert response.status_code == 200
    assert "Đã nhập 2 trên 4 dòng" in response.text
    assert "Loại không hợp lệ" in response.text or "không hợp lệ" in response.text
    roster = _state(client).roster
    assert roster.units["chi-doan-buu-dien"].bridge_id == "chau-doc"
    again = client.post(
        f"/o/{DEMO}/units",
        data={**form, "kind": "units"},
        files={"file": ("don-vi.csv", units_csv, "text/csv")},
    )
    assert "Đã nhập 2 trên 4 dòng" in again.text
    assert len(_state(client).roster.units) == 6  # the same units again, not new ones
    delegates_csv = (
        "Họ tên,Chức vụ,Đơn vị,Điện thoại\n"
        "Võ Minh Trí,Bí thư,Đoàn cơ sở Công an tỉnh,0987654321\n"
        "Lý Thị Lan,Đoàn viên,Chi đoàn Bưu điện,\n"
        "Trần Văn Dư,Đoàn viên,Chi đoàn Bưu điện,\n"
        "Ai Đó,,Đơn vị Lạ,\n"
    ).encode()
    response = client.post(
        f"/o/{DEMO}/units",
        data={**form, "kind": "delegates"},
        files={"file": ("dai-bieu.csv", delegates_csv, "text/csv")},
    )
    assert "Đã nhập 2 trên 4 dòng" in response.text
    assert "đã đủ chỉ tiêu 1 đại biểu" in response.text  # the branch's quota: row 4
    assert "Không có đơn vị Đơn vị Lạ" in response.text
    names = {d.name for d in _state(client).roster.delegates.values()}
    assert {"Võ Minh Trí", "Lý Thị Lan"} <= names and "Trần Văn Dư" not in names


def test_a_delegate_list_is_imported_from_xlsx(client: TestClient) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Chức vụ", "Đơn vị", "SĐT"])
    sheet.append(["Đặng Thu Trang", "Phó Bí thư", "Đoàn Trường Đại học An Giang", "0901234567"])
    sheet.append(["=HYPERLINK(1)", "", "Đoàn Trường Đại học An Giang", ""])
    sheet.append(["Phí Văn Tú", "", "Đoàn cơ sở Sở Nội vụ", "12ab"])
    data = io.BytesIO()
    book.save(data)
    _sign_in(client)
    form = _hidden(client.get(f"/o/{DEMO}/units").text, "import")
    response = client.post(
        f"/o/{DEMO}/units",
        data={**form, "kind": "delegates"},
        files={"file": ("dai-bieu.xlsx", data.getvalue(), "application/octet-stream")},
    )
    assert "Đã nhập 2 trên 3 dòng" in response.text
    assert "Các dòng 3 có ô bắt đầu như công thức" in response.text
    assert "Số điện thoại không hợp lệ" in response.text
    names = {d.name for d in _state(client).roster.delegates.values()}
    assert {"Đặng Thu Trang", "=HYPERLINK(1)"} <= names and "Phí Văn Tú" not in names


def test_guests_are_listed_in_precedence_order_with_invitations(client: TestClient) -> None:
    _sign_in(client)
    page = client.get(f"/o/{DEMO}/guests")
    data = {
        **_hidden(page.text, "add-guest"),
        "name": "Đỗ Thị Hạnh",
        "position": "Phó Chủ tịch",
        "organisation": "Ủy ban MTTQ Việt Nam tỉnh",
        "category": "leader",
        "precedence": "0",
    }
    assert client.post(f"/o/{DEMO}/guests", data=data, follow_redirects=False).status_code == 303
    page = client.get(f"/o/{DEMO}/guests")
    order = re.findall(r'<tr id="guest-[^"]+"><td>\d+</td><td>([^<]+)</td>', page.text)
    assert order == ["Đỗ Thị Hạnh", "Lê Hoàng Phúc", "Mai Anh Tuấn"]
    docx = client.get(f"/o/{DEMO}/invitations/guest-hdnd-01.docx")
    assert docx.status_code == 200 and docx.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert client.get(f"/o/{DEMO}/invitations/nobody-at-all.docx").status_code == 404
    client.cookies.clear()
    assert client.get(f"/o/{DEMO}/invitations/guest-hdnd-01.docx").status_code == 401


# --- at the door -------------------------------------------------------------------------


def _door_form(client: TestClient, token: str, form_id: str) -> dict[str, str]:
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    found = re.search(rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>', page.text, re.S)
    assert found, form_id
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', found.group(1)))


def test_a_door_checks_in_by_name_once_and_counts_walk_ins(client: TestClient) -> None:
    token = _token(client, DOOR_LINK)
    page = client.get(f"/s/{token}")
    assert "/static/vendor/jsQR.js" in page.text
    # a name is searched (accents aside), among who is expected here only
    assert "Phan Thị Thu Hà" in client.get(f"/s/{token}/people?q=thu ha").text
    assert "Kha Thị Mỹ Tiên" not in client.get(f"/s/{token}/people?q=kha thi").text
    form = _door_form(client, token, "checkin-name-form")
    done = client.post(
        f"/s/{token}/act", data={**form, "delegate_id": "dlg-noivu-01"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert _state(client).roster.check_ins["dlg-noivu-01"].bridge_id == "tinh"
    form = _door_form(client, token, "checkin-name-form")
    twice = client.post(f"/s/{token}/act", data={**form, "delegate_id": "dlg-noivu-01"})
    assert twice.status_code == 409
    assert "Phan Thị Thu Hà đã điểm danh lúc" in twice.text
    walk = _door_form(client, token, "walk-in-form")
    counted = client.post(f"/s/{token}/act", data={**walk, "count": "3"}, follow_redirects=False)
    assert counted.status_code == 303
    # the same post again (a reload) is the same count, once
    assert client.post(f"/s/{token}/act", data={**walk, "count": "3"}).status_code == 200
    assert _state(client).roster.walk_ins == {"tinh": 3}
    page = client.get(f"/s/{token}")
    assert 'data-checked-in="1"' in page.text
    walk = _door_form(client, token, "walk-in-form")
    other = client.post(f"/s/{token}/act", data={**walk, "count": "2", "bridge_id": "chau-doc"})
    assert other.status_code == 403  # a door counts at its own bridge point


def test_attendance_reaches_the_moderator_the_organiser_and_the_record(client: TestClient) -> None:
    token = _token(client, DOOR_LINK)
    form = _door_form(client, token, "checkin-name-form")
    client.post(f"/s/{token}/act", data={**form, "delegate_id": "guest-hdnd-01"})
    walk = _door_form(client, token, "walk-in-form")
    client.post(f"/s/{token}/act", data={**walk, "count": "4"})
    moderator = client.get(f"/s/{_token(client, 'moderator01')}")
    assert 'data-attendance-total="5"' in moderator.text
    _sign_in(client)
    attendance = client.get(f"/o/{DEMO}/attendance")
    assert '<span id="ros-att-total">5</span>' in attendance.text
    assert attendance.text.count(f"/s/{token}") == 1
    listed = client.get(f"/o/{DEMO}/delegates/tinh.docx")
    rows = [
        [cell.text for cell in row.cells]
        for row in open_document(io.BytesIO(listed.content)).tables[-1].rows
    ]
    assert [r[1] for r in rows[1:]][:2] == ["Lê Hoàng Phúc", "Mai Anh Tuấn"]
    assert rows[1][3] != "" and rows[2][3] == ""
    assert client.get(f"/o/{DEMO}/delegates/nowhere.docx").status_code == 404
    issue = client.post(
        f"/o/{DEMO}/attendance",
        data=_hidden(attendance.text, "door-chau-doc") | {"role": "checkin"},
        follow_redirects=False,
    )
    assert issue.status_code == 303
    assert [
        link.label
        for link in _state(client).links.values()
        if link.role is Role.CHECK_IN and link.bridge_id == "chau-doc"
    ] == ["TP. Châu Đốc"]
    conclusion = client.get(f"/o/{DEMO}/conclusion")
    assert "Số người tham dự: 5" in conclusion.text
    report = client.get(f"/r/{DEMO}")
    assert "Số người tham dự: 5" in report.text
    # the units' and doors' links are listed with the others, at their own addresses
    listed = client.get(f"/o/{DEMO}/links")
    assert listed.status_code == 200
    assert f"/u/{_token(client, 'unit-link-01')}" in listed.text
    assert f"/s/{token}" in listed.text


def test_serve_lists_the_units_and_doors_links_too(tmp_path: Path) -> None:
    """``serve`` prints every active link at its own address, the units',
    doors' and agencies' after the screens' (a store holding them restarts)."""
    log = MemoryEventLog()
    asyncio.run(_seed(log))
    store = f"sqlite:///{tmp_path / 'x.db'}"
    screens = asyncio.run(cli._screens(settings(secret_key=Secret(SECRET)), log, store))
    labels = [label for label, _path in screens]
    paths = dict(screens)
    unit = next(label for label in labels if label.startswith("unit registrar · "))
    door = next(label for label in labels if label.startswith("check-in · "))
    assert paths[unit].startswith("/u/") and paths[door].startswith("/s/")
    assert labels.index(door) > labels.index(next(lb for lb in labels if "moderator" in lb))
