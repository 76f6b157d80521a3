"""The programme on the public pages: its live HLS stream, the day's video
and its chapters, served from what the programme's encoder writes
(``RECORDINGS_DIR/<dialogue>/``), and :class:`OnAir`, what a public page's
player (``templates/_live_player.html``) shows.

- ``/r/{dialogue}/live/{name}``: the playlist ``index.m3u8`` and its
  segments; a name is one file of ``live/`` (:data:`LIVE_NAME`), nothing
  else. How long each is cached: ``web/middleware.py``, ``PUBLIC_CACHE``.
- ``/r/{dialogue}/video.mp4``: the day's fragmented MP4 (growing while the
  dialogue is live), with byte ranges so a player can seek.
- ``/r/{dialogue}/chapters.vtt``: its chapters (WebVTT), one a question.

Like the report, only a live or closed dialogue's; anything else is a
bilingual 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from session_server.core.errors import NotFound
from session_server.core.model import Phase
from session_server.media.manager import recording_path
from session_server.web.live.hub import Hub
from session_server.web.registry import Registry

__all__ = [
    "CHAPTERS",
    "LIVE_DIR",
    "LIVE_NAME",
    "PLAYLIST",
    "PUBLIC_PHASES",
    "VIDEO",
    "OnAir",
    "chapters_file",
    "live_file",
    "on_air",
    "video_file",
]

PUBLIC_PHASES = frozenset({Phase.LIVE, Phase.CLOSED})
LIVE_DIR = "live"
PLAYLIST = "index.m3u8"
VIDEO = "programme.mp4"
CHAPTERS = "programme.vtt"
LIVE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}\.(m3u8|ts|m4s|mp4)$")
"""A file of the live stream: one name, no folder, no leading dot."""
LIVE_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
}


@dataclass(frozen=True)
class OnAir:
    """What a public page's player shows: the live stream while the
    dialogue is live and its playlist exists, else the day's video once
    the dialogue is closed and the file exists, else nothing."""

    dialogue_id: str
    live: bool
    recording: bool
    chapters: bool

    @property
    def playlist_url(self) -> str:
        return f"/r/{self.dialogue_id}/{LIVE_DIR}/{PLAYLIST}"

    @property
    def video_url(self) -> str:
        return f"/r/{self.dialogue_id}/video.mp4"

    @property
    def chapters_url(self) -> str:
        return f"/r/{self.dialogue_id}/chapters.vtt"


def _folder(registry: Registry, hub: Hub) -> Path:
    return recording_path(registry.settings.recordings_dir, hub.dialogue_id, "")


def on_air(registry: Registry, hub: Hub) -> OnAir:
    """The player of ``hub``'s dialogue on a public page, now."""
    phase = hub.session.state.dialogue.phase
    folder = _folder(registry, hub)
    live = phase is Phase.LIVE and (folder / LIVE_DIR / PLAYLIST).is_file()
    recording = phase is Phase.CLOSED and (folder / VIDEO).is_file()
    return OnAir(
        dialogue_id=hub.dialogue_id,
        live=live,
        recording=recording,
        chapters=recording and (folder / CHAPTERS).is_file(),
    )


async def _public_hub(request: Request) -> tuple[Registry, Hub]:
    registry: Registry = request.app.state.registry
    hub = await registry.get(request.path_params["dialogue_id"])
    state = hub.session.state
    if not state.created or state.dialogue.phase not in PUBLIC_PHASES:
        raise NotFound("dialogue.not_found")
    return registry, hub


def _existing(folder: Path, name: str) -> Path:
    """``folder/name`` when it is a file inside ``folder``, else a 404."""
    path = folder / name
    try:
        inside = path.resolve(strict=True).parent == folder.resolve(strict=True)
    except OSError:  # missing, or a loop
        inside = False
    if not inside or not path.is_file():
        raise NotFound("broadcast.not_found")
    return path


async def live_file(request: Request) -> Response:
    """A file of the live HLS stream."""
    name = request.path_params["name"]
    match = LIVE_NAME.fullmatch(name)
    if match is None:
        raise NotFound("broadcast.not_found")
    registry, hub = await _public_hub(request)
    path = _existing(_folder(registry, hub) / LIVE_DIR, name)
    return FileResponse(path, media_type=LIVE_TYPES[match.group(1)])


async def video_file(request: Request) -> Response:
    """The day's video (byte ranges: FileResponse answers them)."""
    registry, hub = await _public_hub(request)
    return FileResponse(_existing(_folder(registry, hub), VIDEO), media_type="video/mp4")


async def chapters_file(request: Request) -> Response:
    """The day's video's chapters."""
    registry, hub = await _public_hub(request)
    return FileResponse(_existing(_folder(registry, hub), CHAPTERS), media_type="text/vtt")
