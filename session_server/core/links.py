"""The standard set of role links a dialogue needs on the day."""

from __future__ import annotations

from collections.abc import Callable

from session_server.core.commands import IssueLink
from session_server.core.model import Actor, Role, State

__all__ = ["standard_links"]


def standard_links(state: State, actor: Actor, new_id: Callable[[], str]) -> list[IssueLink]:
    """One moderator and one secretary link; per bridge point an operator,
    a hall display and an attendee (QR) link; one link per speaker. Links
    that already exist and are active are not issued again."""
    have = {
        (link.role, link.bridge_id, link.speaker_id) for link in state.links.values() if link.active
    }
    wanted: list[tuple[Role, str | None, str | None, str]] = [
        (Role.MODERATOR, None, None, "Chủ tọa"),
        (Role.SECRETARY, None, None, "Thư ký"),
    ]
    for bridge in state.bridges.values():
        wanted.append((Role.BRIDGE_OPERATOR, bridge.bridge_id, None, bridge.name))
        wanted.append((Role.DISPLAY, bridge.bridge_id, None, bridge.name))
        wanted.append((Role.ATTENDEE, bridge.bridge_id, None, bridge.name))
    for speaker in state.speakers.values():
        wanted.append((Role.SPEAKER, None, speaker.speaker_id, speaker.name))
    return [
        IssueLink(actor, new_id(), role, bridge_id, speaker_id, label)
        for role, bridge_id, speaker_id, label in wanted
        if (role, bridge_id, speaker_id) not in have
    ]
