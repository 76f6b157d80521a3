"""Bytes per update: what one change costs each screen, on the real hub.

Not a test. Run ``.venv/bin/python bench/updates.py``. It builds the demo
dialogue in memory, adds approved questions until the public list holds
``--approved`` (default 500), opens the list, connects one socket of each
screen (a phone, the moderator, a hall display, a bridge console, the
secretary) as the hub's own direct-write path sees them, and for each kind
of change (a vote, an approval, a new question, the floor given, the floor
released) measures the bytes each screen's socket is sent, and the time the
hub takes to render and plan that change (median of ``--repeat`` rounds,
each the median of 3 runs). No network: the bytes are exactly what the hub
writes to a socket; the time excludes the write syscalls.

The same changes are measured with the keyed lists turned off (each list
sent whole when it changes) as the baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from session_server.core import commands as c
from session_server.core.model import Actor, Phase, Role
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.live import fanout
from session_server.web.live.hub import Connection, Hub
from session_server.web.render import Renderer
from session_server.web.screens import Audience

MODERATOR = Actor(Role.MODERATOR)
ORGANISER = Actor(Role.ORGANISER)


class Meter:
    """Stands in for a socket's transport: counts what the hub writes."""

    def __init__(self) -> None:
        self.bytes = 0
        self.messages = 0

    def open(self) -> bool:
        return True

    def write(self, frame: bytes) -> bool:
        self.bytes += len(frame)
        self.messages += 1
        return True

    async def closed_within(self, seconds: float) -> None:
        return None


class FakeSocket:
    """A socket with no server transport (the meter is its direct writer)."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {}


SCREENS_MEASURED = {
    "phone": (Audience(Role.ATTENDEE), "dev-bench"),
    "moderator": (Audience(Role.MODERATOR), None),
    "display": (Audience(Role.DISPLAY), None),
    "bridge": (Audience(Role.BRIDGE_OPERATOR, bridge_id="chau-doc"), None),
    "secretary": (Audience(Role.SECRETARY), None),
}


async def build(approved: int) -> tuple[Hub, dict[str, Meter]]:
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    if session.state.dialogue.phase is not Phase.LIVE:
        await session.execute(c.ChangePhase(ORGANISER, Phase.LIVE), now)
    phone = Actor(Role.ATTENDEE, bridge_id="chau-doc", device_id="filler")
    n = 0
    while len(session.state.queue) < approved:
        n += 1
        text = f"Câu hỏi thêm số {n}: thanh niên ở huyện cần thêm việc làm và học nghề gần nhà?"
        await session.execute(c.SubmitQuestion(phone, text, f"fill-{n:06d}", "chau-doc"), now)
        qid = session.state.next_question_id - 1
        await session.execute(c.ApproveQuestion(MODERATOR, qid), now)
    await session.execute(c.SetPublicList(MODERATOR, True), now)
    hub = Hub(session, Renderer(session.limits))
    meters: dict[str, Meter] = {}
    for name, (audience, device) in SCREENS_MEASURED.items():
        conn = Connection(FakeSocket(), audience, device)  # type: ignore[arg-type]
        meter = Meter()
        conn.direct = meter  # type: ignore[assignment]
        hub.attach(conn)
        hub.resume(conn, None, None)
        meters[name] = meter
    hub.broadcast()
    return hub, meters


def changes(hub: Hub) -> list[tuple[str, c.Command]]:
    state = hub.session.state
    waiting = next(q for q in state.questions.values() if q.status.value == "submitted")
    voted = state.queue[len(state.queue) // 2]
    voter = Actor(Role.ATTENDEE, bridge_id="tinh", device_id=f"voter-{time.monotonic_ns()}")
    new = Actor(Role.ATTENDEE, bridge_id="tinh", device_id="new-asker")
    return [
        ("a vote", c.Vote(voter, voted)),
        ("an approval", c.ApproveQuestion(MODERATOR, waiting.question_id)),
        (
            "a new question",
            c.SubmitQuestion(new, "Câu hỏi mới trong lúc đo?", f"k{time.monotonic_ns()}", "tinh"),
        ),
        ("the floor given", c.GiveFloor(MODERATOR, "chau-doc", state.queue[0], question_seconds=9)),
        ("the floor released", c.ReleaseFloor(MODERATOR)),
    ]


async def measure(approved: int, keyed: bool) -> dict[str, tuple[dict[str, int], float]]:
    """Bytes each screen is sent, and the hub's time, for each change."""
    original = fanout.diff
    if not keyed:

        def whole(old: fanout.Rendered | None, new: fanout.Rendered) -> list[fanout.Part]:
            if old is not None and old.html == new.html:
                return []
            return [fanout.Whole(new.html)]

        fanout.diff = whole  # type: ignore[assignment]
    try:
        hub, meters = await build(approved)
        out: dict[str, tuple[dict[str, int], float]] = {}
        for label, command in changes(hub):
            before = {name: m.bytes for name, m in meters.items()}
            await hub.execute(command)
            started = time.perf_counter()
            hub.broadcast()
            elapsed = time.perf_counter() - started
            out[label] = ({name: m.bytes - before[name] for name, m in meters.items()}, elapsed)
        return out
    finally:
        fanout.diff = original  # type: ignore[assignment]


def median_of(runs: list[dict[str, tuple[dict[str, int], float]]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for label in runs[0]:
        names = runs[0][label][0]
        sizes = {name: int(statistics.median(r[label][0][name] for r in runs)) for name in names}
        merged[label] = (sizes, statistics.median(r[label][1] for r in runs))
    return merged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--approved", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = {}
    for keyed in (True, False):
        runs = [asyncio.run(measure(args.approved, keyed)) for _ in range(args.runs)]
        results[keyed] = median_of(runs)
    names = list(SCREENS_MEASURED)
    print(
        f"bytes each screen is sent per change, {args.approved} approved questions on the "
        f"public list (median of {args.runs} runs); baseline: the same lists sent whole"
    )
    header = f"{'change':<20}" + "".join(f"{n:>22}" for n in names) + f"{'hub ms':>12}"
    print(header)
    print("-" * len(header))
    for label in results[True]:
        sizes, elapsed = results[True][label]
        whole, whole_elapsed = results[False][label]
        cells = "".join(f"{sizes[n]:>10,} ({whole[n]:>8,})" for n in names)
        print(f"{label:<20}{cells}{elapsed * 1000:>6.1f} ({whole_elapsed * 1000:.1f})")
    print("  (in brackets: the baseline, every list sent whole when it changes)")
    vote = results[True]["a vote"][0]["phone"]
    print()
    print(
        f"target: a phone's update after a vote under 8 KB (issue) / 1 KB (DESIGN §4): "
        f"{vote:,} B  {'MET' if vote < 1024 else 'MET (< 8 KB)' if vote < 8192 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
