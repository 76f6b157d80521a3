"""The day's video and its chapters, from the log: one chapter per floor
segment (from the floor given to its release), titled with the question on
the floor (its number and first words), the bridge point and the speaker.

The recorder logs when the video's timestamp zero was
(``ProgrammeRecordingStarted``), so everything here is a pure function of
the log: the WebVTT chapters the media node writes while the day goes on,
the MP4 chapters written when it ends, the same file in ``archive.zip``, and
the public report's link from each answered question to its moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from session_server.catalogue import UI
from session_server.core import events as e
from session_server.core.model import Floor, QuestionStatus, State

__all__ = [
    "PROGRAMME_CHAPTERS",
    "PROGRAMME_VIDEO",
    "Chapter",
    "FloorSegment",
    "answer_moments",
    "chapters",
    "floor_segments",
    "webvtt",
]

PROGRAMME_VIDEO = "programme.mp4"
PROGRAMME_CHAPTERS = "programme.vtt"
FIRST_WORDS = 8


@dataclass(frozen=True)
class FloorSegment:
    start: datetime
    end: datetime | None
    """None: still holding the floor."""
    bridge_id: str
    question_id: int | None = None
    speaker_id: str | None = None


@dataclass(frozen=True)
class Chapter:
    start: float
    """Seconds from the video's timestamp zero."""
    end: float
    title: str


def floor_segments(events: Iterable[e.Event], floor: Floor | None = None) -> list[FloorSegment]:
    """The floor segments of ``events`` in order; ``floor``: who held it
    before the first of them (a segment already open)."""
    out: list[FloorSegment] = []
    current: FloorSegment | None = None
    if floor is not None and floor.holder is not None and floor.since is not None:
        current = FloorSegment(floor.since, None, floor.holder, floor.question_id, floor.speaker_id)
    for event in events:
        if isinstance(event, e.FloorGiven):
            if current is not None:
                out.append(replace(current, end=event.at))
            current = FloorSegment(event.at, None, event.bridge_id)
        elif isinstance(event, e.FloorQuestionSet) and current is not None:
            current = replace(current, question_id=event.question_id, speaker_id=event.speaker_id)
        elif isinstance(event, e.FloorReleased) and current is not None:
            out.append(replace(current, end=event.at))
            current = None
    if current is not None:
        out.append(current)
    return out


def _title(state: State, segment: FloorSegment, lang: str) -> str:
    index = 0 if lang == "vi" else 1
    parts = []
    question = state.questions.get(segment.question_id) if segment.question_id else None
    if question is not None:
        words = question.text.split()
        excerpt = " ".join(words[:FIRST_WORDS]) + (" …" if len(words) > FIRST_WORDS else "")
        label = UI["onair.chapter.question"][index].format(number=question.question_id)
        parts.append(f"{label}: {excerpt}")
    bridge = state.bridges.get(segment.bridge_id)
    parts.append(bridge.name if bridge is not None else segment.bridge_id)
    speaker = state.speakers.get(segment.speaker_id) if segment.speaker_id else None
    if speaker is not None:
        parts.append(speaker.name)
    return " — ".join(parts)


def chapters(
    state: State,
    segments: Sequence[FloorSegment],
    started_at: datetime,
    until: datetime,
    lang: str = "vi",
) -> list[Chapter]:
    """The video's chapters: the segments that overlap it (from
    ``started_at`` to ``until``), in seconds from its start."""
    out = []
    for segment in segments:
        end = segment.end or until
        if end <= started_at or segment.start >= until:
            continue
        start = max(0.0, (segment.start - started_at).total_seconds())
        stop = max(start, (min(end, until) - started_at).total_seconds())
        out.append(Chapter(start, stop, _title(state, segment, lang)))
    return out


def answer_moments(state: State) -> dict[int, int]:
    """Each answered question's moment in the day's video, in whole seconds
    (when it went on the floor), for the questions on the floor after the
    video started."""
    started = state.programme_started_at
    if started is None:
        return {}
    return {
        question.question_id: int((question.floor_at - started).total_seconds())
        for question in state.questions.values()
        if question.status is QuestionStatus.ANSWERED
        and question.floor_at is not None
        and question.floor_at >= started
    }


def _stamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    text = " ".join(text.split())  # one line: a blank line would end the cue
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # no "-->"


def webvtt(items: Iterable[Chapter]) -> str:
    """The chapters as a WebVTT file (a track of ``kind="chapters"``)."""
    lines = ["WEBVTT", ""]
    for number, chapter in enumerate(items, 1):
        end = max(chapter.end, chapter.start + 0.001)
        lines += [
            str(number),
            f"{_stamp(chapter.start)} --> {_stamp(end)}",
            _cue_text(chapter.title),
            "",
        ]
    return "\n".join(lines)
