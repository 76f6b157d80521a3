"""Micro-benchmarks of the core and the SQLite event log. Not a test.

Run ``.venv/bin/python bench/core_bench.py [--seconds 3] [--batch 50]``. Prints:

(a) commands decided and applied per second by ``session_server.core`` for a
    mix of a live dialogue: phones submitting and voting, bridge operators
    submitting, a moderator approving, rejecting, reordering and running the
    floor, a secretary recording answers;
(b) ``SQLiteEventLog.append`` rates on a temporary file: one event per
    append with ``synchronous=FULL`` and ``NORMAL``, and batches;
(c) replay: events per second read back from SQLite and folded into a fresh
    ``State``, as a process does when it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from session_server.core import Actor, Role, SessionError, State, apply, decide
from session_server.core import commands as c
from session_server.core.codec import event_to_dict
from session_server.core.events import Event, QuestionAnswered, QuestionSubmitted
from session_server.core.model import BridgeKind, Phase, TimerKind
from session_server.store.sqlite import SQLiteEventLog

ICT = timezone(timedelta(hours=7))
ORGANISER = Actor(Role.ORGANISER)
MODERATOR = Actor(Role.MODERATOR)
SECRETARY = Actor(Role.SECRETARY)
DIALOGUE = "bench"


@dataclass
class Result:
    name: str
    ops: int | None
    """Commands or appends; ``None`` where only events count."""
    events: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        per_op = sorted(self.latencies)
        p50 = f"{per_op[len(per_op) // 2] * 1e6:,.0f}" if per_op else "-"
        p99 = f"{per_op[int(len(per_op) * 0.99)] * 1e6:,.0f}" if per_op else "-"
        ops = "-" if self.ops is None else f"{self.ops / self.seconds:,.0f}"
        return f"{self.name:<44}{ops:>12}{self.events / self.seconds:>12,.0f}{p50:>11}{p99:>11}"


HEADER = f"{'benchmark':<44}{'ops/s':>12}{'events/s':>12}{'p50 µs':>11}{'p99 µs':>11}"


# --- (a) the core ---------------------------------------------------------------------------


class DayMix:
    """Commands of a live dialogue, each valid for the state it is given (mostly:
    a phone may vote twice and be refused, as on the day)."""

    def __init__(self, rng: random.Random, devices: int, bridges: Sequence[str]) -> None:
        self.rng = rng
        self.devices = devices
        self.bridges = list(bridges)
        self.pending: list[int] = []
        self.answered: list[int] = []
        self.submitted: list[tuple[Actor, str, str]] = []
        self.made = 0

    def observe(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, QuestionSubmitted):
                self.pending.append(event.question_id)
            elif isinstance(event, QuestionAnswered):
                self.answered.append(event.question_id)

    def next(self, state: State) -> c.Command:
        r = self.rng.random()
        if r < 0.50 and state.queue:
            return c.Vote(self._phone(), self.rng.choice(state.queue))
        if r < 0.58 and self.pending:
            return c.ApproveQuestion(MODERATOR, self._take_pending())
        if r < 0.62 and self.pending:
            return c.RejectQuestion(MODERATOR, self._take_pending(), "Trùng nội dung đã hỏi")
        if r < 0.63 and len(state.queue) > 1:
            return c.MoveQuestion(MODERATOR, self.rng.choice(state.queue), 0)
        if r < 0.68:
            return self._floor_step(state)
        if r < 0.70 and self.answered:
            question_id = self.rng.choice(self.answered)
            if self.rng.random() < 0.5:
                return c.RecordAnswerSummary(SECRETARY, question_id, f"Tóm tắt trả lời {r:.6f}")
            return c.AddCommitment(
                SECRETARY, question_id, "Tổ chức lớp nghề", "Sở LĐTBXH", by_when=date(2026, 12, 31)
            )
        if r < 0.72 and self.submitted:
            actor, key, bridge = self.rng.choice(self.submitted)
            return c.SubmitQuestion(actor, "Gửi lại do mạng chập chờn", key, bridge)
        return self._submit(r < 0.75)

    def _phone(self) -> Actor:
        return Actor(Role.ATTENDEE, device_id=f"dev-{self.rng.randrange(self.devices):06d}")

    def _take_pending(self) -> int:
        i = self.rng.randrange(len(self.pending))
        self.pending[i], self.pending[-1] = self.pending[-1], self.pending[i]
        return self.pending.pop()

    def _submit(self, from_bridge: bool) -> c.SubmitQuestion:
        self.made += 1
        bridge = self.rng.choice(self.bridges)
        actor = Actor(Role.BRIDGE_OPERATOR, bridge_id=bridge) if from_bridge else self._phone()
        key = f"q{self.made:08d}"
        self.submitted.append((actor, key, bridge))
        return c.SubmitQuestion(
            actor,
            f"Câu hỏi {self.made}: Đề nghị tỉnh cho biết kế hoạch hỗ trợ thanh niên khởi "
            f"nghiệp và chuyển đổi số ở {bridge} trong năm tới ra sao?",
            key,
            bridge,
            topic_id=self.rng.choice(("viec-lam", "chuyen-doi-so", None)),
            asker_name="Nguyễn Thị Hoa",
            asker_unit="Đoàn xã",
            asker_public=self.rng.random() < 0.3,
        )

    def _floor_step(self, state: State) -> c.Command:
        floor = state.floor
        if floor.holder is None:
            if not state.queue:
                return self._submit(False)
            question_id = state.queue[0]
            bridge = state.questions[question_id].bridge_id
            return c.GiveFloor(MODERATOR, bridge, question_id=question_id, question_seconds=60)
        if floor.question_id is None:
            return c.ReleaseFloor(MODERATOR)
        if floor.answer_ends_at is None:
            return c.StartTimer(MODERATOR, TimerKind.ANSWER, 180)
        if self.rng.random() < 0.2:
            return c.ForwardQuestion(MODERATOR, floor.question_id, "Sở Giáo dục và Đào tạo")
        return c.MarkAnswered(MODERATOR, floor.question_id)


def build_dialogue(bridges: int, start: datetime) -> tuple[State, list[Event], list[str]]:
    ids = ["hoi-truong", *(f"xa-{n:02d}" for n in range(1, bridges))]
    setup: list[c.Command] = [
        c.CreateDialogue(ORGANISER, "Đối thoại với thanh niên tỉnh năm 2026", place="Hội trường"),
        *(
            c.SetBridgePoint(
                ORGANISER, b, f"Điểm cầu {b}", kind=BridgeKind.MAIN if i == 0 else BridgeKind.REMOTE
            )
            for i, b in enumerate(ids)
        ),
        c.SetSpeaker(ORGANISER, "pct", "Phó Chủ tịch UBND tỉnh"),
        c.SetSpeaker(ORGANISER, "gd-so", "Giám đốc Sở LĐTBXH"),
        c.SetTopic(ORGANISER, "viec-lam", "Việc làm", speaker_ids=("gd-so",)),
        c.SetTopic(ORGANISER, "chuyen-doi-so", "Chuyển đổi số", speaker_ids=("pct",)),
        c.ChangePhase(ORGANISER, Phase.INTAKE),
        c.ChangePhase(ORGANISER, Phase.LIVE),
        c.SetPublicList(MODERATOR, True),
    ]
    state = State()
    events: list[Event] = []
    for command in setup:
        for event in decide(state, command, start):
            apply(state, event)
            events.append(event)
    return state, events, ids


def bench_core(seconds: float, devices: int, bridges: int) -> tuple[Result, list[Event], str]:
    now = datetime(2026, 3, 26, 8, 0, tzinfo=ICT)
    state, events, bridge_ids = build_dialogue(bridges, now)
    setup_events = len(events)
    mix = DayMix(random.Random(2026), devices, bridge_ids)
    kinds: Counter[str] = Counter()
    kind_time: defaultdict[str, float] = defaultdict(float)
    latencies: list[float] = []
    refused = 0
    clock = time.perf_counter
    stop = clock() + seconds
    while clock() < stop:
        for _ in range(1000):
            command = mix.next(state)
            now += timedelta(milliseconds=10)
            t0 = clock()
            try:
                made = decide(state, command, now)
                for event in made:
                    apply(state, event)
            except SessionError:
                made = []
                refused += 1
            latencies.append(clock() - t0)
            kinds[type(command).__name__] += 1
            kind_time[type(command).__name__] += latencies[-1]
            events.extend(made)
            mix.observe(made)
    spent = sum(latencies)
    commands = len(latencies)
    made_events = len(events) - setup_events
    share = "\n".join(
        f"  {k:<20}{n / commands:>6.1%}{kind_time[k] / n * 1e6:>8.1f} µs mean"
        for k, n in kinds.most_common()
    )
    note = (
        f"core mix: {commands:,} commands ({refused:,} refused), {len(state.questions):,} "
        f"questions, queue {len(state.queue):,}, {devices:,} devices, {bridges} bridge points\n"
        f"{share}"
    )
    result = Result("core decide+apply (live mix)", commands, made_events, spent, latencies)
    return result, events, note


# --- (b) SQLite appends ----------------------------------------------------------------------


async def bench_appends(
    directory: Path, events: Sequence[Event], seconds: float, batch: int, synchronous: str
) -> Result:
    log = SQLiteEventLog(directory / f"append-{batch}-{synchronous}.db", synchronous=synchronous)
    try:
        seq = (await log.head(DIALOGUE)).seq
        latencies: list[float] = []
        clock = time.perf_counter
        start = clock()
        stop = start + seconds
        i = 0
        while clock() < stop:
            chunk = [events[(i + k) % len(events)] for k in range(batch)]
            i += batch
            t0 = clock()
            seq = await log.append(DIALOGUE, chunk, seq)
            latencies.append(clock() - t0)
        spent = clock() - start
    finally:
        await log.close()
    name = f"sqlite append {batch} event{'s' if batch > 1 else ''}, synchronous={synchronous}"
    return Result(name, len(latencies), seq, spent, latencies)


# --- (c) replay ------------------------------------------------------------------------------


async def bench_replay(directory: Path, events: Sequence[Event], page: int) -> list[Result]:
    path = directory / "replay.db"
    log = SQLiteEventLog(path, synchronous="NORMAL")
    try:
        for start in range(0, len(events), 1000):
            await log.append(DIALOGUE, events[start : start + 1000], start)
    finally:
        await log.close()

    log = SQLiteEventLog(path)
    clock = time.perf_counter
    read_time = apply_time = 0.0
    state = State()
    seq = 0
    try:
        while True:
            t0 = clock()
            records = await log.read(DIALOGUE, after_seq=seq, limit=page)
            t1 = clock()
            for record in records:
                apply(state, record.event)
            apply_time += clock() - t1
            read_time += t1 - t0
            if not records:
                break
            seq = records[-1].seq
    finally:
        await log.close()
    assert seq == len(events)
    return [
        Result(f"replay: read+decode from sqlite ({page}/read)", None, seq, read_time, []),
        Result("replay: apply to a fresh State", None, seq, apply_time, []),
        Result("replay: total", None, seq, read_time + apply_time, []),
    ]


# --- main ------------------------------------------------------------------------------------


async def bench_store(
    args: argparse.Namespace, events: list[Event], directory: Path
) -> list[Result]:
    results = []
    for batch in (1, args.batch):
        for synchronous in ("FULL", "NORMAL"):
            results.append(await bench_appends(directory, events, args.seconds, batch, synchronous))
    results.extend(await bench_replay(directory, events, args.page))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each timed run")
    parser.add_argument("--batch", type=int, default=50, help="events per batched append")
    parser.add_argument("--page", type=int, default=1000, help="events per read when replaying")
    parser.add_argument("--devices", type=int, default=5000, help="phones in the hall")
    parser.add_argument("--bridges", type=int, default=20, help="bridge points, main included")
    parser.add_argument("--dir", type=Path, default=None, help="directory for the SQLite files")
    args = parser.parse_args()

    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}"
    )
    core, events, note = bench_core(args.seconds, args.devices, args.bridges)
    with tempfile.TemporaryDirectory(prefix="core-bench-", dir=args.dir) as tmp:
        print(f"SQLite files in {tmp}")
        store = asyncio.run(bench_store(args, events, Path(tmp)))
    print()
    print(HEADER)
    print("-" * len(HEADER))
    for result in (core, *store):
        print(result.row())
    print()
    print(note)
    print(f"replayed log: {len(events):,} events, mean {statistics.mean(_sizes(events)):.0f} bytes")


def _sizes(events: Sequence[Event]) -> list[int]:
    return [
        len(json.dumps(event_to_dict(e), ensure_ascii=False, separators=(",", ":")).encode())
        for e in events[:: max(1, len(events) // 2000)]
    ]


if __name__ == "__main__":
    main()
