"""What a screen is, and what every screen's templates may read.

A :class:`Screen` declares, in one place, everything the web layer knows
about one role's screen: its page and live fragments (in the order they are
sent), who sees the same bytes (its audience), its place in the fan-out
(control screens and displays before phones), and the context class its
templates read. The hub, the pages, the socket and the tests all ask the
declarations (``screens/__init__.py``); there is no other table of roles.

A template gets ``v``, the screen's context (a :class:`ScreenContext`:
texts in the screen's language, names, times, the live links' health, and
each screen's own questions), ``s``, the dialogue's state, and on a full
page the fields of a page-values dataclass (:class:`LinkPage` for the role
screens). ``tests/test_web_templates.py`` checks every template reads only
what its declarations give it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from session_server.catalogue import UI, message, term
from session_server.core import events as e
from session_server.core import events_registration as rev
from session_server.core.model import (
    LOCAL_TZ,
    Actor,
    BridgeKind,
    Question,
    Recording,
    Role,
    RoleLink,
    State,
)

__all__ = [
    "ASKED",
    "CHECKED",
    "FREQUENT",
    "NOTHING_FREQUENT",
    "VOTED",
    "Audience",
    "Fragment",
    "LinkPage",
    "Screen",
    "ScreenContext",
    "today",
]


def today(moment: datetime | None = None) -> date:
    """Today in Vietnam (at ``moment``, else now): what "overdue" is
    measured against."""
    return (moment or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).date()


@dataclass(frozen=True)
class Audience:
    """Everyone who sees the same bytes: a role, its bridge point or speaker
    where the screen is scoped to one, and a language."""

    role: Role
    bridge_id: str | None = None
    speaker_id: str | None = None
    lang: str = "vi"
    view: str = ""
    """Another view of the same link (a hall display's broadcast overlay,
    ``screens/overlay.py``), or "" for the role's own screen."""

    def actor(self, device_id: str | None = None) -> Actor:
        return Actor(self.role, self.bridge_id, self.speaker_id, device_id)


FREQUENT: frozenset[type[e.Event]] = frozenset(
    {e.QuestionSubmitted, e.VoteCast, rev.CheckedIn, rev.WalkInsCounted}
)
"""The events that come by the hundred a minute (phones asking and voting,
people arriving at the doors).
Each fragment says which of them can change it (``Fragment.changed_by``): a
burst of them renders only those fragments; any other event renders all."""


@dataclass(frozen=True)
class Fragment:
    """One live part of a screen: a template owning one stable element id."""

    template: str
    volatile: bool = False
    """Changes without new events (the event log's link, a camera's health):
    a resuming screen always gets it; re-rendered when the server says so."""
    media: bool = False
    """Shows the bridge points' pictures' links: re-rendered when one changes."""
    personal: bool = False
    """Rendered for one device (a phone's own questions), not a whole audience."""
    changed_by: frozenset[type[e.Event]] = FREQUENT
    """Which of the :data:`FREQUENT` events can change it (every fragment
    changes with the others). ``tests/test_web_hub.py`` plays a day and
    checks that no fragment changes on a frequent event it does not name."""
    kept_when_asked: Callable[[State, tuple[str, ...], Collection[int]], bool] | None = None
    """For a keyed list that phones asking change: whether the questions
    just asked (their ids) leave it as it was last pushed (its items' ids, in
    order). Then a burst of nothing but questions asked does not render it
    (the moderator's inbox, full, of the oldest waiting questions)."""


NOTHING_FREQUENT: frozenset[type[e.Event]] = frozenset()
ASKED = frozenset({e.QuestionSubmitted})
VOTED = frozenset({e.VoteCast})
CHECKED: frozenset[type[e.Event]] = frozenset({rev.CheckedIn, rev.WalkInsCounted})


class ScreenContext:
    """What every screen's templates may read, for one audience (and, for a
    phone's own questions, one device)."""

    def __init__(
        self,
        state: State,
        audience: Audience,
        device_id: str | None = None,
        *,
        store_ok: bool = True,
        media: Any = None,
        traffic: Any = None,
    ) -> None:
        self.s = state
        self.aud = audience
        self.lang = audience.lang
        self.device_id = device_id
        self.store_ok = store_ok
        """False while the event log cannot be written (commands are refused)."""
        self.media = media
        """The dialogue's ``MediaManager`` when the server relays media, else None."""
        self.traffic = traffic
        """What the phones of each address sent lately (``web/limits.py``), or None."""

    # --- text, in the screen's language
    def t(self, key: str, **params: object) -> str:
        pair = UI.get(key)
        if pair is None:
            return key
        text = pair[0] if self.lang == "vi" else pair[1]
        return text.format(**params) if params else text

    def pair(self, key: str) -> tuple[str, str]:
        """A catalogue entry in both languages (Vietnamese, English), for
        what must be read whatever the screen's language."""
        return UI.get(key, (key, key))

    def term(self, key: str) -> str:
        return term(key, self.lang)

    def msg(self, code: str, **params: object) -> str:
        return message(code, self.lang, **params)

    # --- names
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
        return " – ".join(p for p in (speaker.name, speaker.position, speaker.agency) if p)

    # --- times, in Vietnam
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

    # --- questions, as every screen shows them
    def floor_question(self) -> Question | None:
        qid = self.s.floor.question_id
        return self.s.questions.get(qid) if qid is not None else None

    def queue(self) -> list[Question]:
        return [self.s.questions[q] for q in self.s.queue]

    def status_class(self, question: Question) -> str:
        return f"status-{question.status.value}"

    def recordings_of(self, question_id: int) -> list[Recording]:
        return [r for r in self.s.recordings.values() if r.question_id == question_id]

    # --- the bridge points' pictures
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
        return bridge is not None and bridge.kind is not BridgeKind.MAIN

    def on_screen(self) -> str | None:
        return self.media.showing() if self.media is not None else None


@dataclass(frozen=True)
class Screen:
    """One role's screen, declared once."""

    role: Role
    page: str
    """The template of the whole page."""
    fragments: tuple[Fragment, ...]
    """Its live fragments, in the order a message carries them."""
    context: type[ScreenContext]
    rank: int
    """Its place in every fan-out (lowest first: control screens, displays, phones)."""
    scope: Literal["bridge", "speaker", None] = None
    """What else its audience is scoped to beyond role and language."""
    prefix: str = "/s/"
    """Its links' path (``/j/`` for a phone: it also sets the device cookie)."""
    media: Literal["publish", "view", None] = None
    recordings: bool = False
    """Whether it may play the recordings of the floor segments."""
    pages: dict[str, str] = field(default_factory=dict)
    """Other pages of the same link (``camera`` → ``camera.html``)."""
    frameable: bool = False
    """Whether ``FRAME_ANCESTORS`` may frame it (a broadcast crew's tools)."""
    view: str = ""
    """Another view of a role's link (``?view=`` on its socket), or "" for
    the role's own screen (``screens/__init__.py``: :data:`VIEWS`)."""
    feed: bool = False
    """Its socket carries JSON (one object a message) instead of htmx
    markup: a station's graphics system reads it (``screens/overlay.py``)."""

    def audience(self, actor: Actor, lang: str) -> Audience:
        return Audience(
            self.role,
            actor.bridge_id if self.scope == "bridge" else None,
            actor.speaker_id if self.scope == "speaker" else None,
            lang,
            self.view,
        )

    def live(self) -> tuple[str, ...]:
        """The templates sent to the whole audience."""
        return tuple(f.template for f in self.fragments if not f.personal)

    def personal(self) -> tuple[str, ...]:
        return tuple(f.template for f in self.fragments if f.personal)


@dataclass(frozen=True)
class LinkPage:
    """What a role screen's whole page gets beside ``v`` and ``s``."""

    link: RoleLink
    ws_url: str
    post_url: str
    page_url: str
    csrf: str
    epoch: str
    seq: int
    new_key: str
    """A fresh idempotency key for a form posted without JavaScript."""
    flash: Mapping[str, Any] | None
    ice_json: str
    """The ICE servers, as the browser's RTCPeerConnection takes them."""
    server_ms: int
    """The server's time as the page is made, in milliseconds since 1970:
    the countdowns' clock until the first pong (``static/js/link.js``)."""
