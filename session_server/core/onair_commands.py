"""The on-air slice's command (``core/deciders/onair.py``), kept beside
``commands.py``, which re-exports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from session_server.core.commands import Command

__all__ = ["StartProgrammeRecording"]


@dataclass(frozen=True)
class StartProgrammeRecording(Command):
    """The recorder started the day's video (``file``): its timestamp zero
    is ``started_at``, so the report can place each question in it."""

    started_at: datetime
    file: str
