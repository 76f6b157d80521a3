"""Before the day, on the web: the organiser's timeline (template, edits,
overdue tasks and the plan's publication on the dashboard), the public plan
page (no sign-in, no personal data), the drafters' links and the suggested
answers (the speaker's screen only: never a phone, a display, the public
report, the public plan, the public API or an export of the questions),
and the MC's script download."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document as open_document
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.core.model import LOCAL_TZ, Role, State
from session_server.core.preparation import INTAKE_TASK_ID, TaskStatus
from session_server.core.views import speaker_questions
from session_server.demo import DEMO_BRIDGES, DEMO_DIALOGUE_ID
from session_server.web.screens.organiser.preparation import relative_day
from tests.webapp import build_app, token

DEMO = DEMO_DIALOGUE_ID
PREP = f"/o/{DEMO}/prep"
NOTE = "GỢI-Ý-BÍ-MẬT: nêu số liệu quỹ hỗ trợ khởi nghiệp 2024"
"""A suggested answer's words, looked for on every public surface."""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = build_app(recordings_dir=str(tmp_path / "recordings"))
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def _sign_in(client: TestClient) -> None:
    response = client.post("/o/login", data={"password": "organiser-pw"}, follow_redirects=False)
    assert response.status_code == 303


def _state(client: TestClient) -> State:
    app = client.app
    assert isinstance(app, Starlette)
    state: State = app.state.registry.hubs[DEMO].session.state
    return state


def _form(client: TestClient, key: str) -> dict[str, str]:
    """The hidden fields of the page's form ``key``, as a browser sends them."""
    page = client.get(PREP)
    assert page.status_code == 200
    found = re.search(
        rf'<form method="post"[^>]*>((?:(?!</form>).)*?name="form" value="{key}".*?)</form>',
        page.text,
        re.S,
    )
    assert found, key
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', found.group(1)))


def _post(client: TestClient, key: str, **fields: str) -> object:
    return client.post(PREP, data={**_form(client, key), **fields}, follow_redirects=False)


def test_the_timeline_from_the_template_and_its_overdue_tasks_on_the_dashboard(
    client: TestClient,
) -> None:
    assert client.get(PREP, follow_redirects=False).status_code == 303  # sign in first
    _sign_in(client)
    page = client.get(PREP)
    assert "Tiến độ chuẩn bị" in page.text and 'id="prep-tasks"' not in page.text
    done = _post(client, "template")
    assert done.status_code == 303  # type: ignore[attr-defined]
    state = _state(client)
    assert len(state.preparation.tasks) == 5
    page = client.get(PREP)
    # the demo starts in half an hour; its intake deadline is a day from now
    assert page.text.count('class="overdue"') == 4
    agency = next(iter(state.speakers.values())).agency
    assert f'<option value="{agency}">' in page.text  # an owner picked from the agencies
    # the intake's label against the day: set a deadline the day after the
    # dialogue's (half an hour from now can be past midnight, Vietnam time)
    assert state.dialogue.starts_at is not None
    day_after = state.dialogue.starts_at.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    _post(
        client,
        f"task-{INTAKE_TASK_ID}",
        title="Tổng hợp câu hỏi",
        owner="Tỉnh đoàn",
        deadline=f"{day_after.isoformat()}T16:00",
        status="doing",
    )
    page = client.get(PREP)
    assert page.text.count('class="overdue"') == 4  # the intake is still ahead
    for relative in ("D−15", "D−9", "D+1", "D−7", "D−6"):  # the intake: D+1
        assert relative in page.text
    dashboard = client.get(f"/o/{DEMO}")
    assert 'id="org-prep-overdue"' in dashboard.text
    assert "4 công việc chuẩn bị quá hạn" in dashboard.text
    assert 'id="org-plan-warning"' in dashboard.text  # not published, the day is near
    # a task done is no longer overdue
    task = state.preparation.tasks["ban-hanh-ke-hoach"]
    _post(
        client,
        "task-ban-hanh-ke-hoach",
        title=task.title,
        owner="Ban Thường vụ",
        deadline="2024-06-12T17:00",
        status="done",
    )
    assert state.preparation.tasks["ban-hanh-ke-hoach"].status is TaskStatus.DONE
    assert client.get(PREP).text.count('class="overdue"') == 3
    assert "3 công việc" in client.get(f"/o/{DEMO}").text


def test_a_deadline_is_counted_in_calendar_days_vietnam_time() -> None:
    state = State()
    assert relative_day(state, datetime(2026, 12, 6, tzinfo=LOCAL_TZ)) == ""  # no day yet
    # the dialogue at 00:00 on 7 December in Vietnam: 17:00 UTC on the 6th
    state.dialogue.starts_at = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    assert relative_day(state, None) == ""
    cases = {
        datetime(2026, 12, 6, 16, 59, tzinfo=UTC): "D−1",  # 23:59 the day before
        datetime(2026, 12, 7, 16, 59, tzinfo=UTC): "D",  # 23:59 the same day
        datetime(2026, 12, 7, 17, 0, tzinfo=UTC): "D+1",  # 00:00 the day after
        datetime(2026, 11, 22, 9, 0, tzinfo=LOCAL_TZ): "D−15",
    }
    for moment, label in cases.items():
        assert relative_day(state, moment) == label, moment


def test_the_intake_task_edits_the_phones_deadline(client: TestClient) -> None:
    _sign_in(client)
    _post(client, "template")
    state = _state(client)
    _post(
        client,
        f"task-{INTAKE_TASK_ID}",
        title="Tổng hợp câu hỏi",
        owner="Tỉnh đoàn",
        deadline="2030-01-02T16:00",
        status="doing",
    )
    assert state.dialogue.intake_deadline == datetime(2030, 1, 2, 16, 0, tzinfo=LOCAL_TZ)
    assert state.preparation.tasks[INTAKE_TASK_ID].owner == "Tỉnh đoàn"
    setup = client.get(f"/o/{DEMO}")
    assert 'value="2030-01-02T16:00"' in setup.text  # the setup page's one deadline


def test_bad_input_is_refused_in_both_languages_and_changes_nothing(client: TestClient) -> None:
    _sign_in(client)
    before = dict(_state(client).preparation.tasks)
    refused = _post(client, "add-task", title="   ", owner="X")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "không được để trống" in refused.text  # type: ignore[attr-defined]
    english = client.post(
        PREP + "?lang=en",
        data={**_form(client, "add-task"), "title": "x" * 500},
        follow_redirects=False,
    )
    assert english.status_code == 422 and "too long" in english.text
    odd = client.post(PREP, data={**_form(client, "add-task"), "action": "change_phase"})
    assert odd.status_code == 400
    assert _state(client).preparation.tasks == before
    assert client.post(PREP, data={"action": "publish_plan"}).status_code == 403  # no token
    bare = TestClient(client.app, base_url="http://testserver")
    assert bare.post(PREP, data={"action": "publish_plan"}).status_code == 401
    forged = client.post(PREP, data={**_form(client, "publish"), "csrf": "forged"})
    assert forged.status_code == 403
    assert _state(client).preparation.plan_published_at is None


def _public_pages(client: TestClient, app: Starlette) -> dict[str, str]:
    """Every public surface's text, fetched without the organiser's cookie."""
    bare = TestClient(app, base_url="http://testserver")
    phone = bare.get(f"/j/{token(app, 'phchaudoc01')}")
    assert phone.status_code == 200
    pages = {
        "phone": phone.text,
        "phone questions": bare.get(f"/j/{token(app, 'phchaudoc01')}/questions").text,
        "display": bare.get(f"/s/{token(app, 'display0001')}").text,
        "report": bare.get(f"/r/{DEMO}").text,
        "plan": bare.get(f"/p/{DEMO}").text,
        "api": bare.get(f"/api/v1/dialogues/{DEMO}/public").text,
    }
    assert all(pages.values())
    return pages


def test_the_public_plan_page_needs_no_sign_in_and_shows_no_personal_data(
    client: TestClient,
) -> None:
    app = client.app
    assert isinstance(app, Starlette)
    bare = TestClient(app, base_url="http://testserver")
    assert bare.get(f"/p/{DEMO}").status_code == 404  # not published yet
    assert bare.get("/p/khong-co").status_code == 404
    _sign_in(client)
    _post(client, "template")
    _post(client, "publish")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/o/{DEMO}").text)
    assert csrf
    issued = client.post(
        f"/o/{DEMO}/act",
        data={"action": "issue_standard_links", "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert issued.status_code == 303  # the main venue's attendee link among them
    state = _state(client)
    assert state.preparation.plan_published_at is not None
    main = state.main_bridge()
    assert main is not None
    (attendee,) = [
        lnk.link_id
        for lnk in state.links.values()
        if lnk.role is Role.ATTENDEE and lnk.bridge_id == main.bridge_id
    ]
    assert 'id="org-plan-warning"' in client.get(f"/o/{DEMO}").text  # published late
    page = bare.get(f"/p/{DEMO}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "public, max-age=60"
    assert page.headers["referrer-policy"] == "no-referrer"
    text = page.text
    assert state.dialogue.theme in text
    assert all(item.title in text for item in state.programme)
    assert all(b.name in text for b in state.bridges.values())
    assert 'src="data:image/svg+xml;base64,' in text and "pub.qr_alt" not in text
    assert f"/j/{token(app, attendee)}" in text  # the public QR code's link, nothing else
    # no operator, no asker, no phone number, no other link's token
    for _id, _name, _kind, operator, _capacity in DEMO_BRIDGES:
        assert operator not in text
    for question in state.questions.values():
        assert question.asker.name not in text or not question.asker.name
    assert not re.search(r"\b0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}\b", text)
    for link in state.links.values():
        assert (token(app, link.link_id) in text) is (link.link_id == attendee)
    assert "/s/" not in text and "/a/" not in text and "/g/" not in text
    assert 'id="live-player"' not in text  # no programme on air yet: no player
    # once the programme is on air (the demo dialogue is live), its player
    live = Path(app.state.registry.settings.recordings_dir) / DEMO / "live"
    live.mkdir(parents=True, exist_ok=True)
    (live / "index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
    text = bare.get(f"/p/{DEMO}").text
    assert f'data-hls="/r/{DEMO}/live/index.m3u8"' in text and 'id="live-video"' in text


def _issue_drafter(client: TestClient, name: str, topic: str = "") -> str:
    before = set(_state(client).links)
    done = _post(client, "drafter", agency=name, topic_id=topic)
    assert done.status_code == 303  # type: ignore[attr-defined]
    (link_id,) = set(_state(client).links) - before
    page = client.get(PREP)
    found = re.search(r'<span class="url">https?://[^/]+(/g/[^<]+)</span>', page.text)
    assert found and _state(client).links[link_id].agency == name
    return found.group(1)


def test_a_drafters_link_drafts_notes_seen_by_the_speaker_alone(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, Starlette)
    _sign_in(client)
    _post(client, "publish")
    path = _issue_drafter(client, "Văn phòng UBND tỉnh")
    state = _state(client)
    mine = speaker_questions(state, "ldtbxh")
    question = next(q for q in mine if q.origin.value == "pre_collected")
    drafter = TestClient(app, base_url="http://testserver")  # no organiser cookie
    page = drafter.get(path)
    assert page.status_code == 200 and f'id="q{question.question_id}"' in page.text
    assert question.asker.name not in page.text or not question.asker.name
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    saved = drafter.post(
        path,
        data={"csrf": csrf.group(1), "question_id": str(question.question_id), "text": NOTE},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    note = state.preparation.suggested_answers[question.question_id]
    assert (note.text, note.author) == (NOTE, "Văn phòng UBND tỉnh")
    assert NOTE in drafter.get(path).text
    speaker = drafter.get(f"/s/{token(app, 'speaker0001')}")
    assert f'id="suggested-{question.question_id}"' in speaker.text and NOTE in speaker.text
    # a refusal is in both languages, and the box keeps what was typed
    refused = drafter.post(
        path,
        data={
            "csrf": csrf.group(1),
            "question_id": str(question.question_id),
            "text": "y" * (state.limits.summary_max_chars + 1),
        },
    )
    assert refused.status_code == 422
    refusal = re.search(r'id="suggest-refusal">(.*?)</div>', refused.text, re.S)
    assert refusal and 'lang="vi"' in refusal.group(1) and 'lang="en"' in refusal.group(1)
    assert "y" * 100 in refused.text and 'aria-invalid="true"' in refused.text
    assert state.preparation.suggested_answers[question.question_id].text == NOTE
    # the note reaches no public surface, no export of the questions
    for name, text in _public_pages(client, app).items():
        assert NOTE not in text, name
    for name in ("questions.csv", "questions.json"):
        export = client.get(f"/o/{DEMO}/export/{name}")
        assert export.status_code == 200 and NOTE not in export.text, name
    xlsx = client.get(f"/o/{DEMO}/export/questions.xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        assert all(NOTE not in book.read(n).decode("utf-8", "replace") for n in book.namelist())
    assert NOTE not in client.get(f"/o/{DEMO}/conclusion.docx").content.decode("latin-1")
    script = open_document(io.BytesIO(client.get(f"/o/{DEMO}/mc-script.docx").content))
    assert all(NOTE not in p.text for p in script.paragraphs)
    # the drafter's link opens nothing else; a revoked one stops at once
    drafter_token = path.removeprefix("/g/")
    assert drafter.get(f"/s/{drafter_token}").status_code == 403
    assert drafter.get(f"/a/{drafter_token}").status_code == 403
    api = drafter.get(
        f"/api/v1/dialogues/{DEMO}/state", headers={"Authorization": f"Bearer {drafter_token}"}
    )
    assert api.status_code in (401, 403)
    assert drafter.get(f"/g/{token(app, 'moderator01')}").status_code == 403
    link_id = next(lnk.link_id for lnk in state.links.values() if lnk.role is Role.DRAFTER)
    _post(client, f"revoke-{link_id}", link_id=link_id)
    assert not state.links[link_id].active
    assert drafter.get(path).status_code == 403


def test_a_topic_drafter_sees_its_topic_only(client: TestClient) -> None:
    _sign_in(client)
    state = _state(client)
    topic = next(iter(state.topics))
    path = _issue_drafter(client, "Sở Lao động", topic)
    page = TestClient(client.app, base_url="http://testserver").get(path)
    shown = {int(n) for n in re.findall(r'id="q(\d+)"', page.text)}
    expected = {
        q.question_id
        for q in state.questions.values()
        if q.topic_id == topic
        and q.origin.value == "pre_collected"
        and q.status.value not in ("rejected", "merged")
    }
    assert shown == expected and shown


def test_the_mc_script_is_made_again_at_each_download(client: TestClient) -> None:
    assert client.get(f"/o/{DEMO}/mc-script.docx").status_code == 401
    _sign_in(client)
    first = client.get(f"/o/{DEMO}/mc-script.docx")
    assert first.status_code == 200
    assert first.headers["content-disposition"] == f'attachment; filename="kich-ban-{DEMO}.docx"'
    text = "\n".join(p.text for p in open_document(io.BytesIO(first.content)).paragraphs)
    assert "KỊCH BẢN" in text and "Câu hỏi 1 –" in text
    # the programme changes: the next download follows it
    setup = client.get(f"/o/{DEMO}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', setup)
    assert csrf
    changed = client.post(
        f"/o/{DEMO}/act",
        data={
            "action": "set_programme",
            "csrf": csrf.group(1),
            "items": "Văn nghệ chào mừng | other | 5\nKhai mạc | opening | 10",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    again = client.get(f"/o/{DEMO}/mc-script.docx")
    text = "\n".join(p.text for p in open_document(io.BytesIO(again.content)).paragraphs)
    assert "1. Văn nghệ chào mừng" in text and "2. Khai mạc" in text
    assert "Thảo luận" not in text


def test_a_drafters_token_never_reaches_a_log() -> None:
    from session_server.web.redact import fingerprint, redact

    line = 'GET /g/abc.DEF-123_x HTTP/1.1" 200'
    assert redact(line) == f'GET /g/<link {fingerprint("abc.DEF-123_x")}> HTTP/1.1" 200'
    assert redact("/p/an-giang-2024") == "/p/an-giang-2024"  # a public page's path stays


def test_a_drafters_link_saves_a_few_notes_a_minute() -> None:
    with TestClient(build_app(rate_drafter="2/60"), base_url="http://testserver") as client:
        _sign_in(client)
        path = _issue_drafter(client, "Tỉnh đoàn")
        drafter = TestClient(client.app, base_url="http://testserver")
        page = drafter.get(path)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        questions = [int(n) for n in re.findall(r'id="q(\d+)"', page.text)][:3]
        answers = [
            drafter.post(
                path,
                data={"csrf": csrf.group(1), "question_id": str(qid), "text": f"Gợi ý {qid}"},
                follow_redirects=False,
            )
            for qid in questions
        ]
        assert [a.status_code for a in answers] == [303, 303, 429]
        assert "Gợi ý " + str(questions[2]) in answers[2].text  # kept in its box
        assert questions[2] not in _state(client).preparation.suggested_answers
