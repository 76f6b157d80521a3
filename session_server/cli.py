"""The ``session-server`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from session_server.config import Settings, load_settings
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store import open_log

__all__ = ["main"]

logger = logging.getLogger("session_server")


def _ensure_parent(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def _demo(settings: Settings, store_url: str) -> int:
    _ensure_parent(store_url)
    log = open_log(store_url)
    try:
        session = DialogueSession(log, DEMO_DIALOGUE_ID, settings.limits)
        await session.load()
        if session.state.created:
            print(f"demo dialogue already present: {DEMO_DIALOGUE_ID} (seq {session.seq})")
            return 0
        await session.execute_all(demo_commands(datetime.now(UTC)), datetime.now(UTC))
        print(f"demo dialogue created: {DEMO_DIALOGUE_ID} (seq {session.seq})")
        return 0
    finally:
        await log.close()


async def _check(settings: Settings, store_url: str) -> int:
    """Replay every dialogue in the log and print what it holds."""
    log = open_log(store_url)
    try:
        for dialogue_id in await log.dialogues():
            session = DialogueSession(log, dialogue_id, settings.limits)
            await session.load()
            statuses = Counter(q.status.value for q in session.state.questions.values())
            print(
                f"{dialogue_id}: epoch {session.epoch} seq {session.seq} "
                f"phase {session.state.dialogue.phase.value} "
                f"questions {len(session.state.questions)} {dict(sorted(statuses.items()))}"
            )
        return 0
    finally:
        await log.close()


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="session-server", description=__doc__)
    parser.add_argument("--store", default=settings.store_url, help="event log URL")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="create the demo dialogue in the store (once)")
    sub.add_parser("check", help="replay every dialogue in the store and summarise it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "demo":
        return asyncio.run(_demo(settings, args.store))
    if args.command == "check":
        return asyncio.run(_check(settings, args.store))
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
