"""On air: the day's video. The recorder says when it started, so the
report (a pure function of the log) can place each question in it."""

from __future__ import annotations

import re
from datetime import datetime

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders.registry import Decider
from session_server.core.errors import InvalidInput
from session_server.core.model import Role, State

__all__ = ["ONAIR"]

ONAIR = Decider("onair", {c.StartProgrammeRecording: frozenset({Role.RECORDER})})
rule, fold = ONAIR.rule, ONAIR.fold

_FILE = re.compile(r"[A-Za-z0-9_-]{1,64}\.mp4")


@rule(c.StartProgrammeRecording)
def _started(state: State, cmd: c.StartProgrammeRecording, now: datetime) -> list[e.Event]:
    """Allowed in every phase (the server may start before the day opens)."""
    if not _FILE.fullmatch(cmd.file):
        raise InvalidInput("input.bad_value", field="file")
    if cmd.started_at.tzinfo is None:
        raise InvalidInput("input.bad_value", field="started_at")
    return [e.ProgrammeRecordingStarted(at=now, started_at=cmd.started_at, file=cmd.file)]


@fold(e.ProgrammeRecordingStarted)
def _recording_started(state: State, ev: e.ProgrammeRecordingStarted) -> None:
    state.programme_started_at = ev.started_at
    state.programme_file = ev.file
