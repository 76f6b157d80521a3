"""A dialogue's livestream destinations: where the programme goes out over
RTMP or RTMPS (Facebook Live, YouTube, a portal's media server), each a
server URL and a stream key.

A stream key is a secret: whoever has it broadcasts on that channel. It is
kept like the server's other secrets (``secret.key``, the organiser's
password): in a file readable by its owner only (0600, in a folder that is
0700), written atomically, never in the event log, so never in an export;
pages show its masked form only (:meth:`Destination.masked_key`), and
nothing logs it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from session_server.core.errors import InvalidInput

__all__ = ["MAX_DESTINATIONS", "Destination", "DestinationStore", "check_destination"]

MAX_DESTINATIONS = 6
MAX_LABEL = 60
MAX_URL = 300
MAX_KEY = 300
_ID = re.compile(r"[0-9a-f]{8}")
_KEY = re.compile(r"[\x21-\x7e]+")
"""Printable ASCII without spaces (Facebook's keys carry ``?`` and ``&``)."""
_HOST = re.compile(r"[A-Za-z0-9.:-]{1,253}")


@dataclass(frozen=True)
class Destination:
    dest_id: str
    label: str
    url: str
    """The server's URL, e.g. ``rtmps://live-api-s.facebook.com:443/rtmp``."""
    key: str

    def target(self) -> str:
        """What the muxer opens: the URL and the key (secret: never shown)."""
        return f"{self.url.rstrip('/')}/{self.key}"

    def masked_key(self) -> str:
        """The key as a page may show it: its last four characters at most."""
        tail = self.key[-4:] if len(self.key) >= 12 else ""
        return "••••" + tail


def check_destination(label: str, url: str, key: str) -> tuple[str, str, str]:
    """The cleaned (label, url, key), or a refusal."""
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL:
        raise InvalidInput("onair.bad_label", limit=MAX_LABEL)
    url = url.strip()
    parts = urlsplit(url) if len(url) <= MAX_URL and url.isascii() else None
    if (
        parts is None
        or parts.scheme not in ("rtmp", "rtmps")
        or not _HOST.fullmatch(parts.hostname or "")
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or any(ch.isspace() or ord(ch) < 0x21 for ch in url)
    ):
        raise InvalidInput("onair.bad_url")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput("onair.bad_url") from None
    if port == 0:
        raise InvalidInput("onair.bad_url")
    key = key.strip()
    if not key or len(key) > MAX_KEY or not _KEY.fullmatch(key):
        raise InvalidInput("onair.bad_key")
    return label, url, key


class DestinationStore:
    """One dialogue's destinations, in ``<folder>/<dialogue_id>.json`` (0600)."""

    def __init__(self, folder: str | Path, dialogue_id: str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / f"{dialogue_id}.json"
        self._lock = threading.Lock()

    def load(self) -> list[Destination]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [
            Destination(str(d["dest_id"]), str(d["label"]), str(d["url"]), str(d["key"]))
            for d in raw
            if isinstance(d, dict) and _ID.fullmatch(str(d.get("dest_id", "")))
        ]

    def get(self, dest_id: str) -> Destination | None:
        return next((d for d in self.load() if d.dest_id == dest_id), None)

    def add(self, label: str, url: str, key: str) -> Destination:
        label, url, key = check_destination(label, url, key)
        with self._lock:
            current = self.load()
            if len(current) >= MAX_DESTINATIONS:
                raise InvalidInput("onair.too_many", limit=MAX_DESTINATIONS)
            destination = Destination(secrets.token_hex(4), label, url, key)
            self._save([*current, destination])
        return destination

    def remove(self, dest_id: str) -> bool:
        with self._lock:
            current = self.load()
            kept = [d for d in current if d.dest_id != dest_id]
            if len(kept) == len(current):
                return False
            self._save(kept)
        return True

    def _save(self, destinations: list[Destination]) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump([asdict(d) for d in destinations], handle)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.chmod(0o600)
            temporary.replace(self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
