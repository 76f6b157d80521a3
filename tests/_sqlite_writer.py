"""Child process of ``test_sqlite_crash.py``: append to a SQLite event log forever.

Usage: ``python tests/_sqlite_writer.py PATH DIALOGUE_ID``. Continues from the
log's head; after every ``append`` returns, prints the acknowledged last seq
and flushes. Event ``n`` is a question whose ``question_id`` is ``n``, so a
reader can check that every event sits at its own position. Every third append
is a batch of ten events.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

from session_server.core.events import QuestionSubmitted
from session_server.core.model import Asker, Origin
from session_server.store.sqlite import SQLiteEventLog


def question(seq: int) -> QuestionSubmitted:
    return QuestionSubmitted(
        at=datetime.now(UTC),
        question_id=seq,
        text=f"Câu hỏi số {seq}: thanh niên cần gì?",
        asker=Asker(name="Lê Văn C", unit="Đoàn xã"),
        origin=Origin.PHONE,
        bridge_id="hoi-truong",
        topic_id=None,
        submitted_by=f"device:{seq % 97}",
        idempotency_key=f"key-{seq:08d}",
    )


async def main(path: str, dialogue_id: str) -> None:
    log = SQLiteEventLog(path)
    seq = (await log.head(dialogue_id)).seq
    appends = 0
    while True:
        size = 10 if appends % 3 == 2 else 1
        seq = await log.append(dialogue_id, [question(seq + k) for k in range(1, size + 1)], seq)
        appends += 1
        sys.stdout.write(f"{seq}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
