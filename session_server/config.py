"""All configuration in one place, from the environment (or a ``.env`` file).

Secrets are :class:`starlette.datastructures.Secret` so they never show in a
log or a traceback. The event log is chosen by URL (``SESSION_STORE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import Secret

from session_server.core.model import Limits

__all__ = ["Settings", "load_settings"]


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
    )
    return Settings(
        store_url=config("SESSION_STORE", default="sqlite:///data/session.db"),
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
        trusted_origins=tuple(
            o.strip().rstrip("/")
            for o in config("TRUSTED_ORIGINS", default="").split(",")
            if o.strip()
        ),
    )
