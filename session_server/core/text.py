"""Normalising untrusted text before it enters the log."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from session_server.core.errors import InvalidInput

__all__ = [
    "IDENTIFIER_MAX_CHARS",
    "MAX_MARKS",
    "clean_line",
    "clean_text",
    "fold_text",
    "require_command_id",
    "require_identifier",
    "require_key",
    "require_visible",
    "slug_id",
]

_BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_JOINERS = frozenset("\u200c\u200d")  # needed by emoji and some scripts
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
"""Characters that draw nothing though they count as letters or symbols (the
Hangul fillers, the blank Braille pattern): dropped like control characters."""
MAX_MARKS = 3
"""Combining marks one base character may carry (Vietnamese needs two at most,
even decomposed); more is text drawn over its neighbours."""
_MANY_NEWLINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[^\S\n]+")
IDENTIFIER_MAX_CHARS = 48
"""The longest id of a bridge point, topic, speaker or programme item."""
_IDENTIFIER = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{IDENTIFIER_MAX_CHARS - 1}}}")
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _strip_controls(value: str, keep_newlines: bool) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if all(line.isprintable() for line in value.split("\n")) and _FILLERS.isdisjoint(value):
        return value if keep_newlines else value.replace("\n", " ")
    out: list[str] = []
    for ch in value:
        if ch == "\n":
            out.append("\n" if keep_newlines else " ")
        elif ch == "\t":
            out.append(" ")
        elif ch in _BIDI_CONTROLS:
            continue
        elif ch in _JOINERS:
            out.append(ch)
        elif ch in _FILLERS or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean_text(value: str, *, field: str, max_chars: int, required: bool = True) -> str:
    """NFC-normalise, drop control characters, keep single line breaks,
    and check 1..``max_chars`` characters (0 allowed when not required)."""
    value = unicodedata.normalize("NFC", value)
    value = _strip_controls(value, keep_newlines=True)
    lines = [_SPACES.sub(" ", line).strip() for line in value.split("\n")]
    value = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    return _bounded(value, field=field, max_chars=max_chars, required=required)


def clean_line(value: str, *, field: str, max_chars: int, required: bool = False) -> str:
    """Like :func:`clean_text` for one-line values (names, units, agencies)."""
    value = unicodedata.normalize("NFC", value)
    value = _SPACES.sub(" ", _strip_controls(value, keep_newlines=False)).strip()
    return _bounded(value, field=field, max_chars=max_chars, required=required)


def _bounded(value: str, *, field: str, max_chars: int, required: bool) -> str:
    if required and not value:
        raise InvalidInput("input.empty", field=field)
    _marks(value, field)
    if len(value) > max_chars:
        raise InvalidInput("input.too_long", field=field, limit=max_chars, length=len(value))
    return value


def _marks(value: str, field: str) -> None:
    """At most ``MAX_MARKS`` combining marks on one base character."""
    if value.isascii():
        return
    run = 0
    for ch in value:
        if unicodedata.combining(ch):
            run += 1
            if run > MAX_MARKS:
                raise InvalidInput("input.too_many_marks", field=field, limit=MAX_MARKS)
        else:
            run = 0


def require_visible(value: str, *, field: str) -> str:
    """Text a person can read: at least one letter or digit that draws
    something (a question of spaces, fillers or punctuation only is not one)."""
    for ch in value:
        if unicodedata.category(ch)[0] in "LN" and ch not in _FILLERS:
            return value
    raise InvalidInput("input.nothing_visible", field=field)


def require_identifier(value: str, *, field: str) -> str:
    """Ids chosen by the organiser: lower-case ASCII slug, 1..48 characters."""
    if not _IDENTIFIER.fullmatch(value):
        raise InvalidInput("input.bad_identifier", field=field)
    return value


def require_key(value: str) -> str:
    """A client-made idempotency key: 8..64 of ``A-Z a-z 0-9 _ -``."""
    if not _KEY.fullmatch(value):
        raise InvalidInput("input.bad_idempotency_key")
    return value


def require_command_id(value: str) -> str:
    """A command id (made by the client or the session): 8..64 of
    ``A-Z a-z 0-9 _ -``, the same alphabet as idempotency keys."""
    if not _KEY.fullmatch(value):
        raise InvalidInput("input.bad_command_id")
    return value


def fold_text(text: str) -> str:
    """Lower case without accents (đ as d), for matching what is typed by
    hand: "Thành phố" and "thanh pho" fold alike."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


_SLUG_GAP = re.compile(r"[^a-z0-9]+")


def slug_id(name: str, taken: Collection[str] = (), fallback: str = "muc") -> str:
    """An identifier made from a name: accents folded, lower case, words
    joined by ``-`` ("Thành phố Long Xuyên" → ``thanh-pho-long-xuyen``),
    with ``-2``, ``-3``… when it is ``taken``. Made once, when the thing is
    added: renaming it later keeps its id."""
    base = _SLUG_GAP.sub("-", fold_text(name)).strip("-")[: IDENTIFIER_MAX_CHARS - 4].strip("-")
    base = base or fallback
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
