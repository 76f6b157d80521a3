"""The one catalogue of user-visible text: Vietnamese first, English second.

Entries live in several modules of this package by subject (errors, domain
terms, screens, organiser); lookups go through this module only.
``message(code, lang, **params)`` formats an error; parameters named
``field``, ``status``, ``to``, ``phase``, ``role`` and ``kind`` are themselves
translated, so an error reads "Câu hỏi quá dài" rather than "question too
long" in Vietnamese. ``UI`` holds the screens' text, read through each
screen's context. Standard library only: the core uses it too.
"""

from __future__ import annotations

from collections.abc import Mapping

from session_server.catalogue.attendance import ATTENDANCE_MESSAGES, ATTENDANCE_TERMS
from session_server.catalogue.messages import MESSAGES as BASE_MESSAGES
from session_server.catalogue.terms import TERMS as BASE_TERMS
from session_server.catalogue.ui import UI_SCREENS
from session_server.catalogue.ui_attendance import UI_ATTENDANCE
from session_server.catalogue.ui_onair import MESSAGES_ONAIR, UI_ONAIR
from session_server.catalogue.ui_organiser import UI_ORGANISER
from session_server.catalogue.ui_preparation import (
    MESSAGES_PREPARATION,
    TERMS_PREPARATION,
    UI_PREPARATION,
)
from session_server.catalogue.ui_record import UI_RECORD

__all__ = ["LANGUAGES", "MESSAGES", "TERMS", "UI", "message", "term"]

LANGUAGES = ("vi", "en")

_SCREEN_TEXTS = (UI_SCREENS, UI_ORGANISER, UI_RECORD, UI_ONAIR, UI_ATTENDANCE, UI_PREPARATION)
UI: dict[str, tuple[str, str]] = {key: pair for part in _SCREEN_TEXTS for key, pair in part.items()}
if len(UI) != sum(len(part) for part in _SCREEN_TEXTS):  # pragma: no cover
    raise RuntimeError("a screen text key is defined twice")

MESSAGES: dict[str, tuple[str, str]] = dict(BASE_MESSAGES)
TERMS: dict[str, tuple[str, str]] = dict(BASE_TERMS)
for _extra, _base in (
    (ATTENDANCE_MESSAGES, MESSAGES),
    (ATTENDANCE_TERMS, TERMS),
    (MESSAGES_PREPARATION, MESSAGES),
    (TERMS_PREPARATION, TERMS),
    (MESSAGES_ONAIR, MESSAGES),
):
    if _extra.keys() & _base.keys():  # pragma: no cover - a programming error
        raise RuntimeError(f"catalogue keys defined twice: {_extra.keys() & _base.keys()}")
    _base.update(_extra)


_TRANSLATED_PARAMS = frozenset({"field", "status", "to", "phase", "role", "kind"})


def term(key: str, lang: str = "vi") -> str:
    """A translated domain word (field, status, phase, role), or ``key``."""
    pair = TERMS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "vi" else pair[1]


def message(code: str, lang: str = "vi", /, **params: object) -> str:
    """The catalogue text for ``code`` in ``lang`` ('vi' or 'en')."""
    pair = MESSAGES.get(code)
    if pair is None:
        return code
    template = pair[0] if lang == "vi" else pair[1]
    values: Mapping[str, object] = {
        k: term(str(v), lang) if k in _TRANSLATED_PARAMS else v for k, v in params.items()
    }
    try:
        return template.format_map(dict(values))
    except (KeyError, IndexError, ValueError):
        return template
