"""``serve --demo``: the demo dialogue with what comes before the day, and
the links to every screen printed (``cli._prepare``), the same on a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.datastructures import Secret

from session_server import cli
from session_server.core.model import Role
from session_server.demo import (
    DEMO_BRIDGES,
    DEMO_DELEGATES,
    DEMO_DIALOGUE_ID,
    DEMO_GUESTS,
    DEMO_UNITS,
)
from session_server.runtime.session import DialogueSession
from session_server.store.sqlite import SQLiteEventLog
from tests.webapp import SECRET, settings


def test_the_demo_has_the_weeks_before_and_prints_every_screen_once(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'demo.db'}"
    config = settings(secret_key=Secret(SECRET))
    first = asyncio.run(cli._prepare(config, store, demo=True))
    again = asyncio.run(cli._prepare(config, store, demo=True))
    assert first == again, "a restart adds nothing"
    roles = [label.partition(" · ")[0] for label, _path in first]
    paths = dict(first)
    assert roles.count("check-in") == len(DEMO_BRIDGES)
    assert roles.count("unit registrar") == len(DEMO_UNITS)
    assert roles.count("suggested-answer drafter") == 1
    assert roles.count("broadcast overlay") == 1
    assert paths[f"published plan · {DEMO_DIALOGUE_ID}"] == f"/p/{DEMO_DIALOGUE_ID}"
    assert paths[f"public report · {DEMO_DIALOGUE_ID}"] == f"/r/{DEMO_DIALOGUE_ID}"
    prefixes = {label.partition(" · ")[0]: path[:3] for label, path in first}
    assert prefixes["unit registrar"] == "/u/" and prefixes["suggested-answer drafter"] == "/g/"
    assert prefixes["check-in"] == "/s/"
    overlay = next(path for label, path in first if label.startswith("broadcast overlay"))
    assert overlay.startswith("/s/") and overlay.endswith("/overlay")

    async def state() -> DialogueSession:
        log = SQLiteEventLog(str(tmp_path / "demo.db"))
        session = DialogueSession(log, DEMO_DIALOGUE_ID, config.limits)
        await session.load()
        await log.close()
        return session

    seeded = asyncio.run(state()).state
    roster = seeded.roster
    assert len(roster.units) == len(DEMO_UNITS)
    people = roster.delegates.values()
    assert sorted(d.name for d in people) == sorted(
        [name for _unit, name, _position in DEMO_DELEGATES] + [g[0] for g in DEMO_GUESTS]
    )
    assert all(len(d.delegate_id) >= 16 for d in people), "ids a QR code can't be guessed from"
    assert seeded.preparation.tasks and seeded.preparation.plan_published_at is not None
    assert sum(1 for link in seeded.links.values() if link.role is Role.DRAFTER) == 1
