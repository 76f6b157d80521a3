"""The cost of the layered limits on the submissions figure. Not a test.

Run ``.venv/bin/python bench/limits.py`` (about 6 minutes). It runs the
submissions part of ``bench/fanout.py`` (200 phones submitting at 200/s
while 500 more stay connected) against two servers, alternately, three
times each:

- **with limits**: this checkout; the limits are raised so that nothing is
  refused (``RATE_*`` and ``LIMIT_SCALE`` as ``fanout.py`` sets them), but
  every layer is still looked up and charged on every submission;
- **without**: the very same server with ``Limits.charge`` and
  ``Limits.new_device`` made no-ops by ``bench/_without_limits/`` (a
  ``sitecustomize`` put first on the server's ``PYTHONPATH``), so the two
  sides differ by the limits alone; ``--before REV`` compares with a commit
  instead (checked out in a temporary worktree), which measures everything
  that changed since.

It prints the median of the three runs of each side, and the ratio: the
phone's acknowledgement and the time to the moderator's screen, p50 and p99,
and the server's CPU time per submission (the figure least moved by other
processes on a shared machine; latencies are, a lot).

First, in this process: the limits' own cost, ``Limits.charge`` for 5,000
submissions from different phones of one hall's network on the demo
dialogue (every layer looked up and charged), against the same loop that
only builds the command, median of 3. Only 127.0.0.1; every process stops at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from session_server.config import load_settings
from session_server.core.commands import SubmitQuestion
from session_server.core.model import Actor, Role, State
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
WITHOUT = ROOT / "bench" / "_without_limits"
"""A ``sitecustomize`` that makes the limits no-ops in the server it is loaded in."""

FIGURES = {
    "ack p50": re.compile(r"phone ack .*?p50 ([\d.,]+) ms"),
    "ack p99": re.compile(r"phone ack .*?p99 ([\d.,]+) ms"),
    "moderator p50": re.compile(r"submit → moderator screen: p50 ([\d.,]+) ms"),
    "moderator p99": re.compile(r"submit → moderator screen: p50 [\d.,]+ ms, p99 ([\d.,]+) ms"),
    "server cpu %": re.compile(r"server CPU (\d+)% of one core"),
    "refused": re.compile(r"refused (\d+);"),
    "seconds": re.compile(r"sent [\d,]+ in ([\d.]+) s"),
    "sent": re.compile(r"sent ([\d,]+) in"),
}
SHOWN = ("ack p50", "ack p99", "moderator p50", "moderator p99", "cpu ms/submission", "refused")


async def demo_state() -> State:
    session = DialogueSession(MemoryEventLog(), DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    return session.state


def micro(count: int = 5000) -> tuple[float, float]:
    """Microseconds per submission: building the command alone, and with
    ``Limits.charge`` (LIMIT_SCALE high enough that nothing is refused)."""
    state = asyncio.run(demo_state())
    settings = load_settings(None)
    phones = [
        Actor(Role.ATTENDEE, bridge_id="chau-doc", device_id=f"phone-{n}") for n in range(count)
    ]

    def loop(limits: Limits | None) -> float:
        started = time.perf_counter()
        for n, phone in enumerate(phones):
            command = SubmitQuestion(phone, f"Câu hỏi {n}?", f"key-{n:06d}", "chau-doc")
            if limits is not None:
                limits.charge(DEMO_DIALOGUE_ID, state, command, "10.0.0.1", 1000.0 + n / 200)
        return (time.perf_counter() - started) / count * 1e6

    lifted = dataclasses.replace(settings, limit_scale=100000.0, rate_dialogue="100000/1")
    bare = statistics.median(loop(None) for _ in range(3))
    charged = statistics.median(loop(Limits(lifted)) for _ in range(3))
    return bare, charged


def run(pythonpath: Path | None, args: argparse.Namespace) -> dict[str, float]:
    """One submissions run of ``fanout.py``; its figures."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    argv = [
        sys.executable,
        str(ROOT / "bench" / "fanout.py"),
        "--phones",
        str(args.phones),
        "--rounds",
        "1",
        "--warmup",
        "0",
        "--no-baseline",
        "--runs",
        "1",
        "--submit-seconds",
        str(args.seconds),
        "--max-seconds",
        "300",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=400)
    figures: dict[str, float] = {}
    for name, pattern in FIGURES.items():
        found = pattern.search(done.stdout)
        if found is None:
            sys.stdout.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit(f"no {name!r} in the output of fanout.py")
        figures[name] = float(found.group(1).replace(",", ""))
    figures["cpu ms/submission"] = round(
        figures["server cpu %"] / 100 * figures["seconds"] / figures["sent"] * 1000, 2
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--before", default=None, help="compare with this commit instead of the limits off"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phones", type=int, default=500, help="phones connected meanwhile")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of submissions")
    args = parser.parse_args()
    bare, charged = micro()
    print(
        f"Limits.charge: {charged - bare:.1f} µs a submission "
        f"(command alone {bare:.1f} µs, with the limits {charged:.1f} µs; median of 3)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="limits-") as tmp:
        other = WITHOUT
        if args.before:
            other = Path(tmp) / "before"
            add = ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q"]
            subprocess.run([*add, str(other), args.before], check=True)
        try:
            sides: dict[str, list[dict[str, float]]] = {"with limits": [], "before": []}
            for i in range(args.runs):
                for side, path in (("with limits", None), ("before", other)):
                    figures = run(path, args)
                    sides[side].append(figures)
                    shown = ", ".join(f"{k} {figures[k]:g}" for k in SHOWN)
                    print(f"run {i + 1} {side:<11}: {shown}", flush=True)
        finally:
            if args.before:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                    check=False,
                )
    print()
    print(
        f"200 phones submitting at 200/s for {args.seconds:g} s, {args.phones} more connected; "
        f"median of {args.runs} runs"
    )
    before = f"at {args.before}" if args.before else "without"
    print(f"{'':<18}{before:>10}{'limits':>10}{'ratio':>8}")
    for name in SHOWN:
        old = statistics.median(r[name] for r in sides["before"])
        new = statistics.median(r[name] for r in sides["with limits"])
        ratio = f"{new / old:.2f}" if old else "-"
        print(f"{name:<18}{old:>10g}{new:>10g}{ratio:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
