"""One dialogue on air while it is live: the programme's H.264/AAC outputs
(``media/onair.py``) started when the day goes live (or the server starts
on a live day) and ended when it closes; the chapters of the day's video
kept from the floor's events; the organiser's livestream destinations
(``media/destinations.py``) started and stopped.

When the outputs start, the recorder logs the video's timestamp zero
(``StartProgrammeRecording``): the chapters and the public report's links
are computed from the log against it (``core/chapters.py``). A video left by
an earlier run of the same day is kept beside, as ``programme-<time>.mp4``
(and its chapters as ``programme-<time>.vtt``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.chapters import (
    PROGRAMME_CHAPTERS,
    PROGRAMME_VIDEO,
    chapters,
    floor_segments,
)
from session_server.core.errors import IllegalTransition, NotFound
from session_server.core.model import Actor, Floor, Phase, Role, State
from session_server.media.destinations import Destination, DestinationStore
from session_server.media.onair import (
    DestinationStatus,
    OnAir,
    finish_recording,
    write_chapters,
)
from session_server.media.program import Program
from session_server.store.base import Record

__all__ = ["Broadcast", "OnAirSettings"]

logger = logging.getLogger(__name__)

RECORDER = Actor(Role.RECORDER)
_FLOOR_EVENTS = (e.FloorGiven, e.FloorQuestionSet, e.FloorReleased)


@dataclass(frozen=True)
class OnAirSettings:
    size: str = "640x360"
    video_bitrate: int = 1_000_000
    audio_bitrate: int = 128_000
    hls: bool = True
    record: bool = True
    keys_dir: str = "data/stream-keys"


class Broadcast:
    def __init__(
        self,
        dialogue_id: str,
        folder: Path,
        settings: OnAirSettings,
        execute: Callable[[c.Command], Any] | None = None,
    ) -> None:
        self.folder = folder
        self.settings = settings
        self.store = DestinationStore(settings.keys_dir, dialogue_id)
        self.onair: OnAir | None = None
        self._execute = execute
        self._program: Program | None = None
        self._started_at: datetime | None = None
        self._initial: Floor | None = None
        self._events: list[e.Event] = []
        self._floor_key: tuple[Any, ...] | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- the day -------------------------------------------------------------

    def follow(self, state: State, program: Program | None) -> None:
        """Start on a live day, end when it closes; a floor switch is a keyframe."""
        live = state.created and state.dialogue.phase is Phase.LIVE and program is not None
        if live and self.onair is None and self._stopping is None:
            assert program is not None
            self._start(state, program)
        elif not live and self.onair is not None:
            self._stopping = asyncio.get_running_loop().create_task(self._stop(state))
        onair = self.onair
        key = (state.floor.holder, state.floor.question_id, state.floor.since)
        if onair is not None and key != self._floor_key:
            self._floor_key = key
            onair.switched()

    def _start(self, state: State, program: Program) -> None:
        video = self.folder / PROGRAMME_VIDEO
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if video.exists():  # an earlier run's: kept, beside, with its chapters
                stamp = f"{datetime.fromtimestamp(video.stat().st_mtime, UTC):%Y%m%dT%H%M%S}"
                video.rename(video.with_name(f"programme-{stamp}.mp4"))
                marks = self.folder / PROGRAMME_CHAPTERS
                if marks.exists():
                    marks.rename(marks.with_name(f"programme-{stamp}.vtt"))
            onair = OnAir(
                self.folder,
                size=self.settings.size,
                video_bitrate=self.settings.video_bitrate,
                audio_bitrate=self.settings.audio_bitrate,
                hls=self.settings.hls,
                record=self.settings.record,
            )
        except (OSError, ValueError) as error:
            logger.error("cannot go on air: %s", error)
            return
        self.onair = onair
        self._program = program
        program.on_frame = onair.frame
        program.on_sound = onair.sound
        self._started_at = datetime.fromtimestamp(onair.started_at, UTC)
        self._initial = replace(state.floor)
        self._events = []
        self._floor_key = None
        if self._execute is not None and self.settings.record:
            command = c.StartProgrammeRecording(
                actor=RECORDER, started_at=self._started_at, file=PROGRAMME_VIDEO
            )
            self._spawn(self._log(command))
        self._write_chapters(state)

    async def _log(self, command: c.Command) -> None:
        assert self._execute is not None
        try:
            await self._execute(command)
        except Exception:
            logger.exception("the day's video started but its start was not logged")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_records(self, records: list[Record], state: State) -> None:
        if self.onair is None:
            return
        floor = [r.event for r in records if isinstance(r.event, _FLOOR_EVENTS)]
        if floor:
            self._events.extend(floor)
            self._write_chapters(state)

    def chapters(self, state: State, until: datetime | None = None) -> list[Any]:
        if self._started_at is None:
            return []
        segments = floor_segments(self._events, self._initial)
        return chapters(state, segments, self._started_at, until or datetime.now(UTC))

    def _write_chapters(self, state: State) -> None:
        if not self.settings.record:
            return
        try:
            write_chapters(self.folder, self.chapters(state))
        except OSError as error:
            logger.error("cannot write the chapters: %s", error)

    async def _stop(self, state: State | None) -> None:
        onair, self.onair = self.onair, None
        if onair is None:
            return
        if self._program is not None:
            self._program.on_frame = None
            self._program.on_sound = None
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, onair.stop)
        if state is not None and self.settings.record:
            marks = self.chapters(state)
            self._write_chapters(state)
            try:
                await loop.run_in_executor(None, finish_recording, self.folder, marks)
            except Exception as error:
                logger.error("the day's video is kept without its MP4 chapters: %s", error)
        self._stopping = None

    async def stop(self, state: State | None) -> None:
        if self._stopping is not None:
            await self._stopping
        await self._stop(state)
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    # --- destinations ---------------------------------------------------------

    def destinations(self) -> list[tuple[Destination, DestinationStatus]]:
        onair = self.onair
        return [
            (d, onair.status(d.dest_id) if onair is not None else DestinationStatus())
            for d in self.store.load()
        ]

    def start_destination(self, dest_id: str) -> None:
        destination = self.store.get(dest_id)
        if destination is None:
            raise NotFound("onair.unknown")
        if self.onair is None:
            raise IllegalTransition("onair.not_live")
        self.onair.start_destination(dest_id, destination.target())

    def stop_destination(self, dest_id: str) -> None:
        if self.onair is not None:
            self.onair.stop_destination(dest_id)

    def remove_destination(self, dest_id: str) -> None:
        self.stop_destination(dest_id)
        if not self.store.remove(dest_id):
            raise NotFound("onair.unknown")
