"""The record of a dialogue, read off its state: the facts, the figures and
the questions by topic that the conclusion notice, the public report and the
archive exports all show. Pure functions, no I/O, no clock: the same state
gives the same record.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from session_server.core.model import (
    LOCAL_TZ,
    Commitment,
    ConclusionDraft,
    Origin,
    Question,
    QuestionStatus,
    State,
)
from session_server.core.roster import attendance, attendance_total
from session_server.core.text import fold_text
from session_server.core.views import answer_due

__all__ = [
    "FATE_LABELS",
    "ORIGIN_LABELS",
    "REJECTION_CATEGORIES",
    "STATUS_LABELS",
    "Figures",
    "Record",
    "RecordEntry",
    "TopicSection",
    "build_record",
    "default_recipients",
    "due_date",
    "fate_text",
    "fold_text",
    "follow_up_status",
    "local_time",
    "rejection_category",
    "signature_warnings",
    "vn_date",
]

ORIGIN_LABELS: dict[Origin, str] = {
    Origin.PHONE: "gửi qua điện thoại tại buổi đối thoại",
    Origin.BRIDGE: "ghi nhận tại các điểm cầu",
    Origin.PRE_COLLECTED: "tổng hợp trước buổi đối thoại",
    Origin.IMPORTED: "nhập từ danh sách tổng hợp",
}
"""How the notice names where questions came from (in Vietnamese: the
notice is an official Vietnamese document)."""

STATUS_LABELS: dict[QuestionStatus, str] = {
    QuestionStatus.SUBMITTED: "Chờ duyệt",
    QuestionStatus.APPROVED: "Đã duyệt",
    QuestionStatus.REJECTED: "Không tiếp nhận",
    QuestionStatus.MERGED: "Đã gộp",
    QuestionStatus.ON_FLOOR: "Đang trả lời",
    QuestionStatus.ANSWERED: "Đã trả lời",
    QuestionStatus.FORWARDED: "Chuyển cơ quan có thẩm quyền",
    QuestionStatus.DEFERRED: "Trả lời bằng văn bản",
}
"""A status as the record names it (the exports keep the code in JSON)."""

FATE_LABELS: dict[str, str] = {
    "answered": "Đã trả lời trực tiếp tại buổi đối thoại",
    "forwarded": "Chuyển cơ quan có thẩm quyền trả lời",
    "deferred": "Trả lời bằng văn bản",
    "merged": "Gộp vào câu hỏi",
    "rejected": "Không tiếp nhận",
    "not_reached": "Chưa được trả lời tại buổi đối thoại, chưa chuyển xử lý",
    "unscreened": "Chưa được xem xét",
}
"""What became of a question (``RecordEntry.fate``)."""

REJECTION_CATEGORIES: dict[str, str] = {
    "off_topic": "không thuộc chủ đề đối thoại",
    "duplicate": "trùng nội dung",
    "spam": "tin rác, thử nghiệm",
    "offensive": "ngôn từ không phù hợp",
    "personal": "vụ việc cá nhân, khiếu nại, tố cáo",
    "other": "lý do khác",
}
"""Why a question was not taken up, by category, as the notice counts them."""

_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("spam", ("spam", "rac", "thu nghiem", "quang cao", "test")),
    ("duplicate", ("trung noi dung", "trung lap", "trung cau", "trung voi", "duplicate")),
    ("offensive", ("xuc pham", "tho tuc", "khong phu hop", "offensive", "abuse", "cong kich")),
    ("personal", ("khieu nai", "to cao", "ca nhan", "personal")),
    ("off_topic", ("chu de", "khong thuoc", "ngoai pham vi", "off topic", "off-topic")),
)


def rejection_category(question: Question) -> str:
    """The category of a rejection: the one the moderator chose, else (for
    "other" and for logs older than the categories) read off the reason's
    words; ``other`` when nothing matches."""
    chosen = question.rejection_category
    if chosen is not None and chosen != "other":  # "other" (and older logs): read the words
        return str(chosen)
    reason = fold_text(question.rejection_reason)
    for category, words in _CATEGORY_WORDS:
        if any(re.search(rf"\b{re.escape(word)}\b", reason) for word in words):
            return category
    return "other"


def local_time(moment: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM``, Vietnam time."""
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def signature_warnings(draft: ConclusionDraft) -> list[str]:
    """Inconsistencies of the signature block, in Vietnamese: "KT. CHỦ TỊCH"
    (signing for the chair) above the position "CHỦ TỊCH" (the chair
    signs for no one), a deputy's position without "KT."."""
    warnings: list[str] = []
    lines = [fold_text(line) for line in draft.authority_lines]
    position = fold_text(draft.signer_position)
    if not position:
        return warnings
    for line in lines:
        for mark in ("kt.", "tl.", "tuq.", "q."):
            if line.startswith(mark):
                principal = line[len(mark) :].strip()
                if principal and position == principal:
                    warnings.append(
                        f"Dòng “{mark.upper()} {principal.upper()}” là ký thay, thừa lệnh: "
                        f"người ký không thể giữ chức vụ “{draft.signer_position}”. "
                        "Kiểm tra lại chức vụ người ký (ví dụ: Phó Chủ tịch)."
                    )
    deputy = position.startswith("pho ")
    if deputy and lines and not any(line.startswith("kt.") for line in lines):
        warnings.append(
            f"Người ký là cấp phó (“{draft.signer_position}”) nhưng thẩm quyền ký "
            "không có dòng “KT.”."
        )
    return warnings


DONE = (QuestionStatus.ANSWERED, QuestionStatus.FORWARDED, QuestionStatus.DEFERRED)
ARCHIVE_LINE = "Lưu: VT"

_PLACE = re.compile(r"(tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn)\s+(.+)$", re.IGNORECASE)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _XML_ILLEGAL.sub("", text)


def vn_date(day: date, place: str = "") -> str:
    """ "An Giang, ngày 05 tháng 3 năm 2024" (Decree 30/2020/ND-CP: days under
    10 and the months 1 and 2 take a leading zero)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


@dataclass(frozen=True)
class Figures:
    received: int
    by_origin: tuple[tuple[Origin, int], ...]
    by_bridge: tuple[tuple[str, int], ...]
    """(bridge point name, questions), bridges in their set-up order."""
    by_topic: tuple[tuple[str, int], ...]
    answered: int
    forwarded: int
    deferred: int
    merged: int
    rejected: int
    not_reached: int
    """Approved questions that the day ran out of time for, with no fate yet."""
    rejected_by_category: tuple[tuple[str, int], ...] = ()
    """(category label, count) of the rejections, in :data:`REJECTION_CATEGORIES` order."""
    unscreened: int = 0
    """Questions never screened."""


@dataclass(frozen=True)
class RecordEntry:
    question_id: int
    text: str
    status: QuestionStatus
    askers: tuple[str, ...]
    """"Name (unit)" of each asker who consented to be named."""
    bridge: str
    topic: str
    speaker: str
    summary: str
    commitments: tuple[Commitment, ...]
    agency: str
    deadline: date | None
    note: str
    due: date | None = None
    """The deadline of a written answer: the one set, else FOLLOW_UP_DAYS
    after the question was forwarded or deferred."""
    written_answer: str = ""
    """The accepted written answer (``Question.accepted_answer``): one
    awaiting the organiser's acceptance is in no record."""
    answered_by: str = ""
    answered_on: date | None = None
    fate: str = ""
    """What became of it: a key of :data:`FATE_LABELS`."""
    fate_detail: str = ""
    """The fate in words, with its agency, deadline, note, merge or reason
    category (:func:`fate_text`): the same in every output."""
    merged_into: int | None = None
    rejection: str = ""
    """The rejection's category label."""
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class TopicSection:
    topic: str
    entries: tuple[RecordEntry, ...]


@dataclass(frozen=True)
class Record:
    title: str
    theme: str
    host_body: str
    parent_body: str
    place: str
    day: date | None
    """The day of the dialogue."""
    issued_on: date | None
    """The date of the notice: the organiser's, else the dialogue's."""
    locality: str
    """The place name of the date line: "An Giang"."""
    audience_place: str
    """Whose young people: "tỉnh An Giang"."""
    bridges: tuple[str, ...]
    main_bridge: str
    attendance: int | None
    """Who took part: everyone checked in or counted in at the bridge points
    (``core/roster.py``); when nobody was, the figure the organiser typed
    (never the halls' capacity)."""
    attendance_entered: bool
    """The figure is the organiser's, typed (nobody was checked in)."""
    attendance_by_bridge: tuple[tuple[str, int], ...]
    """Checked in or counted in, by bridge point (empty when nobody was)."""
    legal_basis: tuple[str, ...]
    figures: Figures
    topics: tuple[TopicSection, ...]
    followups: tuple[RecordEntry, ...]
    """Forwarded and deferred questions, in order."""
    every: tuple[RecordEntry, ...]
    """Every question received, with its fate, in order."""
    draft: ConclusionDraft
    recipients: tuple[str, ...]
    number: str


def _asker_label(name: str, unit: str) -> str:
    if name and unit:
        return f"{name} ({unit})"
    return name or unit


def due_date(state: State, question: Question) -> date | None:
    """The deadline of a written answer (the core's rule, ``answer_due``)."""
    return answer_due(state, question)


def follow_up_status(entry: RecordEntry, today: date) -> str:
    """``answered``, ``overdue`` or ``pending`` on ``today``."""
    if entry.written_answer:
        return "answered"
    if entry.due is not None and today > entry.due:
        return "overdue"
    return "pending"


def _entry(state: State, question: Question, named: bool) -> RecordEntry:
    askers: list[str] = []
    if named:
        for asker in question.askers():
            label = _asker_label(asker.name, asker.unit) if asker.public else ""
            if label and label not in askers:
                askers.append(label)
    record = state.answers.get(question.question_id)
    speaker_id = (record.speaker_id if record and record.speaker_id else None) or (
        question.speaker_id
    )
    speaker = state.speakers.get(speaker_id or "")
    speaker_label = ""
    if speaker is not None:
        speaker_label = ", ".join(p for p in (speaker.position, speaker.agency) if p)
        speaker_label = f"{speaker.name} ({speaker_label})" if speaker_label else speaker.name
    forwarding = question.forwarding
    due = due_date(state, question)
    agency = forwarding.agency if forwarding else ""
    if not agency and question.status is QuestionStatus.DEFERRED and speaker is not None:
        agency = speaker.agency
    bridge = state.bridges.get(question.bridge_id)
    topic = state.topics.get(question.topic_id or "")
    accepted = question.accepted_answer
    return RecordEntry(
        question_id=question.question_id,
        text=question.text,
        status=question.status,
        askers=tuple(askers),
        bridge=bridge.name if bridge else question.bridge_id,
        topic=topic.name if topic else "",
        speaker=speaker_label,
        summary=record.summary if record else "",
        commitments=tuple(record.commitments) if record else (),
        agency=agency,
        deadline=due,
        note=(forwarding.note if forwarding else question.deferral_note),
        due=due,
        written_answer=accepted.text if accepted else "",
        answered_by=accepted.agency if accepted else "",
        answered_on=accepted.answered_at.astimezone(LOCAL_TZ).date() if accepted else None,
        fate=_fate(question),
        fate_detail=fate_text(state, question, agency, due),
        merged_into=question.merged_into,
        rejection=(
            REJECTION_CATEGORIES[rejection_category(question)]
            if question.status is QuestionStatus.REJECTED
            else ""
        ),
        submitted_at=question.submitted_at,
    )


def _fate(question: Question) -> str:
    status = question.status
    if status in (QuestionStatus.APPROVED, QuestionStatus.ON_FLOOR):
        return "not_reached"
    if status is QuestionStatus.SUBMITTED:
        return "unscreened"
    return status.value


def fate_text(state: State, question: Question, agency: str = "", due: date | None = None) -> str:
    """What became of ``question``, in the record's words: the same text in
    the notice, the report, the follow-up board and the exports."""
    fate = _fate(question)
    label = FATE_LABELS[fate]
    if fate == "forwarded":
        text = f"Chuyển {agency} trả lời" if agency else label
    elif fate == "deferred":
        text = f"{label} ({agency})" if agency else label
    elif fate == "merged":
        return f"{label} số {question.merged_into}"
    elif fate == "rejected":
        return f"{label}: {REJECTION_CATEGORIES[rejection_category(question)]}"
    else:
        return label
    if due is not None:
        text += f", hạn trả lời {_dmy(due)}"
    note = question.forwarding.note if question.forwarding else question.deferral_note
    if note:
        text += f". Ghi chú: {note}"
    return text


def _figures(state: State) -> Figures:
    questions = list(state.questions.values())
    origins = Counter(q.origin for q in questions)
    bridges = Counter(q.bridge_id for q in questions)
    topics = Counter(q.topic_id for q in questions)
    statuses = Counter(q.status for q in questions)
    categories = Counter(
        rejection_category(q) for q in questions if q.status is QuestionStatus.REJECTED
    )
    by_topic = [(t.name, topics[t.topic_id]) for t in state.topics.values() if topics[t.topic_id]]
    if topics[None]:
        by_topic.append(("Chưa phân nhóm", topics[None]))
    return Figures(
        received=len(questions),
        by_origin=tuple((o, origins[o]) for o in Origin if origins[o]),
        by_bridge=tuple(
            (b.name, bridges[b.bridge_id]) for b in state.bridges.values() if bridges[b.bridge_id]
        ),
        by_topic=tuple(by_topic),
        answered=statuses[QuestionStatus.ANSWERED],
        forwarded=statuses[QuestionStatus.FORWARDED],
        deferred=statuses[QuestionStatus.DEFERRED],
        merged=statuses[QuestionStatus.MERGED],
        rejected=statuses[QuestionStatus.REJECTED],
        not_reached=statuses[QuestionStatus.APPROVED] + statuses[QuestionStatus.ON_FLOOR],
        rejected_by_category=tuple(
            (label, categories[key])
            for key, label in REJECTION_CATEGORIES.items()
            if categories[key]
        ),
        unscreened=statuses[QuestionStatus.SUBMITTED],
    )


def _same(a: str, b: str) -> bool:
    return fold_text(a) == fold_text(b)


def default_recipients(state: State) -> tuple[str, ...]:
    """Every agency involved (speakers' agencies, then forwarding agencies),
    the host body itself left out, then the archive line."""
    agencies: list[str] = []
    found = [s.agency for s in state.speakers.values()]
    found += [q.forwarding.agency for q in state.questions.values() if q.forwarding]
    for agency in found:
        host = fold_text(state.dialogue.host_body)
        if not agency or (host and host.startswith(fold_text(agency))):
            continue
        if not any(_same(agency, known) for known in agencies):
            agencies.append(agency)
    return (*agencies, ARCHIVE_LINE)


def _recipients(state: State, draft: ConclusionDraft) -> tuple[str, ...]:
    lines = [line.strip().lstrip("-–").strip().rstrip(";.").strip() for line in draft.recipients]
    lines = [line for line in lines if line]
    if not lines:
        return default_recipients(state)
    if not any(fold_text(line).startswith("luu") for line in lines):
        lines.append(ARCHIVE_LINE)
    return tuple(lines)


def _abbreviation(host_body: str) -> str:
    return "UBND" if fold_text(host_body).startswith("uy ban nhan dan") else ""


def _places(host_body: str, place: str) -> tuple[str, str]:
    for text in (host_body, place):
        match = _PLACE.search(text)
        if match:
            return match.group(2).strip(), match.group(0).strip()
    return place, place


def build_record(state: State, *, named: bool = True) -> Record:
    """The record of ``state``; ``named=False`` leaves every asker out (the
    public report)."""
    dialogue = state.dialogue
    draft = state.conclusion or ConclusionDraft()
    locality, audience_place = _places(dialogue.host_body, dialogue.place)
    day = dialogue.starts_at.astimezone(LOCAL_TZ).date() if dialogue.starts_at else None
    main = state.main_bridge()
    sections: list[TopicSection] = []
    topic_ids: list[str | None] = [*state.topics, None]
    for topic_id in topic_ids:
        entries = tuple(
            _entry(state, q, named)
            for q in sorted(state.questions.values(), key=lambda q: q.question_id)
            if q.topic_id == topic_id and q.status in DONE
        )
        if entries:
            topic = state.topics.get(topic_id or "")
            sections.append(TopicSection(topic.name if topic else "Chưa phân nhóm", entries))
    followups = tuple(
        _entry(state, q, named)
        for q in sorted(state.questions.values(), key=lambda q: q.question_id)
        if q.status in (QuestionStatus.FORWARDED, QuestionStatus.DEFERRED)
    )
    every = tuple(
        _entry(state, q, named)
        for q in sorted(state.questions.values(), key=lambda q: q.question_id)
    )
    checked_in = attendance_total(state)
    by_bridge = tuple((row.name, row.present) for row in attendance(state) if row.present)
    abbreviation = _abbreviation(dialogue.host_body)
    number = draft.number or ("        /TB-" + abbreviation if abbreviation else "        /TB")
    return Record(
        title=dialogue.title,
        theme=dialogue.theme,
        host_body=dialogue.host_body,
        parent_body=dialogue.parent_body,
        place=dialogue.place,
        day=day,
        issued_on=draft.issued_on or day,
        locality=draft.locality or locality,
        audience_place=audience_place,
        bridges=tuple(b.name for b in state.bridges.values()),
        main_bridge=main.name if main else "",
        attendance=checked_in or draft.attendance,
        attendance_entered=not checked_in and draft.attendance is not None,
        attendance_by_bridge=by_bridge if checked_in else (),
        legal_basis=dialogue.legal_basis,
        figures=_figures(state),
        topics=tuple(sections),
        followups=followups,
        every=every,
        draft=draft,
        recipients=_recipients(state, draft),
        number=number,
    )
