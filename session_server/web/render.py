"""Rendering templates: one Jinja2 environment for every page and fragment.

A fragment pushed live (``fragment``) is rendered once per audience with the
screen's context (``screens/base.py``) and no per-link value in it (its
forms travel over the socket); a whole page (``page``) also gets the fields
of its page-values dataclass. Limits and enums are globals of every
template, so forms take their bounds from the configuration, not from
numbers typed into HTML.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from session_server.core.errors import SessionError
from session_server.core.model import Limits, Origin, Phase, QuestionStatus, Role
from session_server.core.text import IDENTIFIER_MAX_CHARS
from session_server.web import forms
from session_server.web.screens.base import ScreenContext

__all__ = ["ROOT", "TEMPLATES", "Renderer"]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

LIVE: dict[str, str] = {"csrf": "", "post_url": "", "new_key": ""}
"""What a live fragment's forms get: no per-link URL, no per-device token."""


class Renderer:
    def __init__(
        self, limits: Limits | None = None, templates: Path = TEMPLATES, auto_reload: bool = False
    ) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=auto_reload,
        )
        self.env.globals.update(
            Role=Role,
            QuestionStatus=QuestionStatus,
            Phase=Phase,
            Origin=Origin,
            limits=limits or Limits(),
            identifier_max_chars=IDENTIFIER_MAX_CHARS,
            action=forms.action,
            once=forms.once,
            question=forms.question,
        )

    def fragment(self, name: str, view: ScreenContext) -> str:
        """A fragment pushed live to a whole audience."""
        return self.env.get_template(name).render(v=view, s=view.s, **LIVE)

    def page(self, name: str, view: ScreenContext, page: Any = None) -> str:
        """A whole page: ``view`` and the fields of ``page`` (a dataclass)."""
        values = {f.name: getattr(page, f.name) for f in dataclasses.fields(page)} if page else {}
        return self.env.get_template(name).render(v=view, s=view.s, **values)

    def error_page(self, lang: str, error: SessionError) -> str:
        """A refusal as a page of its own, Vietnamese first."""
        return self.env.get_template("error.html").render(
            lang=lang, messages=error.messages(), code=error.code
        )

    def position(self, epoch: str, seq: int) -> str:
        return str(
            Markup('<div id="pos" hx-swap-oob="true" data-epoch="{}" data-seq="{}"></div>').format(
                epoch, seq
            )
        )

    def refusal(self, messages: dict[str, str], again: dict[str, Any] | None = None) -> str:
        """A refusal for one socket, in Vietnamese first and English second,
        with the form that sends its command again confirmed (``again``:
        ``_refusal.html``)."""
        words = self.env.get_template("_refusal.html").render(
            messages=messages, again=again, **LIVE
        )
        return str(
            Markup(
                '<div id="flash" hx-swap-oob="true" class="flash flash-error" role="alert">{}</div>'
            ).format(Markup(words))  # rendered by the autoescaping environment
        )

    def flash(self, text: str, kind: str = "error") -> str:
        return str(
            Markup(
                '<div id="flash" hx-swap-oob="true" class="flash flash-{}" role="alert">{}</div>'
            ).format(kind, text)
        )
