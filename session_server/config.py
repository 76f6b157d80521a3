"""All configuration in one place, from the environment (or a ``.env`` file).

Secrets are :class:`starlette.datastructures.Secret` so they never show in a
log or a traceback. The event log is chosen by URL (``SESSION_STORE``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from session_server.core.model import Limits

__all__ = ["IceServer", "Settings", "load_settings", "parse_ice_servers"]


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server, as the browser's ``RTCIceServer``."""

    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"urls": list(self.urls)}
        if self.username:
            out["username"] = self.username
            out["credential"] = self.credential
        return out


def parse_ice_servers(text: str) -> tuple[IceServer, ...]:
    """``ICE_SERVERS``: a JSON list of ``{"urls": …, "username": …,
    "credential": …}`` (the browser's format), or a comma-separated list of
    ``stun:`` / ``turn:`` URLs where a TURN URL may carry ``user:pass@``."""
    text = text.strip()
    if not text:
        return ()
    servers: list[IceServer] = []
    if text.startswith("["):
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("ICE_SERVERS: a JSON list is expected")
        for item in items:
            if not isinstance(item, dict) or "urls" not in item:
                raise ValueError("ICE_SERVERS: every entry needs 'urls'")
            urls = item["urls"]
            urls = (urls,) if isinstance(urls, str) else tuple(str(u) for u in urls)
            servers.append(
                IceServer(urls, str(item.get("username", "")), str(item.get("credential", "")))
            )
    else:
        for raw in text.split(","):
            url = raw.strip()
            if not url:
                continue
            scheme, _, rest = url.partition(":")
            username = credential = ""
            if "@" in rest:
                auth, _, rest = rest.rpartition("@")
                username, _, credential = auth.partition(":")
            servers.append(IceServer((f"{scheme}:{rest}",), username, credential))
    for server in servers:
        for url in server.urls:
            if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
                raise ValueError(f"ICE_SERVERS: not a STUN or TURN URL: {url!r}")
            if url.startswith("turn") and not server.username:
                raise ValueError(f"ICE_SERVERS: a TURN server needs a username: {url!r}")
    return tuple(servers)


@dataclass(frozen=True)
class Settings:
    store_url: str
    secret_key: Secret
    organiser_password: Secret
    host: str
    port: int
    limits: Limits
    log_level: str
    public_url: str
    """Base URL printed in links and QR codes (what phones can reach)."""
    rate_device: str
    rate_bridge: str
    rate_socket: str
    trusted_origins: tuple[str, ...]
    """Extra origins allowed to open WebSockets and post forms (behind a proxy)."""
    media: bool = True
    """Whether this server relays the bridge points' cameras over WebRTC."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers for WebRTC; none by default (an offline LAN)."""
    media_addresses: tuple[str, ...] = ()
    """Local addresses the media server offers (default: every non-loopback one)."""
    recordings_dir: str = "data/recordings"
    video_bitrate: int = 600_000
    """Bits per second of the one encoded picture sent to every display."""
    https: bool = False
    """Serve HTTPS (``HTTPS=1``): with ``tls_cert``/``tls_key`` if given, else
    with a certificate made for the LAN (``session_server/tls.py``)."""
    tls_cert: str = ""
    """A PEM certificate (chain) to serve HTTPS with (``TLS_CERT``); implies HTTPS."""
    tls_key: str = ""
    """The PEM private key of ``tls_cert`` (``TLS_KEY``)."""
    rate_dialogue: str = "600/60"
    """Phone questions one dialogue takes: what its moderator can screen."""
    rate_agency: str = "3/60"
    """Written answers saved through one agency's link (``RATE_AGENCY``)."""
    rate_drafter: str = "20/60"
    """Suggested answers saved through one drafter's link (``RATE_DRAFTER``)."""
    limit_scale: float = 1.0
    """Multiplies the limits sized by a hall's capacity (web/limits.py)."""
    frame_ancestors: tuple[str, ...] = ()
    """Origins that may frame a hall display's page (a broadcast crew's
    tools); none by default."""
    tls_ca_cert: str = ""
    """The generated LAN CA's certificate, served at ``/ca.crt`` (set by the CLI)."""
    header_timeout: float = 10.0
    """Seconds a connection has to deliver a whole request head (from its
    first byte on a kept-alive one), and the longest pause in a request
    body, before it is closed (web/connections.py)."""
    keepalive_timeout: int = 5
    """Seconds an idle kept-alive connection stays open."""
    connections_per_address: int = 1000
    """Connections one client address may hold at once (a hall's phones
    share one); a trusted proxy's (``TRUSTED_PROXIES``) are not capped."""
    fd_reserve: int = 100
    """File descriptors kept free of client connections (the log,
    recordings, media, and room for a new client)."""
    body_max_bytes: int = 256 * 1024
    phone_reserve: int = 200
    """Connections kept for everything but phones when the process nears
    its file descriptor budget (``PHONE_RESERVE``): the moderator, the
    displays, the organiser and ``/healthz`` still connect; a phone is told
    to wait and retries."""
    socket_silence: float = 90.0
    """Seconds a screen's socket may send nothing (its page pings every 10 s;
    a phone's page in the background about once a minute) before it is
    closed as gone (``SOCKET_SILENCE``; the only heartbeat: uvicorn's own
    WebSocket pings are off)."""
    """Largest request body but a question import's (web/middleware.py)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks) of reverse proxies whose ``X-Forwarded-For``
    and ``X-Forwarded-Proto`` are believed (``TRUSTED_PROXIES``); none by
    default, so a client cannot name its own address."""
    organiser_password_file: str = ""
    """Where the made password is kept (set by the CLI when
    ``ORGANISER_PASSWORD`` is not given): re-read at each sign-in, so a
    rotation takes effect in a running server."""
    onair: str = ""
    """The size of the programme on air (``ONAIR``: ``640x360``, the default,
    or ``1280x720``; ``0`` or ``off``: no livestream, HLS or day's video)."""
    onair_bitrate: int = 1_000_000
    """Bits per second of the H.264 picture on air (``ONAIR_BITRATE``)."""
    stream_keys_dir: str = "data/stream-keys"
    """Where the livestream destinations and their stream keys are kept
    (0700, files 0600; ``STREAM_KEYS_DIR``): beside the database by default."""


def _beside_store(store_url: str, name: str) -> str:
    if store_url.startswith("sqlite:///"):
        database = Path(store_url.removeprefix("sqlite:///").split("?", 1)[0])
        return str(database.parent / name)
    return str(Path("data") / name)


def load_settings(env_file: str | None = ".env") -> Settings:
    config = Config(env_file if env_file and Path(env_file).is_file() else None)
    limits = Limits(
        question_max_chars=config("QUESTION_MAX_CHARS", cast=int, default=1000),
        name_max_chars=config("NAME_MAX_CHARS", cast=int, default=80),
        unit_max_chars=config("UNIT_MAX_CHARS", cast=int, default=120),
        reason_max_chars=config("REASON_MAX_CHARS", cast=int, default=500),
        summary_max_chars=config("SUMMARY_MAX_CHARS", cast=int, default=8000),
        timer_max_seconds=config("TIMER_MAX_SECONDS", cast=int, default=3600),
        max_questions=config("MAX_QUESTIONS", cast=int, default=100_000),
        follow_up_days=config("FOLLOW_UP_DAYS", cast=int, default=30),
        agency_grace_days=config("AGENCY_GRACE_DAYS", cast=int, default=14),
        answers_need_acceptance=config("AGENCY_ANSWERS_NEED_ACCEPTANCE", cast=bool, default=True),
    )
    store_url = config("SESSION_STORE", default="sqlite:///data/session.db")
    onair = config("ONAIR", default="640x360").strip().lower()
    if onair in ("0", "off", "false", "no"):
        onair = ""
    elif onair not in ("640x360", "1280x720"):
        raise ValueError("ONAIR: 640x360, 1280x720 or off")
    return Settings(
        store_url=store_url,
        secret_key=Secret(config("SECRET_KEY", default="")),
        organiser_password=Secret(config("ORGANISER_PASSWORD", default="")),
        host=config("HOST", default="127.0.0.1"),
        port=config("PORT", cast=int, default=8000),
        limits=limits,
        log_level=config("LOG_LEVEL", default="INFO"),
        public_url=config("PUBLIC_URL", default="").rstrip("/"),
        rate_device=config("RATE_DEVICE", default="5/60"),
        rate_bridge=config("RATE_BRIDGE", default="60/60"),
        rate_socket=config("RATE_SOCKET", default="30/10"),
        rate_dialogue=config("RATE_DIALOGUE", default="600/60"),
        rate_agency=config("RATE_AGENCY", default="3/60"),
        rate_drafter=config("RATE_DRAFTER", default="20/60"),
        limit_scale=config("LIMIT_SCALE", cast=float, default=1.0),
        trusted_origins=tuple(
            o.strip().rstrip("/")
            for o in config("TRUSTED_ORIGINS", default="").split(",")
            if o.strip()
        ),
        media=config("MEDIA", cast=bool, default=True),
        ice_servers=parse_ice_servers(config("ICE_SERVERS", default="")),
        media_addresses=tuple(
            a.strip() for a in config("MEDIA_ADDRESSES", default="").split(",") if a.strip()
        ),
        recordings_dir=config("RECORDINGS_DIR", default="data/recordings"),
        video_bitrate=config("VIDEO_BITRATE", cast=int, default=600_000),
        https=config("HTTPS", cast=bool, default=False),
        tls_cert=config("TLS_CERT", default=""),
        tls_key=config("TLS_KEY", default=""),
        frame_ancestors=tuple(
            o.strip().rstrip("/")
            for o in config("FRAME_ANCESTORS", default="").split(",")
            if o.strip()
        ),
        header_timeout=config("HEADER_TIMEOUT", cast=float, default=10.0),
        keepalive_timeout=config("KEEPALIVE_TIMEOUT", cast=int, default=5),
        connections_per_address=config("CONNECTIONS_PER_ADDRESS", cast=int, default=1000),
        fd_reserve=config("FD_RESERVE", cast=int, default=100),
        body_max_bytes=config("BODY_MAX_BYTES", cast=int, default=256 * 1024),
        socket_silence=config("SOCKET_SILENCE", cast=float, default=90.0),
        phone_reserve=config("PHONE_RESERVE", cast=int, default=200),
        trusted_proxies=tuple(
            a.strip() for a in config("TRUSTED_PROXIES", default="").split(",") if a.strip()
        ),
        onair=onair,
        onair_bitrate=config("ONAIR_BITRATE", cast=int, default=1_000_000),
        stream_keys_dir=config("STREAM_KEYS_DIR", default=_beside_store(store_url, "stream-keys")),
    )
