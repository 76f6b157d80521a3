"""Layered limits on what phones and consoles send, sized by the event's own
facts.

A district hall puts hundreds of phones on one Wi-Fi behind one address,
all from one QR code: a limit per address alone would lock the hall out,
and a limit per device cookie alone is useless (cookies are free). So a
submission or a vote passes every layer, checked before any is charged:

- **per device** (``RATE_DEVICE``): what one phone may send;
- **per address and bridge point**: what one network in one hall may send,
  sized by the bridge point's capacity (a hall of 500 may send more than a
  room of 50);
- **per bridge point** (its attendee link): what one QR code may bring,
  whatever the addresses;
- **per dialogue** (``RATE_DIALOGUE``): what the moderator's inbox can take;
- a bridge console's own rate (``RATE_BRIDGE``);
- an agency's written answers, per link (``RATE_AGENCY``): a few saves a
  minute, so a leaked link cannot be used to churn the record; likewise a
  drafter's suggested answers (``RATE_DRAFTER``);
- walk-ins counted at a bridge point's doors (and taken back), per bridge
  point, sized by its capacity: a door's volunteers press a button per
  group arriving, a script on a leaked door link would add an event to the
  log per press.
- a unit's changes to its list of delegates, per link (:data:`UNIT_RATE`):
  a person typing registers a few a minute; a script registering and
  withdrawing the same person would add two events a post;
- documents a link's page makes on demand (a unit's invitations, each a
  DOCX with a QR code a delegate, built on the event loop): a few a
  minute per link (:data:`DOWNLOAD_RATE`).

Device cookies are issued at a bounded rate per address and bridge point
(sized by its capacity as well), so making a new cookie per request runs
out fast; a vote counts only from a cookie issued by the phone's page (a
device that has loaded it), not from the API's.

The traffic of each address is kept a few minutes (outside the log, per
process) so the moderator is warned live when one address or one bridge
point's link goes far above the others (``Traffic.alerts``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from session_server.config import Settings
from session_server.core.commands import Command, RecordWrittenAnswer, SubmitQuestion, Vote
from session_server.core.commands_preparation import DraftSuggestedAnswer
from session_server.core.commands_registration import (
    CountWalkIns,
    RegisterDelegate,
    WithdrawDelegate,
)
from session_server.core.errors import Forbidden, RateLimited
from session_server.core.model import Role, State
from session_server.core.views import submitted_question_id
from session_server.web.ratelimit import Rate, RateLimiter

__all__ = ["DEFAULT_CAPACITY", "DOWNLOAD_RATE", "UNIT_RATE", "Alert", "Limits", "Traffic"]

DEFAULT_CAPACITY = 300
"""The size of a hall whose capacity the organiser did not give."""

UNIT_RATE = Rate(20, 60)
"""Registrations and withdrawals through one unit's link a minute."""
DOWNLOAD_RATE = Rate(6, 60)
"""Documents made for one link's page a minute."""

WINDOW_SECONDS = 60.0
"""Traffic is compared over the last minute."""
ALERT_FLOOR = 20
"""Submissions a minute below which no address is suspicious."""
ALERT_FACTOR = 5.0
"""An address this many times above the typical one is flagged."""


_UNIT_CHANGES = (RegisterDelegate, WithdrawDelegate)
_DOORS = frozenset({Role.CHECK_IN, Role.BRIDGE_OPERATOR})
"""The links that count walk-ins at their own bridge point's door."""


def _capacity(state: State, bridge_id: str | None) -> int:
    bridge = state.bridges.get(bridge_id or "")
    return bridge.capacity if bridge is not None and bridge.capacity > 0 else DEFAULT_CAPACITY


@dataclass(frozen=True)
class Alert:
    """An address (or a whole link) sending far more than the others."""

    bridge_id: str
    address: str
    """"" when it is the link as a whole."""
    per_minute: int
    typical: float


class Traffic:
    """Submissions of the last minute, per bridge point and address."""

    def __init__(self) -> None:
        self._seen: deque[tuple[float, str, str]] = deque()

    def note(self, now: float, bridge_id: str, address: str) -> None:
        self._seen.append((now, bridge_id, address))
        self._forget(now)

    def _forget(self, now: float) -> None:
        while self._seen and now - self._seen[0][0] > WINDOW_SECONDS:
            self._seen.popleft()

    def alerts(self, now: float) -> list[Alert]:
        """Addresses sending ``ALERT_FACTOR`` times the typical address's
        submissions of the last minute (and at least ``ALERT_FLOOR``)."""
        self._forget(now)
        counts: dict[tuple[str, str], int] = {}
        for _at, bridge_id, address in self._seen:
            counts[(bridge_id, address)] = counts.get((bridge_id, address), 0) + 1
        if not counts:
            return []
        ordered = sorted(counts.values())
        typical = float(ordered[len(ordered) // 2]) if len(ordered) > 1 else 1.0
        return sorted(
            (
                Alert(bridge_id, address, count, typical)
                for (bridge_id, address), count in counts.items()
                if count >= ALERT_FLOOR and count >= ALERT_FACTOR * typical
            ),
            key=lambda alert: -alert.per_minute,
        )


class Limits:
    """The layers, as one check and one charge for each command."""

    def __init__(self, settings: Settings) -> None:
        self.scale = settings.limit_scale
        """Multiplies the limits sized by a hall's capacity (``LIMIT_SCALE``)."""
        self.device = RateLimiter(Rate.parse(settings.rate_device))
        self.bridge = RateLimiter(Rate.parse(settings.rate_bridge))
        self.agency = RateLimiter(Rate.parse(settings.rate_agency))
        self.drafter = RateLimiter(Rate.parse(settings.rate_drafter))
        self.dialogue_rate = Rate.parse(settings.rate_dialogue)
        self.dialogue = RateLimiter(self.dialogue_rate)
        self.walk_ins = RateLimiter(Rate(60, 60))
        self.downloads = RateLimiter(DOWNLOAD_RATE)
        self.unit = RateLimiter(UNIT_RATE)
        self.address = RateLimiter(Rate(60, 60))
        self.link = RateLimiter(Rate(150, 60))
        self.cookies = RateLimiter(Rate(DEFAULT_CAPACITY, 1800))
        self.traffic: dict[str, Traffic] = {}

    # --- the facts that size the buckets

    def sized(self, rate: Rate) -> Rate:
        return Rate(max(1, round(rate.count * self.scale)), rate.seconds)

    @staticmethod
    def address_rate(capacity: int, vote: bool) -> Rate:
        """One network in one hall: a fifth of the hall asking a minute, or
        every person voting twice."""
        return Rate(max(60, capacity * 2), 60) if vote else Rate(max(30, capacity // 5), 60)

    @staticmethod
    def link_rate(capacity: int, vote: bool) -> Rate:
        """One bridge point's QR code, from every network."""
        return Rate(max(120, capacity * 3), 60) if vote else Rate(max(60, capacity // 2), 60)

    @staticmethod
    def walk_in_rate(capacity: int) -> Rate:
        """Walk-in counts at one bridge point, from all its doors: one a
        second, or a fifth of a large hall a minute (a count may carry
        many people)."""
        return Rate(max(60, capacity // 5), 60)

    @staticmethod
    def cookie_rate(capacity: int) -> Rate:
        """New phones from one network of one hall: the whole hall at once,
        then the hall again over half an hour (people arrive at the start;
        a script making a cookie per request runs dry)."""
        return Rate(max(50, capacity), 1800)

    # --- the checks

    def charge(
        self,
        dialogue_id: str,
        state: State,
        command: Command,
        address: str,
        now: float,
        *,
        page_device: bool = True,
    ) -> None:
        """Check every layer ``command`` passes, then charge them all; a
        refusal charges nothing. A command the log already holds (a retry
        after a lost answer) is not charged."""
        if isinstance(command, SubmitQuestion) and submitted_question_id(state, command):
            return
        if command.command_id and command.scoped_id() in state.applied_commands:
            return
        actor = command.actor
        layers: list[tuple[RateLimiter, str, Rate | None]] = []
        if isinstance(command, SubmitQuestion | Vote) and actor.role is Role.ATTENDEE:
            vote = isinstance(command, Vote)
            if vote and not page_device:
                raise Forbidden("vote.page_device")
            capacity = _capacity(state, actor.bridge_id)
            kind = "vote" if vote else "ask"
            layers = [
                (self.device, f"{actor.device_id}:{kind}", None),
                (
                    self.address,
                    f"{kind}:{actor.bridge_id}:{address}",
                    self.sized(self.address_rate(capacity, vote)),
                ),
                (
                    self.link,
                    f"{kind}:{actor.bridge_id}",
                    self.sized(self.link_rate(capacity, vote)),
                ),
            ]
            if not vote:
                layers.append((self.dialogue, dialogue_id, None))
        elif isinstance(command, SubmitQuestion) and actor.role is Role.BRIDGE_OPERATOR:
            layers = [(self.bridge, actor.bridge_id or "", None)]
        elif isinstance(command, RecordWrittenAnswer) and actor.role is Role.AGENCY:
            layers = [(self.agency, f"{dialogue_id}:{actor.link_id}", None)]
        elif isinstance(command, DraftSuggestedAnswer) and actor.role is Role.DRAFTER:
            layers = [(self.drafter, f"{dialogue_id}:{actor.link_id}", None)]
        elif isinstance(command, _UNIT_CHANGES) and actor.role is Role.UNIT_REGISTRAR:
            layers = [(self.unit, f"{dialogue_id}:{actor.link_id}", None)]
        elif isinstance(command, CountWalkIns) and actor.role in _DOORS:
            door = self.sized(self.walk_in_rate(_capacity(state, command.bridge_id)))
            layers = [(self.walk_ins, f"{dialogue_id}:{command.bridge_id}", door)]
        wait = max((limiter.wait(key, now, rate) for limiter, key, rate in layers), default=0)
        if wait:
            raise RateLimited("rate.limited", seconds=wait)
        for limiter, key, rate in layers:
            limiter.spend(key, now, rate)
        if isinstance(command, SubmitQuestion) and actor.role is Role.ATTENDEE:
            self.traffic_of(dialogue_id).note(now, actor.bridge_id or "", address)

    def download(self, dialogue_id: str, link_id: str, now: float) -> None:
        """A document made for ``link_id``'s page; ``RateLimited`` when it
        asked for a few this minute already."""
        self.downloads.hit(f"{dialogue_id}:{link_id}", now)

    def new_device(self, state: State, bridge_id: str | None, address: str, now: float) -> None:
        """A new device cookie for a phone at ``bridge_id`` from ``address``."""
        rate = self.sized(self.cookie_rate(_capacity(state, bridge_id)))
        self.cookies.hit(f"{bridge_id}:{address}", now, rate)

    def traffic_of(self, dialogue_id: str) -> Traffic:
        found = self.traffic.get(dialogue_id)
        if found is None:
            found = self.traffic[dialogue_id] = Traffic()
        return found
