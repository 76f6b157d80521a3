"""Text of the organiser's screens: key → (Vietnamese, English)."""

from __future__ import annotations

UI_ORGANISER: dict[str, tuple[str, str]] = {}
