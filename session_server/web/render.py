"""Rendering pages and live fragments, once per audience.

An audience is everyone who sees the same bytes: a role, its bridge point or
speaker where the role has one, and a language. Each role's screen is a page
(``<role>.html``) made of fragments (``_name.html``), each owning one stable
element id; the same fragments are pushed over the WebSocket as out-of-band
swaps when they change. A phone's own questions are the one per-device
fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from session_server.catalogue import UI, message, term
from session_server.core.errors import SessionError
from session_server.core.model import (
    Actor,
    Question,
    QuestionStatus,
    Role,
    State,
)
from session_server.core.text import fold_text
from session_server.core.views import (
    fairness,
    proposed_speaker,
    queue_by_topic,
    speaker_questions,
    visible_questions,
)
from session_server.web.actions import LOCAL_TZ

__all__ = [
    "FRAGMENTS",
    "MEDIA_FRAGMENTS",
    "PERSONAL_FRAGMENTS",
    "VOLATILE_FRAGMENTS",
    "Audience",
    "Renderer",
    "View",
]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

FRAGMENTS: dict[Role, tuple[str, ...]] = {
    Role.MODERATOR: (
        "_status.html",
        "_programme.html",
        "_mod_floor.html",
        "_mod_requests.html",
        "_mod_inbox.html",
        "_mod_queue.html",
        "_fairness.html",
        "_media_health.html",
    ),
    Role.SECRETARY: ("_status.html", "_sec_floor.html", "_sec_record.html"),
    Role.BRIDGE_OPERATOR: ("_status.html", "_floor_card.html", "_bridge_request.html",
                           "_bridge_queue.html"),
    Role.DISPLAY: ("_display.html",),
    Role.SPEAKER: ("_status.html", "_floor_card.html", "_speaker_list.html"),
    Role.ORGANISER: ("_status.html", "_fairness.html"),
    Role.ATTENDEE: ("_status.html", "_floor_card.html", "_phone_public_count.html",
                    "_phone_public.html"),
}
"""The live fragments of each role's screen, in the order they are sent."""

PERSONAL_FRAGMENTS: tuple[str, ...] = ("_phone_mine.html",)

MEDIA_FRAGMENTS: tuple[str, ...] = ("_media_health.html", "_mod_floor.html")
"""What shows the bridge points' media links: re-rendered when a link changes."""

VOLATILE_FRAGMENTS: frozenset[str] = frozenset({"_status.html", *MEDIA_FRAGMENTS})
"""Fragments that change without new events (the event log's link, the
media links): a resuming screen always gets them."""

CONTROL_FIRST: tuple[Role, ...] = (
    Role.MODERATOR,
    Role.DISPLAY,
    Role.BRIDGE_OPERATOR,
    Role.SECRETARY,
    Role.SPEAKER,
    Role.ORGANISER,
    Role.ATTENDEE,
)
"""Order of fan-out: control screens and displays before phones."""


@dataclass(frozen=True)
class Audience:
    role: Role
    bridge_id: str | None = None
    speaker_id: str | None = None
    lang: str = "vi"

    @classmethod
    def of(cls, actor: Actor, lang: str) -> Audience:
        bridge = actor.bridge_id if actor.role in (Role.BRIDGE_OPERATOR,) else None
        speaker = actor.speaker_id if actor.role is Role.SPEAKER else None
        return cls(actor.role, bridge, speaker, lang)

    def actor(self, device_id: str | None = None) -> Actor:
        return Actor(self.role, self.bridge_id, self.speaker_id, device_id)


class View:
    """What templates may ask of the state, for one audience."""

    def __init__(
        self,
        state: State,
        audience: Audience,
        device_id: str | None = None,
        *,
        store_ok: bool = True,
        media: Any = None,
    ) -> None:
        self.s = state
        self.media = media
        """The dialogue's ``MediaManager`` when the server relays media, else None."""
        self.aud = audience
        self.lang = audience.lang
        self.device_id = device_id
        self.store_ok = store_ok
        """False while the event log cannot be written (commands are refused)."""

    # text
    def t(self, key: str, **params: object) -> str:
        pair = UI.get(key)
        if pair is None:
            return key
        text = pair[0] if self.lang == "vi" else pair[1]
        return text.format(**params) if params else text

    def term(self, key: str) -> str:
        return term(key, self.lang)

    def msg(self, code: str, **params: object) -> str:
        return message(code, self.lang, **params)

    # names
    def bridge_name(self, bridge_id: str | None) -> str:
        bridge = self.s.bridges.get(bridge_id or "")
        return bridge.name if bridge else (bridge_id or "")

    def topic_name(self, topic_id: str | None) -> str:
        topic = self.s.topics.get(topic_id or "")
        return topic.name if topic else self.t("topic.none")

    def speaker_label(self, speaker_id: str | None) -> str:
        speaker = self.s.speakers.get(speaker_id or "")
        if speaker is None:
            return ""
        parts = [speaker.name, speaker.position, speaker.agency]
        return " – ".join(p for p in parts if p)

    def proposed(self, question: Question) -> str | None:
        return proposed_speaker(self.s, question)

    # times
    def iso(self, moment: datetime | None) -> str:
        return moment.isoformat() if moment else ""

    def hm(self, moment: datetime | None) -> str:
        return moment.astimezone(LOCAL_TZ).strftime("%H:%M") if moment else ""

    def dmy(self, day: date | datetime | None) -> str:
        if day is None:
            return ""
        if isinstance(day, datetime):
            day = day.astimezone(LOCAL_TZ)
        return day.strftime("%d/%m/%Y")

    # questions
    def visible(self) -> list[Question]:
        return visible_questions(self.s, self.aud.actor(self.device_id))

    def mine(self) -> list[Question]:
        scope = f"device:{self.device_id}"
        return [q for q in self.s.questions.values() if q.submitted_by == scope][::-1]

    PUBLIC_TOP = 20
    """Approved questions a phone's live list shows; the rest by search or "more"."""

    def public_list(self, query: str = "") -> list[Question]:
        """The approved questions phones may upvote, most votes first (the
        queue's order among equals); with ``query``, those whose text holds
        it, accents and case aside."""
        if not self.s.public_list_open:
            return []
        questions = (self.s.questions[q] for q in self.s.queue)
        folded = fold_text(query)
        if folded:
            questions = (q for q in questions if folded in fold_text(q.text))
        return sorted(questions, key=lambda q: -q.votes)

    def public_top(self) -> list[Question]:
        return self.public_list()[: self.PUBLIC_TOP]

    def public_count(self) -> int:
        return len(self.s.queue) if self.s.public_list_open else 0

    INBOX_SHOWN = 100

    def inbox(self) -> list[Question]:
        """The oldest questions waiting to be screened, at most INBOX_SHOWN:
        the moderator works from the top, and a screen of thousands would
        cost every push (``inbox_more`` says how many wait beyond)."""
        waiting = []
        for question in self.s.questions.values():
            if question.status is QuestionStatus.SUBMITTED:
                waiting.append(question)
                if len(waiting) == self.INBOX_SHOWN:
                    break
        return waiting

    def inbox_count(self) -> int:
        return sum(1 for q in self.s.questions.values() if q.status is QuestionStatus.SUBMITTED)

    def queue_groups(self) -> list[tuple[str | None, list[Question]]]:
        return list(queue_by_topic(self.s).items())

    def queue(self) -> list[Question]:
        return [self.s.questions[q] for q in self.s.queue]

    def closed_questions(self) -> list[Question]:
        done = (QuestionStatus.ANSWERED, QuestionStatus.FORWARDED, QuestionStatus.DEFERRED)
        return sorted(
            (q for q in self.s.questions.values() if q.status in done),
            key=lambda q: q.closed_at or q.submitted_at,
            reverse=True,
        )

    def bridge_questions(self) -> list[Question]:
        bridge = self.aud.bridge_id
        return [q for q in self.s.questions.values() if q.bridge_id == bridge][::-1]

    def speaker_list(self) -> list[Question]:
        return speaker_questions(self.s, self.aud.speaker_id or "")

    def floor_question(self) -> Question | None:
        qid = self.s.floor.question_id
        return self.s.questions.get(qid) if qid is not None else None

    def pending_request(self) -> Any:
        for request in self.s.pending_floor_requests():
            if request.bridge_id == self.aud.bridge_id:
                return request
        return None

    def fairness(self) -> list[Any]:
        return fairness(self.s)

    def next_items(self, count: int = 3) -> list[Question]:
        return self.queue()[:count]

    # media
    def media_on(self) -> bool:
        return self.media is not None

    def links(self) -> list[tuple[str, Any]]:
        """(bridge point id, its link's health) for every bridge point."""
        if self.media is None:
            return []
        return [(b, self.media.health_of(b)) for b in self.s.bridges]

    def feed_live(self, bridge_id: str) -> bool:
        """True when the bridge point's picture is live, or media is off."""
        if self.media is None:
            return True
        return bool(self.media.health_of(bridge_id).live)

    def needs_feed(self, bridge_id: str) -> bool:
        bridge = self.s.bridges.get(bridge_id)
        return bridge is not None and bridge.kind.value != "main"

    def on_screen(self) -> str | None:
        return self.media.showing() if self.media is not None else None

    def recordings_of(self, question_id: int) -> list[Any]:
        return [r for r in self.s.recordings.values() if r.question_id == question_id]

    def status_class(self, question: Question) -> str:
        return f"status-{question.status.value}"


class Renderer:
    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["Role"] = Role
        self.env.globals["QuestionStatus"] = QuestionStatus

    def fragment(self, name: str, view: View, **extra: Any) -> str:
        """A fragment pushed live to a whole audience: no per-link URL or
        per-device CSRF token in it (its forms travel over the socket)."""
        extra.setdefault("csrf", "")
        extra.setdefault("post_url", "")
        return self.env.get_template(name).render(v=view, s=view.s, **extra)

    def page(self, name: str, view: View, **extra: Any) -> str:
        return self.env.get_template(name).render(v=view, s=view.s, **extra)

    def error_page(self, lang: str, error: SessionError) -> str:
        """A refusal as a page of its own, Vietnamese first."""
        return self.env.get_template("error.html").render(
            lang=lang, messages=error.messages(), code=error.code)

    def position(self, epoch: str, seq: int) -> str:
        return str(
            Markup('<div id="pos" hx-swap-oob="true" data-epoch="{}" data-seq="{}"></div>').format(
                epoch, seq
            )
        )

    def refusal(self, messages: dict[str, str]) -> str:
        """A refusal for one socket, in Vietnamese first and English second."""
        return str(
            Markup(
                '<div id="flash" hx-swap-oob="true" class="flash flash-error" role="alert">'
                '<span lang="vi">{}</span><br><span lang="en" class="muted">{}</span></div>'
            ).format(messages["vi"], messages["en"])
        )

    def flash(self, text: str, kind: str = "error") -> str:
        return str(
            Markup(
                '<div id="flash" hx-swap-oob="true" class="flash flash-{}" role="alert">{}</div>'
            ).format(kind, text)
        )

