"""Likely duplicates among the questions of the day, found as each arrives.

Vietnamese words are syllables ("việc làm" is two), so a question is read
as its folded syllables (accents, case and punctuation dropped: "Việc làm"
and "viec lam" read alike) and the pairs of neighbouring syllables, which
carry the compound words. Two questions are likely the same when the Dice
coefficient of those features is at least :data:`THRESHOLD`, or when their
folded texts are equal.

Finding the candidates is the costly part, so an inverted index maps each
syllable pair to the questions holding it; a pair found in a large share
of the questions ("thanh nien") says nothing and is not followed. One
submission costs well under a millisecond at 5,000 questions
(``bench/duplicates.py``). Plain Python: the scoring is a set intersection
on a handful of candidates, where a C library would save nothing worth a
dependency in the core.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, pairwise

from session_server.core.text import fold_text

__all__ = ["SimilarIndex", "features", "normalised", "similarity"]

THRESHOLD = 0.6
"""Dice coefficient of the features from which two questions are suggested."""
CANDIDATES = 12
"""Questions sharing the most syllable pairs that are scored in full."""
COMMON_SHARE = 0.01
"""A pair held by more than this share of the questions is not followed..."""
COMMON_FLOOR = 40
"""...once that share is above this many questions."""
SUGGESTED = 3
"""Earlier questions kept per question, most alike first."""

_WORD = re.compile(r"\w+", re.UNICODE)


def normalised(text: str) -> str:
    """Folded words, one space apart: "Việc  LÀM?" → "viec lam"."""
    return " ".join(_WORD.findall(fold_text(text).replace("_", " ")))


def features(text: str) -> frozenset[str]:
    """The folded syllables and each pair of neighbouring syllables."""
    words = normalised(text).split()
    pairs = (f"{a} {b}" for a, b in pairwise(words))
    return frozenset(chain(words, pairs))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two feature sets (1.0: the same words in the same order)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass
class SimilarIndex:
    """The questions seen so far, for finding the likely duplicates of the
    next one. Built by folding the log like the rest of the state."""

    exact: dict[str, int] = field(default_factory=dict)
    """Normalised text → the first question with it."""
    feats: dict[int, frozenset[str]] = field(default_factory=dict)
    pairs: dict[str, list[int]] = field(default_factory=dict)
    """Syllable pair → the questions holding it, in order."""

    def add(self, question_id: int, text: str) -> tuple[int, ...]:
        """Index ``question_id`` and return the earlier questions it likely
        repeats, most alike first (at most :data:`SUGGESTED`)."""
        norm = normalised(text)
        found = self.find(norm)
        own = features(text)
        self.exact.setdefault(norm, question_id)
        self.feats[question_id] = own
        for feature in own:
            if " " in feature:
                self.pairs.setdefault(feature, []).append(question_id)
        return found

    def find(self, norm: str) -> tuple[int, ...]:
        first = self.exact.get(norm)
        own = features(norm)
        common = max(COMMON_FLOOR, int(len(self.feats) * COMMON_SHARE))
        postings = (self.pairs.get(f, ()) for f in own if " " in f)
        shared = Counter(chain.from_iterable(p for p in postings if len(p) <= common))
        scored = []
        for other, _count in shared.most_common(CANDIDATES):
            score = similarity(own, self.feats[other])
            if score >= THRESHOLD and other != first:
                scored.append((-score, other))
        scored.sort()
        found = [other for _score, other in scored]
        if first is not None:
            found.insert(0, first)
        return tuple(found[:SUGGESTED])
