"""The process's dialogues: one hub each, loaded from the log on demand."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from session_server.config import Settings
from session_server.core.errors import NotFound
from session_server.media.broadcast import OnAirSettings
from session_server.media.ice import restrict_host_addresses
from session_server.media.manager import MediaManager
from session_server.runtime.health import LogHealth
from session_server.runtime.session import DialogueSession
from session_server.runtime.tail import Followable, LogTailer
from session_server.store.base import EventLog, check_dialogue_id
from session_server.web.access import Access, OrganiserSessions
from session_server.web.limits import Limits
from session_server.web.live.hub import MEDIA, Hub
from session_server.web.ratelimit import Rate, RateLimiter
from session_server.web.render import Renderer

__all__ = ["Registry"]

logger = logging.getLogger(__name__)


class Registry:
    def __init__(self, settings: Settings, log: EventLog, secret: str) -> None:
        self.settings = settings
        self.log = log
        self.access = Access(secret)
        self.sessions = OrganiserSessions(self.access, log, lambda: self.wall_clock())
        """The organiser's signed-in sessions, kept in the store."""
        self.renderer = Renderer(settings.limits)
        self.hubs: dict[str, Hub] = {}
        self.known: set[str] = set()
        self._lock = asyncio.Lock()
        self.limits = Limits(settings)
        """What phones and consoles may send, layer by layer (``web/limits.py``)."""
        self.socket_limit = RateLimiter(Rate.parse(settings.rate_socket))
        self.tailer: LogTailer | None = None
        """Follows a log that other processes append to (Redis); None for SQLite."""
        self.store_ok = True
        self.health = LogHealth(log)
        """Whether the log can be used, from every session's appends, a probe
        while down, and the tailer's link; every hub is told."""
        self.health.listeners.append(self._store_link)
        self._refreshed_at = -1e9
        if settings.media and settings.media_addresses:
            restrict_host_addresses(settings.media_addresses)

    async def start(self) -> None:
        self.known = set(await self.log.dialogues())
        for dialogue_id in sorted(self.known):
            await self.get(dialogue_id)
        if isinstance(self.log, Followable):
            self.tailer = LogTailer(self.log, self._sessions, self.health.report_link)
            self.tailer.start()

    def _sessions(self) -> dict[str, DialogueSession]:
        return {d: hub.session for d, hub in self.hubs.items()}

    def _store_link(self, ok: bool) -> None:
        self.store_ok = ok
        for hub in self.hubs.values():
            hub.set_store_ok(ok)

    async def stop(self) -> None:
        if self.tailer is not None:
            await self.tailer.stop()
            self.tailer = None
        await self.health.stop()
        for hub in list(self.hubs.values()):
            if hub.media is not None:
                await hub.media.stop()
            await hub.stop()
        self.hubs.clear()

    async def get(self, dialogue_id: str) -> Hub:
        """The hub of an existing dialogue; unknown ids are refused without
        touching the log (so probing ids cannot create logs)."""
        hub = self.hubs.get(dialogue_id)
        if hub is not None:
            return hub
        check_dialogue_id(dialogue_id)
        if dialogue_id not in self.known and self.tailer is not None:
            await self._refresh_known()  # another process may have made it
        if dialogue_id not in self.known:
            raise NotFound("dialogue.not_found")
        return await self.open(dialogue_id)

    async def open(self, dialogue_id: str) -> Hub:
        """Load (or create, for the organiser) a dialogue's hub."""
        async with self._lock:
            hub = self.hubs.get(dialogue_id)
            if hub is None:
                session = DialogueSession(
                    self.log, dialogue_id, self.settings.limits, health=self.health
                )
                await session.load()
                hub = Hub(session, self.renderer, self.settings.socket_silence)
                hub.store_ok = self.store_ok
                hub.traffic = self.limits.traffic_of(dialogue_id)
                if self.settings.media:
                    hub.media = self._media(hub)
                hub.start()
                self.hubs[dialogue_id] = hub
                self.known.add(dialogue_id)
                logger.info("dialogue %s loaded at seq %d", dialogue_id, session.seq)
            return hub

    def _media(self, hub: Hub) -> MediaManager:
        session = hub.session
        media = MediaManager(
            session.dialogue_id,
            ice_servers=self.settings.ice_servers,
            recordings_dir=self.settings.recordings_dir,
            video_bitrate=self.settings.video_bitrate,
            execute=hub.execute,
            changed=lambda: hub.refresh(*MEDIA),
            onair=OnAirSettings(
                size=self.settings.onair,
                video_bitrate=self.settings.onair_bitrate,
                keys_dir=self.settings.stream_keys_dir,
            )
            if self.settings.onair
            else None,
        )
        session.listeners.append(
            lambda records, rebuilt: media.on_records(records, rebuilt, session.state)
        )
        media.start(session.state)
        return media

    async def _refresh_known(self) -> None:
        """Re-read the ids of the shared log, at most once a second (so
        probing unknown ids cannot hammer the log)."""
        now = self.clock()
        if now - self._refreshed_at < 1.0:
            return
        self._refreshed_at = now
        self.known |= set(await self.log.dialogues())

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    @staticmethod
    def now() -> datetime:
        """The time commands are decided at (tests set their own)."""
        return datetime.now(UTC)

    @staticmethod
    def wall_clock() -> float:
        """Unix time, for what outlives the process (the organiser's sessions)."""
        return time.time()
