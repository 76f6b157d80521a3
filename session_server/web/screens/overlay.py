"""The broadcast overlay: a hall display link's other views, for a
broadcast crew's tools (OBS's or vMix's browser source).

- ``/s/{token}/overlay`` (:data:`OVERLAY`, ``screens/pages.py``): a transparent 1920×1080 page
  with a lower third (the bridge point holding the floor, the question, its
  asker when they agreed to be named, who answers, the countdown), animated
  in and out as the floor changes (``static/js/overlay.js``).
- ``/ws/{token}?view=feed`` (:data:`FEED`): the same fields as JSON, one
  object a message, for a station that draws its own graphics
  (``docs/media.md`` has the message's shape).

Both are live over the hub like the other screens; their one fragment
changes with the floor only (no phone's question or vote renders it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from session_server.core.model import Role
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["FEED", "OVERLAY", "LowerThird", "OverlayContext", "feed_url", "overlay_url"]


@dataclass(frozen=True)
class LowerThird:
    """What the lower third shows (and the JSON feed carries) while a
    bridge point holds the floor."""

    bridge_id: str
    bridge: str
    """The bridge point's name."""
    question_id: int | None
    question: str
    asker: str
    """Name and unit of the asker who agreed to be named, else ""."""
    speaker_id: str | None
    speaker: str
    """Name – position – agency of who answers, else ""."""
    item: str
    """The programme item now running."""
    question_ends_at: str
    answer_ends_at: str
    """The timers' deadlines (ISO 8601 with offset), or "": clients count down."""

    @property
    def key(self) -> str:
        """The floor this lower third is for: a new key animates it in."""
        return f"{self.bridge_id}:{self.question_id or ''}"


class OverlayContext(ScreenContext):
    def lower_third(self) -> LowerThird | None:
        floor = self.s.floor
        if floor.holder is None:
            return None
        question = self.floor_question()
        asker = ""
        if question is not None and question.asker.public and question.asker.name:
            # consent as on the hall display: named only when the asker agreed
            asker = " – ".join(p for p in (question.asker.name, question.asker.unit) if p)
        item = self.s.current_item()
        return LowerThird(
            bridge_id=floor.holder,
            bridge=self.bridge_name(floor.holder),
            question_id=question.question_id if question else None,
            question=question.text if question else "",
            asker=asker,
            speaker_id=floor.speaker_id,
            speaker=self.speaker_label(floor.speaker_id),
            item=item.title if item else "",
            question_ends_at=self.iso(floor.question_ends_at),
            answer_ends_at=self.iso(floor.answer_ends_at),
        )

    def feed(self) -> dict[str, Any]:
        """The JSON feed's ``floor`` object: the lower third's fields, or
        ``None`` fields while nobody holds the floor."""
        shown = self.lower_third()
        return {"on_air": shown is not None, "floor": asdict(shown) if shown else None}


OVERLAY = Screen(
    Role.DISPLAY,
    "overlay.html",
    (Fragment("_overlay.html", changed_by=NOTHING_FREQUENT),),
    OverlayContext,
    rank=1,
    frameable=True,
    view="overlay",
)

FEED = Screen(
    Role.DISPLAY,
    "",
    (Fragment("_overlay_feed.json", changed_by=NOTHING_FREQUENT),),
    OverlayContext,
    rank=1,
    view="feed",
    feed=True,
)


def overlay_url(link_url: str) -> str:
    """The overlay page of a hall display's link (its full URL)."""
    return f"{link_url}/{OVERLAY.view}"


def feed_url(link_url: str) -> str:
    """The JSON feed's socket of a hall display's link (its full URL):
    ``https://host/s/TOKEN`` → ``wss://host/ws/TOKEN?view=feed``."""
    scheme, _, rest = link_url.partition("://")
    host, _, path = rest.partition("/s/")
    secure = "wss" if scheme == "https" else "ws"
    return f"{secure}://{host}/ws/{path}?view={FEED.view}"
