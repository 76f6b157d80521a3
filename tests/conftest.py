"""Shared fixtures: a fixed clock, actors, and the demo dialogue's state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from session_server.core import apply, decide
from session_server.core.commands import Command
from session_server.core.events import Event
from session_server.core.model import Actor, Role, State
from session_server.demo import demo_commands

NOW = datetime(2024, 3, 5, 7, 30, tzinfo=UTC)

ORGANISER = Actor(Role.ORGANISER)
MODERATOR = Actor(Role.MODERATOR)
SECRETARY = Actor(Role.SECRETARY)
DISPLAY = Actor(Role.DISPLAY)


def phone(device: str = "phone-1") -> Actor:
    return Actor(Role.ATTENDEE, device_id=device)


def operator(bridge: str) -> Actor:
    return Actor(Role.BRIDGE_OPERATOR, bridge_id=bridge)


def run(state: State, command: Command, now: datetime = NOW) -> list[Event]:
    """Decide and apply one command; return its events."""
    events = decide(state, command, now)
    for event in events:
        apply(state, event)
    return events


def build(commands: list[Command], now: datetime = NOW) -> State:
    state = State()
    for command in commands:
        run(state, command, now)
    return state


@pytest.fixture
def live_demo() -> State:
    """The demo dialogue, live, with two thirds of its questions approved."""
    return build(demo_commands(NOW, live=True))


@pytest.fixture
def intake_demo() -> State:
    """The demo dialogue in intake, deadline a day after NOW."""
    return build(demo_commands(NOW, live=False))
