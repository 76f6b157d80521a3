"""The MC's script (kịch bản dẫn chương trình) as a DOCX file, made from the
state whenever it is asked for: the programme (``core/programme.py``'s
items) with each item's planned time counted from the dialogue's start, the
MC's lines for each kind of item, the guests introduced in precedence
order (those checked in, once check-in has begun) and the units' delegates
counted, the pre-collected questions in their planned order topic by topic
with their askers (named only with their consent), and the closing.

It uses the administrative layout of the conclusion notice
(``export/layout.py``: A4, Times New Roman, the two-column header). A
suggested answer (``core/preparation.py``) is never in it: the MC reads
the script aloud. No clock in here: the same state gives the same text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from session_server.core.deciders.preparation import PRE_COLLECTED
from session_server.core.model import (
    LOCAL_TZ,
    Asker,
    ProgrammeItem,
    ProgrammeKind,
    Question,
    QuestionStatus,
    State,
)
from session_server.core.roster import guests_in_precedence
from session_server.export.layout import (
    BODY_PT,
    HEADER_PT,
    LEFT_WIDTH,
    MOTTO,
    NATIONAL_TITLE,
    RIGHT_WIDTH,
    add_body,
    add_cell_line,
    add_paragraph,
    add_rule,
    add_run,
    issuer_lines,
    make_borderless,
    set_up_page,
    set_widths,
)
from session_server.export.record import vn_date

__all__ = [
    "PlannedItem",
    "introductions",
    "mc_script_document",
    "mc_script_docx",
    "planned_items",
    "planned_questions",
]

SKIPPED = frozenset({QuestionStatus.REJECTED, QuestionStatus.MERGED})
"""Questions the MC never reads."""


@dataclass(frozen=True)
class PlannedItem:
    item: ProgrammeItem
    starts: datetime | None
    ends: datetime | None


def planned_items(state: State) -> list[PlannedItem]:
    """Each programme item with its planned start and end, counted from the
    dialogue's start (Vietnam time), or no times without a start."""
    moment = state.dialogue.starts_at
    out = []
    for item in state.programme:
        if moment is None:
            out.append(PlannedItem(item, None, None))
            continue
        start = moment.astimezone(LOCAL_TZ)
        moment = start + timedelta(minutes=item.planned_minutes)
        out.append(PlannedItem(item, start, moment))
    return out


def planned_questions(state: State) -> list[tuple[str, list[str], list[Question]]]:
    """(topic, its speakers, its pre-collected questions) in the planned
    order: the moderator's queue first, then the rest as submitted; topics
    in the organiser's order, questions without a topic last."""
    queue = {question_id: n for n, question_id in enumerate(state.queue)}
    picked = sorted(
        (
            q
            for q in state.questions.values()
            if q.origin in PRE_COLLECTED and q.status not in SKIPPED
        ),
        key=lambda q: (q.question_id not in queue, queue.get(q.question_id, 0), q.question_id),
    )
    groups: list[tuple[str, list[str], list[Question]]] = []
    for topic_id in [*state.topics, None]:
        found = [q for q in picked if q.topic_id == topic_id]
        if not found:
            continue
        topic = state.topics.get(topic_id or "")
        speakers = [
            _speaker_line(state, speaker_id) for speaker_id in (topic.speaker_ids if topic else ())
        ]
        groups.append((topic.name if topic else "Các vấn đề khác", speakers, found))
    return groups


def _speaker_line(state: State, speaker_id: str) -> str:
    speaker = state.speakers.get(speaker_id)
    if speaker is None:
        return speaker_id
    role = " ".join(part for part in (speaker.position, speaker.agency) if part)
    return f"{speaker.name}, {role}" if role else speaker.name


def introductions(state: State) -> tuple[list[str], bool]:
    """The people the MC introduces, in precedence order, and whether the
    list was read off the check-ins: the invited guests by category and
    precedence (``core/roster.py``), only those checked in once check-in
    has begun; then the speakers (the heads of the agencies answering) not
    already named. Never a phone number."""
    checked = state.roster.check_ins
    guests = [
        guest
        for guest in guests_in_precedence(state)
        if not checked or guest.delegate_id in checked
    ]
    lines = [_person(g.name, g.position, g.organisation) for g in guests]
    named = {g.name for g in guests}
    lines += [
        f"Đồng chí {_speaker_line(state, s.speaker_id)}"
        for s in state.speakers.values()
        if s.name not in named
    ]
    return lines, bool(checked)


def _person(name: str, position: str, organisation: str) -> str:
    role = " ".join(part for part in (position, organisation) if part)
    return f"Đồng chí {name}, {role}" if role else f"Đồng chí {name}"


def _delegates_line(state: State) -> str:
    """The units' delegates, counted (checked in, once check-in has begun)."""
    checked = state.roster.check_ins
    delegates = [
        d
        for d in state.roster.delegates.values()
        if d.category is None and (not checked or d.delegate_id in checked)
    ]
    units = {d.unit_id for d in delegates}
    if not delegates:
        return ""
    return f"{len(delegates)} đại biểu của {len(units)} đơn vị"


def asker_line(asker: Asker, bridge: str) -> str:
    """Who asks, as the MC may say it: a name and unit only with the
    asker's consent."""
    if asker.public and (asker.name or asker.unit):
        who = ", ".join(part for part in (asker.name, asker.unit) if part)
        return f"{who} (điểm cầu {bridge})"
    return f"một đoàn viên, thanh niên (điểm cầu {bridge})"


def _hm(moment: datetime | None) -> str:
    return moment.strftime("%H:%M") if moment else ""


def _header(document: Document, state: State) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    make_borderless(table)
    set_widths(table, (LEFT_WIDTH, RIGHT_WIDTH))
    left, right = table.rows[0].cells
    first = True
    for line in issuer_lines(state.dialogue.host_body):
        add_cell_line(left, line, HEADER_PT, bold=True, first=first)
        first = False
    add_rule(left, LEFT_WIDTH, Cm(2.0))
    add_cell_line(right, NATIONAL_TITLE, HEADER_PT, bold=True, first=True)
    add_cell_line(right, MOTTO, BODY_PT, bold=True)
    add_rule(right, RIGHT_WIDTH, Cm(6.0))


def _title(document: Document, state: State) -> None:
    dialogue = state.dialogue
    add_paragraph(document, "KỊCH BẢN", BODY_PT, bold=True, before=18)
    add_paragraph(document, f"Dẫn chương trình {dialogue.title}", BODY_PT, bold=True)
    if dialogue.theme:
        add_paragraph(document, f"Chủ đề: “{dialogue.theme}”", BODY_PT, italic=True)
    when = []
    if dialogue.starts_at:
        start = dialogue.starts_at.astimezone(LOCAL_TZ)
        when.append(f"{_hm(start)}, {vn_date(start.date()).lower()}")
    if dialogue.place:
        when.append(f"tại {dialogue.place}")
    if when:
        add_paragraph(document, "Thời gian: " + " ".join(when), BODY_PT, italic=True, after=12)


def _mc(document: Document, text: str) -> None:
    """A line the MC says: "MC:" in bold, then the words."""
    paragraph = add_paragraph(document, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)
    add_run(paragraph, "MC: ", bold=True)
    add_run(paragraph, text)


def _opening(document: Document, state: State) -> None:
    dialogue = state.dialogue
    remote = [b.name for b in state.bridges.values() if b is not state.main_bridge()]
    _mc(
        document,
        "Kính thưa các đồng chí lãnh đạo, các vị đại biểu, khách mời cùng toàn thể "
        "các bạn đoàn viên, thanh niên thân mến!",
    )
    host = dialogue.host_body or "Ban Tổ chức"
    reason = (
        "Thực hiện Luật Thanh niên năm 2020 và Nghị định số 13/2021/NĐ-CP, "
        f"{host} tổ chức {dialogue.title}"
    )
    if dialogue.theme:
        reason += f" với chủ đề “{dialogue.theme}”"
    if remote:
        reason += f", trực tiếp tại điểm cầu chính và trực tuyến với {len(remote)} điểm cầu"
    _mc(document, reason + ".")
    people, checked = introductions(state)
    if people:
        _mc(document, "Đến dự buổi đối thoại hôm nay, trân trọng giới thiệu:")
        if checked:
            add_body(document, "(Theo danh sách đã điểm danh khi tải kịch bản.)", italic=True)
        for line in people:
            add_body(document, f"– {line};")
    delegates = _delegates_line(state)
    also = f"{delegates} cùng các" if delegates else "các vị đại biểu, khách mời và các"
    _mc(
        document,
        f"Cùng dự có {also} bạn đoàn viên, thanh niên tại các điểm cầu. Xin trân trọng kính chào!",
    )


def _discussion(document: Document, state: State) -> None:
    groups = planned_questions(state)
    _mc(
        document,
        "Sau đây, chương trình xin được bắt đầu phần thảo luận, đối thoại. Các câu hỏi "
        "đã được tổng hợp trước sẽ được nêu theo từng nhóm vấn đề; các bạn tại hội trường "
        "và các điểm cầu có thể gửi thêm câu hỏi qua mã QR.",
    )
    if not groups:
        add_body(document, "(Chưa có câu hỏi tổng hợp trước.)", italic=True)
    n = 0
    for number, (topic, speakers, questions) in enumerate(groups, 1):
        add_body(document, f"Nhóm vấn đề {number}: {topic}", bold=True)
        if speakers:
            add_body(document, "Diễn giả trả lời: " + "; ".join(speakers) + ".", italic=True)
        for question in questions:
            n += 1
            bridge = state.bridges.get(question.bridge_id)
            paragraph = add_paragraph(
                document, "", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6
            )
            add_run(paragraph, f"Câu hỏi {n} – ", bold=True)
            add_run(paragraph, asker_line(question.asker, bridge.name if bridge else "") + ": ")
            add_run(paragraph, question.text.replace("\n", " "), italic=True)


def _item_lines(document: Document, state: State, item: ProgrammeItem) -> None:
    kind = item.kind
    if kind is ProgrammeKind.OPENING:
        _opening(document, state)
    elif kind is ProgrammeKind.KEYNOTE:
        _mc(document, "Trân trọng kính mời đồng chí đại diện Ban Tổ chức trình bày báo cáo đề dẫn.")
    elif kind is ProgrammeKind.DISCUSSION:
        _discussion(document, state)
    elif kind is ProgrammeKind.SPEECHES:
        _mc(
            document,
            "Trân trọng kính mời các đồng chí đại diện lãnh đạo, đại biểu, khách mời phát biểu.",
        )
    elif kind is ProgrammeKind.DIRECTIVE:
        _mc(document, "Trân trọng kính mời đồng chí lãnh đạo phát biểu chỉ đạo.")
    elif kind is ProgrammeKind.CONCLUSION:
        _mc(document, "Trân trọng kính mời đồng chí chủ trì phát biểu kết luận buổi đối thoại.")
    elif kind is ProgrammeKind.CLOSING:
        _mc(
            document,
            "Thay mặt Ban Tổ chức, xin trân trọng cảm ơn các đồng chí lãnh đạo, các vị đại "
            "biểu, khách mời và các bạn đoàn viên, thanh niên đã tham dự. Buổi đối thoại xin "
            "được khép lại. Kính mời các đại biểu chụp ảnh lưu niệm. Xin trân trọng kính chào!",
        )
    else:
        _mc(document, f"Tiếp theo chương trình: {item.title}.")


def mc_script_document(state: State) -> Document:
    document = new_document()
    set_up_page(document)
    _header(document, state)
    _title(document, state)
    items = planned_items(state)
    if not items:
        add_body(document, "Chưa có chương trình.", italic=True)
    for number, planned in enumerate(items, 1):
        item = planned.item
        when = (
            f" ({_hm(planned.starts)}–{_hm(planned.ends)}, {item.planned_minutes} phút)"
            if planned.starts
            else f" ({item.planned_minutes} phút)"
        )
        add_body(document, f"{number}. {item.title}{when}", bold=True)
        _item_lines(document, state, item)
    return document


def mc_script_docx(state: State) -> bytes:
    buffer = io.BytesIO()
    mc_script_document(state).save(buffer)
    return buffer.getvalue()
