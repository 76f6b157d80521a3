"""The two pieces of markup every live screen repeats, as template globals
written in Python: rendered hundreds of times per push (a moderator's inbox
and queue), a Jinja macro costs ten times as much.

- ``action(act, label, fields, ...)``: one action as a form with one button.
  With JavaScript it travels over the page's socket (``ws-send``); without,
  it posts to the page's own address (``post_url``) with its CSRF token.
  ``inputs`` are what a person fills in before the button (a ``{% set %}``
  block in the template).
- ``question(q, ...)``: one question as a list item, the same on every
  screen: number, status, where it came from, its text; the asker only where
  the screen may show them; ``head`` and ``body`` add the screen's own parts.

Both read ``v`` (the screen's context), ``csrf`` and ``post_url`` from the
template's context. Everything they write is escaped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from session_server.core.model import Question

__all__ = ["action", "once", "question"]


@pass_context
def action(
    context: Context,
    act: str,
    label: str,
    fields: Mapping[str, object] | None = None,
    *,
    cls: str = "inline",
    button: str = "",
    title: str = "",
    disabled: bool = False,
    stack: bool = False,
    inputs: str = "",
    kept: str = "",
) -> Markup:
    """A form of one command. ``kept``: the browser keeps its message until
    the server acknowledges it (static/js/outbox.js), one at a time however
    often it is pressed, listed while it waits under these words."""
    head, tail = _form_parts(
        act,
        label,
        "stack" if stack else cls,
        button,
        title,
        disabled,
        context.get("post_url", ""),
        context.get("csrf", ""),
        kept,
    )
    hidden = "".join(
        f'<input type="hidden" name="{_name(name)}" value="{_value(value)}">'
        for name, value in (fields or {}).items()
    )
    if context.get("csrf"):  # a page served whole: posted without JavaScript
        hidden += f'<input type="hidden" name="command_id" value="{once(context, act, hidden)}">'
    return Markup(f"{head}{hidden}{inputs}{tail}")


@pass_context
def once(context: Context, *parts: str) -> str:
    """A command id for one form of one page as served: the page's fresh key
    and a digest of what tells the form apart (its action, its fields). Sent
    again, the same post is a repeat the core does not apply twice."""
    digest = hashlib.blake2s("\x1f".join(parts).encode(), digest_size=5).hexdigest()
    return f"{context.get('new_key', '')}-{digest}"


_WORDED = re.compile(r"\w")
"""A label with a letter or a figure in it, read aloud as it is shown."""


@lru_cache(maxsize=4096)
def _form_parts(
    act: str,
    label: str,
    cls: str,
    button: str,
    title: str,
    disabled: bool,
    post_url: str,
    csrf: str,
    kept: str = "",
) -> tuple[str, str]:
    """The parts of a form that do not change from one question to the next."""
    attrs = f' class="{escape(button)}"' if button else ""
    if title:
        # a button of words or figures is named by them first (WCAG 2.5.3,
        # label in name); an icon's button (↑, ✕) by its title alone
        name = f"{label} · {title}" if _WORDED.search(label) and label not in title else title
        attrs += f' title="{escape(title)}" aria-label="{escape(name)}"'
    if disabled:
        attrs += " disabled"
    outbox = (
        f' data-outbox data-outbox-slot="{escape(act)}" data-outbox-label="{escape(kept)}"'
        f' id="kept-{escape(act)}"'
        if kept
        else ""
    )
    head = (
        f'<form method="post" action="{escape(post_url)}" ws-send class="{escape(cls)}"{outbox}>'
        f'<input type="hidden" name="action" value="{escape(act)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    )
    return head, f'<button type="submit"{attrs}>{escape(label)}</button></form>'


@lru_cache(maxsize=256)
def _name(name: str) -> str:
    return str(escape(name))


def _value(value: object) -> str:
    if isinstance(value, int):  # question and request ids, positions, seconds
        return str(value)
    return str(escape(value))


@pass_context
def question(
    context: Context,
    q: Question,
    *,
    status: bool = True,
    origin: bool = True,
    topic: bool = True,
    asker: bool = False,
    id_prefix: str = "",
    head: str = "",
    body: str = "",
) -> Markup:
    v: Any = context["v"]
    ident = f' id="{escape(id_prefix)}-{q.question_id}"' if id_prefix else ""
    parts = [
        f'<li{ident} class="question status-{q.status.value}" data-question="{q.question_id}"'
        f' data-bridge="{escape(q.bridge_id)}" data-status="{q.status.value}">'
        f'<span class="qno">#{q.question_id}</span>'
    ]
    if status:
        parts.append(f' <span class="status">{escape(v.term(q.status.value))}</span>')
    if origin:
        where = escape(v.bridge_name(q.bridge_id))
        if topic:
            where += Markup(" · ") + escape(v.topic_name(q.topic_id))
        parts.append(f' <span class="origin">{where}</span>')
    parts.append(f"{Markup(head)}<p>{escape(q.text)}</p>")
    if asker and (q.asker.name or q.asker.unit):
        who = escape(q.asker.name)
        if q.asker.unit:
            who += Markup(" – ") + escape(q.asker.unit)
        parts.append(f'<p class="asker">{who}</p>')
    parts.append(f"{Markup(body)}</li>")
    return Markup("".join(parts))
