"""The process's dialogues: one hub each, loaded from the log on demand."""

from __future__ import annotations

import asyncio
import logging
import time

from session_server.config import Settings
from session_server.core.errors import NotFound
from session_server.runtime.session import DialogueSession
from session_server.store.base import EventLog, check_dialogue_id
from session_server.web.access import Access
from session_server.web.hub import Hub
from session_server.web.ratelimit import Rate, RateLimiter
from session_server.web.render import Renderer

__all__ = ["Registry"]

logger = logging.getLogger(__name__)


class Registry:
    def __init__(self, settings: Settings, log: EventLog, secret: str) -> None:
        self.settings = settings
        self.log = log
        self.access = Access(secret)
        self.renderer = Renderer()
        self.hubs: dict[str, Hub] = {}
        self.known: set[str] = set()
        self._lock = asyncio.Lock()
        self.device_limit = RateLimiter(Rate.parse(settings.rate_device))
        self.bridge_limit = RateLimiter(Rate.parse(settings.rate_bridge))
        self.socket_limit = RateLimiter(Rate.parse(settings.rate_socket))

    async def start(self) -> None:
        self.known = set(await self.log.dialogues())
        for dialogue_id in sorted(self.known):
            await self.get(dialogue_id)

    async def stop(self) -> None:
        for hub in list(self.hubs.values()):
            await hub.stop()
        self.hubs.clear()

    async def get(self, dialogue_id: str) -> Hub:
        """The hub of an existing dialogue; unknown ids are refused without
        touching the log (so probing ids cannot create logs)."""
        hub = self.hubs.get(dialogue_id)
        if hub is not None:
            return hub
        check_dialogue_id(dialogue_id)
        if dialogue_id not in self.known:
            raise NotFound("dialogue.not_found")
        return await self.open(dialogue_id)

    async def open(self, dialogue_id: str) -> Hub:
        """Load (or create, for the organiser) a dialogue's hub."""
        async with self._lock:
            hub = self.hubs.get(dialogue_id)
            if hub is None:
                session = DialogueSession(self.log, dialogue_id, self.settings.limits)
                await session.load()
                hub = Hub(session, self.renderer)
                hub.start()
                self.hubs[dialogue_id] = hub
                self.known.add(dialogue_id)
                logger.info("dialogue %s loaded at seq %d", dialogue_id, session.seq)
            return hub

    @staticmethod
    def clock() -> float:
        return time.monotonic()
