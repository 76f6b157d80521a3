"""A screen as htmx keeps it, for tests: applies the out-of-band swaps a
live message carries (whole fragments, items of keyed lists, their order,
the position) the way htmx and ``static/js/lists.js`` do, without a browser.

Only the shapes the server sends are understood (``web/fanout.py``,
``to_html``); anything else fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from session_server.web.live.fanout import Rendered

__all__ = ["Screen", "top_level"]

_TOKEN = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_ATTR = re.compile(r'([\w:-]+)(?:="([^"]*)")?')
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
_OOB = re.compile(r' hx-swap-oob="[^"]*"')


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str]
    outer: str
    inner: str


def top_level(html: str) -> list[Element]:
    """The top-level elements of ``html``."""
    out: list[Element] = []
    depth = 0
    start = inner_start = 0
    tag = ""
    attrs: dict[str, str] = {}
    for token in _TOKEN.finditer(html):
        if token.group(0).startswith("<!--"):
            continue
        closing, name, rest = token.group(1), token.group(2).lower(), token.group(3)
        if closing:
            depth -= 1
            if depth == 0:
                out.append(
                    Element(
                        tag, attrs, html[start : token.end()], html[inner_start : token.start()]
                    )
                )
            continue
        self_closing = name in _VOID or rest.rstrip().endswith("/")
        if depth == 0:
            tag, start, inner_start = name, token.start(), token.end()
            attrs = {m.group(1): m.group(2) or "" for m in _ATTR.finditer(rest)}
            if self_closing:
                out.append(Element(tag, attrs, token.group(0), ""))
                continue
        if not self_closing:
            depth += 1
    assert depth == 0, "unbalanced markup"
    return out


def _bare(html: str) -> str:
    return _OOB.sub("", html).strip()


@dataclass
class Screen:
    """One tab: its fragments by root id, and the position it shows."""

    fragments: dict[str, Rendered] = field(default_factory=dict)
    position: tuple[str, int] | None = None

    def load(self, fragments: list[Rendered], position: tuple[str, int]) -> None:
        for fragment in fragments:
            self._whole(fragment.html)
        self.position = position

    def apply(self, message: str) -> None:
        for element in top_level(message):
            self._element(element)

    def shows(self, fragment: Rendered) -> bool:
        root = top_level(fragment.html)[0].attrs["id"]
        mine = self.fragments.get(root)
        if mine is None:
            return False
        want = Rendered.parse(fragment.name, _bare(fragment.html))
        if want.frame is None:
            return _bare(mine.html) == want.html
        return (mine.frame, [(i, _bare(h)) for i, h in mine.items]) == (
            want.frame,
            [(i, _bare(h)) for i, h in want.items],
        )

    # --- swaps --------------------------------------------------------------------

    def _whole(self, html: str) -> None:
        root = top_level(html)[0].attrs["id"]
        self.fragments[root] = Rendered.parse(root, _bare(html))

    def _holder(self, predicate: object) -> str:
        for root, fragment in self.fragments.items():
            if fragment.frame is not None and predicate(fragment):  # type: ignore[operator]
                return root
        raise AssertionError("no fragment holds this item or list")

    def _element(self, element: Element) -> None:
        oob = element.attrs.get("hx-swap-oob")
        ident = element.attrs.get("id", "")
        if ident in ("flash", "ack"):
            return
        if ident == "pos":
            self.position = (element.attrs["data-epoch"], int(element.attrs["data-seq"]))
            return
        if oob == "true" and ident in self.fragments:
            self._whole(element.outer)
        elif oob == "true" and "data-order-for" in element.attrs:
            container = element.attrs["data-order-for"]
            order = element.attrs["data-order"].split()
            root = self._holder(lambda f: f.container == container)
            fragment = self.fragments[root]
            items = dict(fragment.items)
            assert sorted(order) == sorted(items), "an order of other items"
            self._items(root, [(i, items[i]) for i in order])
        elif oob == "true":
            root = self._holder(lambda f: ident in dict(f.items))
            self._items(
                root,
                [
                    (i, _bare(element.outer) if i == ident else h)
                    for i, h in self.fragments[root].items
                ],
            )
        elif oob == "delete":
            root = self._holder(lambda f: ident in dict(f.items))
            self._items(root, [(i, h) for i, h in self.fragments[root].items if i != ident])
        elif oob is not None and oob.startswith("beforeend:#"):
            container = oob.removeprefix("beforeend:#")
            root = self._holder(lambda f: f.container == container)
            (item,) = top_level(element.inner)
            new_id = item.attrs["id"]
            assert new_id not in dict(self.fragments[root].items), "a new item already shown"
            self._items(root, [*self.fragments[root].items, (new_id, _bare(item.outer))])
        else:
            raise AssertionError(f"a swap this screen does not know: {element.outer[:120]}")

    def _items(self, root: str, items: list[tuple[str, str]]) -> None:
        fragment = self.fragments[root]
        self.fragments[root] = Rendered(
            fragment.name, "", fragment.frame, fragment.container, tuple(items)
        )
