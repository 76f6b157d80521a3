"""Building the web app on the demo dialogue for TestClient tests."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.datastructures import Secret

from session_server.config import Settings, load_settings
from session_server.core import commands as c
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.base import EventLog
from session_server.store.memory import MemoryEventLog
from session_server.web.app import create_app

SECRET = "test-secret-key-0123456789abcdef"

LINKS: dict[str, tuple[Role, str | None, str | None]] = {
    "moderator01": (Role.MODERATOR, None, None),
    "secretary01": (Role.SECRETARY, None, None),
    "display0001": (Role.DISPLAY, "tinh", None),
    "opchaudoc01": (Role.BRIDGE_OPERATOR, "chau-doc", None),
    "optriton001": (Role.BRIDGE_OPERATOR, "tri-ton", None),
    "speaker0001": (Role.SPEAKER, None, "ldtbxh"),
    "phchaudoc01": (Role.ATTENDEE, "chau-doc", None),
    "phtriton001": (Role.ATTENDEE, "tri-ton", None),
}


def settings(**changes: object) -> Settings:
    base = dataclasses.replace(
        load_settings(None),
        organiser_password=Secret("organiser-pw"),
        media=False,
        public_url="http://testserver",
    )  # tests of media turn it on
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def seed(log: EventLog) -> None:
    """The demo dialogue and the role links of :data:`LINKS`, into ``log``."""
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    organiser = Actor(Role.ORGANISER)
    for link_id, (role, bridge, speaker) in LINKS.items():
        await session.execute(c.IssueLink(organiser, link_id, role, bridge, speaker), now)


def seeded_log() -> MemoryEventLog:
    log = MemoryEventLog()
    asyncio.run(seed(log))
    return log


def build_app(**changes: object) -> Starlette:
    return create_app(settings(**changes), seeded_log(), SECRET)


def token(app: Starlette, link_id: str) -> str:
    token: str = app.state.registry.access.link_token(DEMO_DIALOGUE_ID, link_id)
    return token
