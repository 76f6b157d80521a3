"""What finding likely duplicates costs each question as it arrives. Not a test.

Run ``.venv/bin/python bench/duplicates.py``. Builds the day's questions
from the demo's words (a question in ten repeats an earlier one with its
accents dropped and a few words changed), folds ``N`` of them into a
``SimilarIndex`` (``core/similar.py``), then times each of the next 1,000
submissions at that size. Prints p50 and p99 per submission at 1,000 and
5,000 questions, the median of 3 runs; the budget is 5 ms.
"""

from __future__ import annotations

import gc
import random
import statistics
import time

from session_server.core.similar import SimilarIndex
from session_server.core.text import fold_text
from session_server.demo import DEMO_QUESTIONS

SIZES = (1_000, 5_000)
MEASURED = 1_000
RUNS = 3
BUDGET_MS = 5.0


def questions(count: int, rng: random.Random) -> list[str]:
    words = [w for *_rest, text in DEMO_QUESTIONS for w in text.split()]
    made: list[str] = []
    for n in range(count):
        if made and n % 10 == 0:
            alike = rng.choice(made).split()
            for _ in range(2):
                alike[rng.randrange(len(alike))] = rng.choice(words)
            made.append(fold_text(" ".join(alike)))
        else:
            made.append(" ".join(rng.choice(words) for _ in range(rng.randint(12, 45))) + "?")
    return made


def run(size: int, seed: int) -> tuple[float, float, int]:
    rng = random.Random(seed)
    texts = questions(size + MEASURED, rng)
    index = SimilarIndex()
    for n, text in enumerate(texts[:size], 1):
        index.add(n, text)
    gc.collect()
    gc.freeze()  # the day's questions are long-lived: keep the collector off them
    times: list[float] = []
    found = 0
    for n, text in enumerate(texts[size:], size + 1):
        start = time.perf_counter()
        found += bool(index.add(n, text))
        times.append((time.perf_counter() - start) * 1000)
    gc.unfreeze()
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99) - 1], found


def main() -> None:
    for size in SIZES:
        runs = [run(size, seed) for seed in range(RUNS)]
        p50 = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        found = statistics.median(r[2] for r in runs)
        verdict = "ok" if p99 < BUDGET_MS else "OVER BUDGET"
        print(
            f"{size:>5} questions: p50 {p50:.3f} ms, p99 {p99:.3f} ms per submission "
            f"({found:.0f} of {MEASURED} offered a likely duplicate; {verdict})"
        )


if __name__ == "__main__":
    main()
