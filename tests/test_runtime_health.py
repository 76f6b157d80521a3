"""The log's health, the same for every store: an append that fails reports
it down, one that succeeds reports it up, a probe notices recovery while
nobody sends a command, and every screen's status bar shows it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from session_server.core import commands as c
from session_server.core.errors import Unavailable
from session_server.core.events import Event
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.runtime.health import PROBE_SECONDS, LogHealth
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.store.sqlite import SQLiteEventLog
from session_server.web.app import create_app
from tests.conftest import MODERATOR, NOW, ORGANISER
from tests.test_store_contract import fill_disk, writer_pragma
from tests.webapp import SECRET, seed, settings, token


class BrokenLog(MemoryEventLog):
    """A log whose appends and probes fail while ``broken``."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.probes = 0

    async def append(self, dialogue_id: str, events: Sequence[Event], expected_seq: int) -> int:
        if self.broken:
            raise Unavailable("log.unavailable")
        return await super().append(dialogue_id, events, expected_seq)

    async def probe(self) -> None:
        self.probes += 1
        if self.broken:
            raise Unavailable("log.unavailable")


async def wait_for(predicate: object, timeout: float = 5.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


async def test_appends_report_the_log_down_and_up() -> None:
    log = BrokenLog()
    health = LogHealth(log, probe_seconds=60)
    heard: list[bool] = []
    health.listeners.append(heard.append)
    session = DialogueSession(log, DEMO_DIALOGUE_ID, health=health)
    await session.load()
    await session.execute(c.CreateDialogue(ORGANISER, "Đối thoại"), NOW)
    assert heard == [] and health.ok
    log.broken = True
    for _ in range(2):
        with pytest.raises(Unavailable):
            await session.execute(c.SetPublicList(MODERATOR, True), NOW)
    assert heard == [False] and not health.ok  # said once
    log.broken = False
    await session.execute(c.SetPublicList(MODERATOR, True), NOW)
    assert heard == [False, True] and health.ok
    await health.stop()


async def test_a_probe_notices_recovery_while_nobody_sends_a_command() -> None:
    log = BrokenLog()
    health = LogHealth(log, probe_seconds=0.05)
    heard: list[bool] = []
    health.listeners.append(heard.append)
    log.broken = True
    health.report_write(False)
    await wait_for(lambda: log.probes >= 3)
    assert heard == [False]
    log.broken = False
    await wait_for(lambda: heard == [False, True])
    probes = log.probes
    await asyncio.sleep(0.2)
    assert log.probes == probes, "probing goes on only while the log is down"
    await health.stop()


async def test_the_tailer_link_and_the_writes_both_count() -> None:
    health = LogHealth(MemoryEventLog(), probe_seconds=60)
    heard: list[bool] = []
    health.listeners.append(heard.append)
    health.report_link(False)
    health.report_write(False)
    health.report_link(True)  # following again, but still not writable
    assert heard == [False] and not health.ok
    health.report_write(True)
    assert heard == [False, True]
    await health.stop()


def test_a_full_sqlite_disk_shows_on_the_status_bar_and_clears_by_itself(
    tmp_path: Path,
) -> None:
    """SQLite has no tailer: the failed append itself reports the log down,
    and the probe reports it up once the disk has space again, with no
    command sent meanwhile."""
    log = SQLiteEventLog(tmp_path / "events.db")
    asyncio.run(seed(log))
    app = create_app(settings(rate_bridge="100000/1"), log, SECRET)
    operator = {"Authorization": f"Bearer {token(app, 'opchaudoc01')}"}
    moderator_page = f"/s/{token(app, 'moderator01')}"
    with TestClient(app) as client:
        hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
        assert hub.store_ok and 'class="store-down"' not in client.get(moderator_page).text
        fill_disk(log)
        for n in range(50):
            answer = client.post(
                "/api/v1/questions",
                headers=operator,
                json={
                    "text": f"Câu hỏi dài số {n}: " + "x" * 900,
                    "idempotency_key": f"k-full-{n:06d}",
                },
            )
            if answer.status_code != 201:
                break
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "log.unavailable"
        assert not hub.store_ok
        assert 'class="store-down"' in client.get(moderator_page).text
        time.sleep(PROBE_SECONDS + 0.5)  # probed at least once: still full
        assert not hub.store_ok
        writer_pragma(log, "PRAGMA max_page_count = 1000000")  # space is back
        deadline = time.monotonic() + 3 * PROBE_SECONDS
        while not hub.store_ok:
            assert time.monotonic() < deadline, "the log never came back by itself"
            time.sleep(0.05)
        assert 'class="store-down"' not in client.get(moderator_page).text
        again = client.post(
            "/api/v1/questions",
            headers=operator,
            json={"text": "Câu hỏi sau khi có chỗ?", "idempotency_key": "k-full-after-1"},
        )
        assert again.status_code == 201, again.text
