"""Durability: what ``append`` acknowledged survives a SIGKILL of the writer.

A child process (``tests/_sqlite_writer.py``) appends to a SQLite log in a
loop and prints each acknowledged seq; the test kills it mid-stream, reopens
the log and checks that every acknowledged event is there, in place, with no
gap. Five rounds, each continuing the same log.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from session_server.core.events import QuestionSubmitted
from session_server.store.base import LogHead
from session_server.store.sqlite import SQLiteEventLog

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL"),
]

ROOT = Path(__file__).resolve().parent.parent
WRITER = ROOT / "tests" / "_sqlite_writer.py"
DIALOGUE = "crash-test"
ACKS_PER_ROUND = 300
ROUNDS = 5
TIME_LIMIT = 20.0


def _write_until_killed(path: Path, stderr: Path, deadline: float, delay: float) -> list[int]:
    """Start a writer, kill it ``delay`` seconds after ``ACKS_PER_ROUND``
    acknowledgements (so the kill lands anywhere in an append); return every
    seq it acknowledged, including any printed just before it died."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), DIALOGUE],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=ROOT,
            env=env,
        )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    acks: list[int] = []
    try:
        while len(acks) < ACKS_PER_ROUND:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                pytest.fail(f"writer too slow: {len(acks)} acknowledgements before the deadline")
            if line is None:
                pytest.fail(f"writer exited early ({proc.wait()}): {stderr.read_text()}")
            acks.append(int(line))
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    while (line := lines.get(timeout=1)) is not None:
        if line.endswith("\n"):  # a line cut by the kill was never acknowledged
            acks.append(int(line))
    return acks


async def _check(path: Path, acks: list[int]) -> LogHead:
    log = SQLiteEventLog(path)
    try:
        head = await log.head(DIALOGUE)
        records = await log.read(DIALOGUE)
    finally:
        await log.close()
    seqs = [r.seq for r in records]
    assert seqs == list(range(1, head.seq + 1)), "the log has a gap or a duplicate"
    assert set(acks) <= set(seqs), "an acknowledged append was lost"
    assert head.seq >= acks[-1]
    assert head.seq - acks[-1] <= 10, "more than the one unacknowledged append survived"
    for record in records:
        assert isinstance(record.event, QuestionSubmitted)
        assert record.event.question_id == record.seq
        assert record.event.text.startswith(f"Câu hỏi số {record.seq}:")
    return head


def test_acknowledged_appends_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    deadline = time.monotonic() + TIME_LIMIT
    epochs: set[str] = set()
    last = 0
    delays = random.Random(0)
    for round_ in range(ROUNDS):
        stderr = tmp_path / f"writer-{round_}.err"
        acks = _write_until_killed(path, stderr, deadline, delays.uniform(0, 0.003))
        assert acks == sorted(acks) and acks[0] > last
        head = asyncio.run(_check(path, acks))
        epochs.add(head.epoch)
        last = head.seq
    assert len(epochs) == 1, "the epoch changed although no history was lost"
