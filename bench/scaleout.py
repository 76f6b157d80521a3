"""Scale-out benchmark: 2 processes on Redis versus 1 process on SQLite. Not a test.

Run ``.venv/bin/python bench/scaleout.py`` (about 15-20 minutes on 2 cores
with the default 3 runs) or ``--quick``. Same machine, same run, only
127.0.0.1, everything torn down. It reuses ``bench/fanout.py``'s machinery
(the phone client process, the moderator socket, the rounds) and, in each of
``--runs`` runs (default 3), one setup after the other:

- **sqlite ×1**: one ``session-server`` on a SQLite file;
- **redis ×2**: a private ``redis-server`` (AOF on, ``appendfsync always``,
  as in ``docker-compose.yml``) and two ``session-server`` processes on it,
  the first seeding the demo; phones are spread evenly over both, the
  moderator is on the first, so half the phones see each update through the
  other process's ``XREAD`` tail;

measures:

1. fan-out to 5,000 then 10,000 phones (``--phones``): time from the
   moderator's command to the last phone's receipt, p50/p99 over rounds;
2. submissions: ``--submit-phones`` phones (on both processes) submit at
   ``--submit-rate`` a second; acknowledged per second, and the p50/p99 time
   from a phone's send to the moderator's screen showing the question;
3. what the Redis log costs an append, in one process, in the same run: one
   event appended to a SQLite log (``synchronous=FULL``) and to the Redis log
   (AOF ``appendfsync always``), alternately, ``--appends`` times each:
   p50/p99 of each, and the difference of the p50s.

Every figure is the median of the runs (with the lowest and highest run).
Then, unless ``--no-fd-check``, **at the descriptor limit**: one server on
SQLite with ``RLIMIT_NOFILE`` ``--fd-limit`` (1,200; ``FD_RESERVE`` at its
default), the moderator connected first, then phones opened 100 at a time
until the server refuses some; then: does the moderator's socket still carry
a command and its update, does a new moderator socket connect, does
``/healthz`` answer.

``--national``, instead of all that: **a national dialogue**, 63 bridge
points (the demo dialogue's twelve and 51 provincial ones, made with the
organiser's commands before the servers start), 30,000 phones
(``--phones-scale`` scales them) on 3 server processes on one Redis, the
phones held by 3 client processes (``RLIMIT_NOFILE`` here is 20,000 per
process: about 10,000 sockets per server and per client), spread over every
server and every bridge point's attendee link; the moderator on the first
server toggles the public list: time to the last phone, p50/p99 (target p99
under 1 s on 2 cores, clients included).

Targets (issue 5): 10,000 phones across 2 processes with p99 under 500 ms
on 2 cores; Redis adding under 5 ms p50 to an append.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import (
    EPOCH,
    NOW,
    Child,
    FanOut,
    Links,
    Moderator,
    PhoneClient,
    Submissions,
    bench_submit,
    free_port,
    http_get,
    median,
    ms,
    pct,
    raise_nofile,
    run_rounds,
    spread,
    start_server,
)

P99_TARGET = 0.5
NATIONAL_P99_TARGET = 1.0
REDIS_ADDED_TARGET = 0.005
DIALOGUE = "an-giang-2024"
NATIONAL_BRIDGES = 63
NATIONAL_PHONES = 30_000
NATIONAL_PROCESSES = 3


@dataclass
class Setup:
    """One setup's results in one run."""

    name: str
    processes: int
    fanouts: list[FanOut] = field(default_factory=list)
    submissions: Submissions | None = None
    appends: dict[str, list[float]] = field(default_factory=dict)
    """In-process append latencies, by log (``sqlite``, ``redis``)."""


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: the Redis setup needs it")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    import socket

    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return proc, port
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def stop_redis(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def compare_appends(urls: dict[str, str], n: int) -> dict[str, list[float]]:
    """``n`` one-event appends to each log, alternately, in this process: the
    seconds each took, by log."""
    from session_server.store import open_log
    from session_server.store.base import EventLog
    from tests.test_store_contract import question

    logs: dict[str, EventLog] = {name: open_log(url) for name, url in urls.items()}
    times: dict[str, list[float]] = {name: [] for name in logs}
    try:
        for log in logs.values():  # connect and create the log, not counted
            await log.append("bench-append", [question(1)], 0)
        for i in range(1, n + 1):
            for name, log in logs.items():
                start = NOW()
                await log.append("bench-append", [question(i + 1)], i)
                times[name].append(NOW() - start)
    finally:
        for log in logs.values():
            await log.close()
    return times


def ws_of(url: str) -> str:
    return url.replace("http://", "ws://").replace("/j/", "/ws/").replace("/s/", "/ws/")


async def page_epoch(links: Links) -> str | None:
    body, _cookie = await asyncio.to_thread(http_get, links.attendees[0])
    match = EPOCH.search(body)
    return match.group(1) if match else None


def spread_urls(links: Links, ports: Sequence[int]) -> list[str]:
    """Every attendee link on every process: phone ``i`` goes to process
    ``i % len(ports)`` and, over the phones, every bridge point to every
    process."""
    first = f"127.0.0.1:{ports[0]}"
    return [ws_of(u).replace(first, f"127.0.0.1:{port}") for u in links.attendees for port in ports]


def head_of(port: int) -> Any:
    async def head() -> int:
        url = f"http://127.0.0.1:{port}/api/v1/dialogues/{DIALOGUE}/public"
        body, _ = await asyncio.to_thread(http_get, url)
        return int(json.loads(body)["seq"])

    return head


def trigger_of(mod: Moderator) -> Any:
    async def trigger(is_open: bool, seq: int) -> float:
        sent_at = NOW()
        await mod.ws.send(
            json.dumps({"action": "set_public_list", "open": "true" if is_open else "false"})
        )
        return sent_at

    return trigger


async def run_setup(
    setup: Setup, args: argparse.Namespace, client: PhoneClient, workdir: Path
) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"{setup.processes}-", dir=workdir))
    secret = secrets.token_urlsafe(32)
    redis_proc = None
    children: list[Child] = []
    pids: list[int] = []
    mod: Moderator | None = None
    try:
        if setup.processes > 1:
            redis_proc, redis_port = start_redis(folder / "redis")
            store = f"redis://127.0.0.1:{redis_port}/0"
            # database 1: the servers on database 0 must not load this log
            setup.appends = await compare_appends(
                {
                    "sqlite": f"sqlite:///{folder}/append.db",
                    "redis": f"redis://127.0.0.1:{redis_port}/1",
                },
                args.appends,
            )
        else:
            store = f"sqlite:///{folder}/b.db"
        ports = [free_port() for _ in range(setup.processes)]
        links = None
        for i, port in enumerate(ports):
            child, got, pid = await start_server(
                folder, port, secret, (), None, store=store, demo=i == 0
            )
            children.append(child)
            pids.append(pid)
            links = links or got
        assert links is not None
        epoch = await page_epoch(links)
        from session_server.web.access import Access

        access = Access(secret)
        ws_urls = spread_urls(links, ports)
        mod = await Moderator.connect(ws_of(links.moderator), epoch)
        await mod.ws.send(json.dumps({"action": "set_public_list", "open": "false"}))
        await asyncio.sleep(1.0)
        head, trigger = head_of(ports[0]), trigger_of(mod)

        connected = 0
        for n in args.phones:
            cookies = [access.new_device()[1] for _ in range(n - connected)]
            # phones already connected keep their place: add the rest
            urls = ws_urls[connected % len(ws_urls) :] + ws_urls[: connected % len(ws_urls)]
            reply = await client.call(
                limit=600,
                cmd="connect",
                urls=urls,
                cookies=cookies,
                n=n - connected,
                epoch=epoch,
                seq=0,
                concurrency=200,
            )
            connected += reply["ok"]
            if reply["failed"]:
                print(f"  {reply['failed']} phones failed to connect: {reply['failures']}")
            await asyncio.sleep(2.0)
            result = FanOut(setup.name, n, connected=connected)
            await run_rounds(
                result,
                client,
                args.rounds,
                args.warmup,
                trigger,
                head,
                args.round_timeout,
                args.gap,
                mod,
                args.verbose,
                pids,
            )
            setup.fanouts.append(result)
            print(
                f"  {setup.name}: {connected:,} phones, time to last phone "
                f"p50 {ms(result.last(0.5))} ms, p99 {ms(result.last(0.99))} ms",
                flush=True,
            )
        if not args.no_submit:
            setup.submissions = await bench_submit(args, client, mod, pids[0], head)
            sub = setup.submissions
            print(
                f"  {setup.name}: {sub.ok:,} submissions acknowledged, "
                f"p99 to the moderator {ms(pct(sub.latencies, 0.99))} ms",
                flush=True,
            )
        if setup.appends:
            print(
                "  one append in this process, p50: "
                + ", ".join(f"{k} {ms(pct(v, 0.5))} ms" for k, v in setup.appends.items()),
                flush=True,
            )
    finally:
        with contextlib.suppress(Exception):
            await client.call(limit=60, cmd="close")
        if mod is not None:
            await mod.close()
        for child in reversed(children):
            await child.stop()
        stop_redis(redis_proc)


def table(runs: list[list[Setup]], args: argparse.Namespace) -> str:
    names = [s.name for s in runs[0]]
    width = 30
    rows = [f"{'':<46}" + "".join(f"{name:>{width}}" for name in names) + "  target"]

    def of(name: str) -> list[Setup]:
        return [s for run in runs for s in run if s.name == name]

    def cell(values: list[float]) -> str:
        if not values:
            return "-"
        text = ms(median(values))
        return f"{text} ({spread(values)})" if len(values) > 1 else text

    def row(label: str, values: list[str], target: str = "") -> None:
        rows.append(f"{label:<46}" + "".join(f"{v:>{width}}" for v in values) + f"  {target}")

    for i, n in enumerate(args.phones):
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            target = "< 500 ms (10,000, 2 procs)" if q == 0.99 and n >= 10_000 else ""
            row(
                f"fan-out to {n:,} phones, last phone {label} (ms)",
                [
                    cell([s.fanouts[i].last(q) for s in of(name) if i < len(s.fanouts)])
                    for name in names
                ],
                target,
            )
    if not args.no_submit:

        def subs(name: str) -> list[Submissions]:
            return [s.submissions for s in of(name) if s.submissions is not None]

        row(
            "submissions acknowledged / s",
            [
                f"{median([x.ok / max(x.send_seconds, 1e-9) for x in subs(name)]):,.0f}"
                for name in names
            ],
        )
        row(
            "submissions refused / unseen (all runs)",
            [
                f"{sum(x.errors for x in subs(name))} / {sum(x.unseen for x in subs(name))}"
                for name in names
            ],
        )
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            row(
                f"submit → moderator screen {label} (ms)",
                [cell([pct(x.latencies, q) for x in subs(name)]) for name in names],
            )
        row(
            "submit → acknowledgement p50 (ms)",
            [cell([pct(x.acks, 0.5) for x in subs(name)]) for name in names],
        )
    appends = [s.appends for s in of(names[-1]) if s.appends]
    if appends:
        rows.append("")
        rows.append(
            "one append of one event, in this process, the logs alternately in the same run "
            f"({args.appends} each per run):"
        )
        rows.append(f"{'':<46}{'p50 (ms)':>{width}}{'p99 (ms)':>{width}}")
        for log, label in (
            ("sqlite", "SQLite (synchronous=FULL)"),
            ("redis", "Redis (AOF appendfsync always)"),
        ):
            rows.append(
                f"  {label:<44}{cell([pct(a[log], 0.5) for a in appends]):>{width}}"
                f"{cell([pct(a[log], 0.99) for a in appends]):>{width}}"
            )
        added = [pct(a["redis"], 0.5) - pct(a["sqlite"], 0.5) for a in appends]
        rows.append(
            f"  {'Redis minus SQLite (p50 of each run)':<44}{cell(added):>{width}}"
            f"{'':>{width}}  target < 5 ms: "
            + ("MET" if median(added) < REDIS_ADDED_TARGET else "MISSED")
        )
    return "\n".join(rows)


def runs_range(values: list[float]) -> str:
    text = spread(values)
    return f"({text})" if text else ""


# --- the national dialogue ----------------------------------------------------------------------


class Clients(PhoneClient):
    """Several phone client processes driven as one: ``arm`` and ``wait`` go
    to each, their answers merged (so ``run_rounds`` times every phone)."""

    def __init__(self, clients: list[PhoneClient]) -> None:
        super().__init__(clients[0].proc)
        self.clients = clients

    @classmethod
    async def start_many(cls, count: int) -> Clients:
        return cls([await PhoneClient.start() for _ in range(count)])

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.clients]

    async def call(self, limit: float = 120, **cmd: Any) -> dict[str, Any]:
        replies = await asyncio.gather(*(c.call(limit, **cmd) for c in self.clients))
        if cmd.get("cmd") == "arm":
            return {
                "armed": sum(r["armed"] for r in replies),
                "cpu": sum(r["cpu"] for r in replies),
            }
        if cmd.get("cmd") == "wait":
            codes: Counter[str] = Counter()
            for r in replies:
                codes.update(r["close_codes"])
            return {
                "times": [t for r in replies for t in r["times"]],
                "missing": sum(r["missing"] for r in replies),
                "sample": next((r["sample"] for r in replies if r["sample"]), ""),
                "open": sum(r["open"] for r in replies),
                "close_codes": dict(codes),
                "cpu": sum(r["cpu"] for r in replies),
            }
        return replies[0]

    async def connect_split(
        self, urls: list[str], cookies: list[str], **cmd: Any
    ) -> dict[str, Any]:
        """Phone ``i`` (``urls[i % len(urls)]``, ``cookies[i]``) to the
        clients in equal blocks, every client at once."""
        per = math.ceil(len(cookies) / len(self.clients))

        def mine(k: int) -> list[str]:
            start = (k * per) % len(urls)
            return urls[start:] + urls[:start]

        replies = await asyncio.gather(
            *(
                c.call(
                    limit=900,
                    cmd="connect",
                    urls=mine(k),
                    cookies=cookies[k * per : (k + 1) * per],
                    n=len(cookies[k * per : (k + 1) * per]),
                    **cmd,
                )
                for k, c in enumerate(self.clients)
            )
        )
        failures: Counter[str] = Counter()
        for r in replies:
            failures.update(r["failures"])
        return {
            "ok": sum(r["ok"] for r in replies),
            "failed": sum(r["failed"] for r in replies),
            "failures": dict(failures.most_common(5)),
            "seconds": max(r["seconds"] for r in replies),
        }

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.clients))


async def seed_national(store: str) -> None:
    """The demo dialogue with 63 bridge points, through the organiser's
    commands, as ``session-server demo`` makes the demo: its twelve and 51
    provincial ones (the main hall stays the demo's)."""
    from datetime import UTC, datetime

    from session_server.core import commands as c
    from session_server.core.model import Actor, BridgeKind, Role
    from session_server.demo import DEMO_BRIDGES, DEMO_DIALOGUE_ID, demo_commands
    from session_server.runtime.session import DialogueSession
    from session_server.store import open_log

    assert DEMO_DIALOGUE_ID == DIALOGUE
    now = datetime.now(UTC)
    commands = demo_commands(now)
    last = max(i for i, cmd in enumerate(commands) if isinstance(cmd, c.SetBridgePoint))
    organiser = Actor(Role.ORGANISER)
    extra = [
        c.SetBridgePoint(
            organiser,
            f"tinh-{k:02d}",
            f"Điểm cầu tỉnh số {k}",
            BridgeKind.REMOTE,
            f"Cán bộ điểm cầu {k}",
            600,
        )
        for k in range(len(DEMO_BRIDGES) + 1, NATIONAL_BRIDGES + 1)
    ]
    commands[last + 1 : last + 1] = extra
    log = open_log(store)
    try:
        session = DialogueSession(log, DEMO_DIALOGUE_ID)
        await session.load()
        await session.execute_all(commands, now)
        bridges = len(session.state.bridges)
    finally:
        await log.close()
    if bridges != NATIONAL_BRIDGES:
        raise RuntimeError(f"the national dialogue has {bridges} bridge points")


async def national(args: argparse.Namespace, workdir: Path) -> int:
    total = max(NATIONAL_PROCESSES, round(NATIONAL_PHONES * args.phones_scale))
    per_process = math.ceil(total / NATIONAL_PROCESSES)
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if nofile < per_process + 300:
        print(
            f"RLIMIT_NOFILE is {nofile}: fewer than the {per_process + 300} descriptors each "
            "server and each client process needs; expect failed connections"
        )
    folder = Path(tempfile.mkdtemp(prefix="national-", dir=workdir))
    secret = secrets.token_urlsafe(32)
    redis_proc = None
    children: list[Child] = []
    pids: list[int] = []
    mod: Moderator | None = None
    clients: Clients | None = None
    started = NOW()
    try:
        redis_proc, redis_port = start_redis(folder / "redis")
        store = f"redis://127.0.0.1:{redis_port}/0"
        await seed_national(store)
        ports = [free_port() for _ in range(NATIONAL_PROCESSES)]
        links = None
        for i, port in enumerate(ports):
            child, got, pid = await start_server(
                folder, port, secret, (), None, store=store, demo=i == 0
            )
            children.append(child)
            pids.append(pid)
            links = links or got
        assert links is not None
        print(
            f"[{NOW() - started:5.0f} s] {NATIONAL_PROCESSES} servers on one Redis, "
            f"{len(links.attendees)} attendee links; connecting {total:,} phones "
            f"from {NATIONAL_PROCESSES} client processes",
            flush=True,
        )
        epoch = await page_epoch(links)
        from session_server.web.access import Access

        access = Access(secret)
        mod = await Moderator.connect(ws_of(links.moderator), epoch)
        await mod.ws.send(json.dumps({"action": "set_public_list", "open": "false"}))
        await asyncio.sleep(1.0)
        clients = await Clients.start_many(NATIONAL_PROCESSES)
        cookies = [access.new_device()[1] for _ in range(total)]
        reply = await clients.connect_split(
            spread_urls(links, ports), cookies, epoch=epoch, seq=0, concurrency=150
        )
        rss = [
            int(line.split()[1])
            for pid in pids
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        ]
        print(
            f"[{NOW() - started:5.0f} s] {reply['ok']:,} phones connected in "
            f"{reply['seconds']:.0f} s ({reply['failed']} failed"
            + (f": {reply['failures']}" if reply["failed"] else "")
            + "); servers' RSS "
            + ", ".join(f"{r / 1024:.0f}" for r in rss)
            + " MiB",
            flush=True,
        )
        await asyncio.sleep(3.0)
        results: list[FanOut] = []
        for run in range(args.runs):
            result = FanOut(f"national, run {run + 1}", total, connected=reply["ok"])
            await run_rounds(
                result,
                clients,
                args.rounds,
                args.warmup,
                trigger_of(mod),
                head_of(ports[0]),
                args.round_timeout,
                max(args.gap, 1.0),
                mod,
                args.verbose,
                pids,
            )
            results.append(result)
            print(
                f"[{NOW() - started:5.0f} s] run {run + 1}/{args.runs}: time to last phone "
                f"p50 {ms(result.last(0.5))} ms, p99 {ms(result.last(0.99))} ms; "
                f"other processes {result.other_load:.2f} cores",
                flush=True,
            )
    finally:
        if clients is not None:
            with contextlib.suppress(Exception):
                await clients.call(limit=120, cmd="close")
            await clients.stop()
        if mod is not None:
            await mod.close()
        for child in reversed(children):
            await child.stop()
        stop_redis(redis_proc)

    p50s = [r.last(0.5) for r in results]
    p99s = [r.last(0.99) for r in results]
    every = [x for r in results for round_ in r.rounds for x in round_.every]
    p99 = median(p99s)
    print()
    print(
        f"national dialogue: {NATIONAL_BRIDGES} bridge points, {reply['ok']:,} of {total:,} "
        f"phones on {NATIONAL_PROCESSES} processes on one Redis, {os.cpu_count()} cores "
        f"(clients included); {args.rounds} rounds after {args.warmup} warm-up per run, "
        f"median of {args.runs} run(s)"
    )
    print(f"  time to last phone p50 (ms)   {ms(median(p50s)):>10}  {runs_range(p50s)}")
    print(
        f"  time to last phone p99 (ms)   {ms(p99):>10}  {runs_range(p99s)}  target < 1,000 ms: "
        + ("MET" if p99 < NATIONAL_P99_TARGET else "MISSED")
    )
    for kind in ("closed", "open"):
        sizes = [r.size for x in results for r in x.of(kind)]
        if sizes:
            print(
                f"  {kind} list ({int(median(sizes)):,} B a phone): last phone p50 / p99 (ms) "
                f"{ms(median([r.last(0.5, kind) for r in results]))} / "
                f"{ms(median([r.last(0.99, kind) for r in results]))}"
            )
    print(
        f"  every phone's latency p50 / p99 (ms, all runs)  {ms(pct(every, 0.5))} / "
        f"{ms(pct(every, 0.99))}"
    )
    print(
        f"  moderator's own update p50 (ms)  "
        f"{ms(median([r.moderator for x in results for r in x.rounds]))}; missing "
        f"{sum(r.missing for x in results for r in x.rounds)}; update sizes "
        f"{sorted({r.size for x in results for r in x.rounds})} B; other processes "
        f"{median([r.other_load for r in results]):.2f} cores"
    )
    return 0 if reply["ok"] == total else 1


# --- at the descriptor limit ----------------------------------------------------------------------


async def fd_check(args: argparse.Namespace, client: PhoneClient, workdir: Path) -> list[str]:
    """One server at ``RLIMIT_NOFILE`` ``args.fd_limit``, filled with phones
    until it refuses some: what still works."""
    folder = Path(tempfile.mkdtemp(prefix="fd-", dir=workdir))
    secret = secrets.token_urlsafe(32)
    port = free_port()
    child, links, pid = await start_server(folder, port, secret, (), None, nofile=args.fd_limit)
    mod: Moderator | None = None
    late: Moderator | None = None
    lines: list[str] = []
    try:
        epoch = await page_epoch(links)
        from session_server.web.access import Access

        access = Access(secret)
        mod = await Moderator.connect(ws_of(links.moderator), epoch)
        position = await head_of(port)()  # (at the limit, a plain request may be refused)
        urls = [ws_of(u) for u in links.attendees]
        connected = refused = 0
        failures: dict[str, int] = {}
        while connected < args.fd_limit * 2:
            reply = await client.call(
                limit=120,
                cmd="connect",
                urls=urls,
                cookies=[access.new_device()[1] for _ in range(100)],
                n=100,
                epoch=epoch,
                seq=0,
                concurrency=100,
            )
            connected += reply["ok"]
            if reply["failed"]:
                refused, failures = reply["failed"], reply["failures"]
                break
        await asyncio.sleep(1.0)
        lines.append(
            f"server RLIMIT_NOFILE {args.fd_limit} (FD_RESERVE default): {connected:,} phones "
            f"connected, then {refused} of the next 100 refused {failures}; "
            f"open descriptors {len(os.listdir(f'/proc/{pid}/fd'))}"
        )
        # the moderator connected before: a command and its update
        seq = max(position, mod.seq) + 1
        armed = await client.call(cmd="arm", seq=seq)
        sent = await trigger_of(mod)(True, seq)
        got = await client.call(limit=60, cmd="wait", timeout=10)
        arrival = mod.arrival(seq)
        lines.append(
            "moderator connected before the phones: command and update "
            + (f"OK in {ms(arrival - sent)} ms" if arrival is not None else "NOT RECEIVED")
            + f"; phones updated {len(got['times'])} of {armed['armed']}"
        )
        try:
            late = await asyncio.wait_for(Moderator.connect(ws_of(links.moderator), epoch), 15)
            lines.append(f"a new moderator socket at the limit: OK (position {late.seq})")
        except Exception as error:
            lines.append(f"a new moderator socket at the limit: FAILED ({error!r:.120})")
        try:
            body, _ = await asyncio.to_thread(http_get, f"http://127.0.0.1:{port}/healthz")
            lines.append(f"/healthz at the limit: OK ({body.strip()[:60]!r})")
        except Exception as error:
            lines.append(f"/healthz at the limit: FAILED ({error!r:.120})")
    finally:
        with contextlib.suppress(Exception):
            await client.call(limit=60, cmd="close")
        for each in (late, mod):
            if each is not None:
                await each.close()
        await child.stop()
    return lines


# --- main -----------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    raise_nofile()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="scaleout-"))
    started = NOW()
    try:
        if args.national:
            return await national(args, workdir)
        client = await PhoneClient.start()
        runs: list[list[Setup]] = []
        fd_lines: list[str] = []
        try:
            if not args.fd_only:
                for number in range(args.runs):
                    setups = [Setup("sqlite ×1", 1), Setup("redis ×2", 2)]
                    for setup in setups:
                        print(
                            f"[{NOW() - started:5.0f} s] run {number + 1}/{args.runs}: "
                            f"{setup.name}",
                            flush=True,
                        )
                        await run_setup(setup, args, client, workdir)
                    runs.append(setups)
            if not args.no_fd_check:
                print(f"[{NOW() - started:5.0f} s] at the descriptor limit", flush=True)
                fd_lines = await fd_check(args, client, workdir)
        finally:
            await client.stop()
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    if runs:
        print(
            f"scale-out on {os.cpu_count()} cores, {NOW() - started:.0f} s; median of "
            f"{len(runs)} run(s) (lowest–highest run) ({args.rounds} rounds per size; "
            f"submissions {args.submit_rate:g}/s for {args.submit_seconds:g} s from "
            f"{args.submit_phones} phones)"
        )
        print(table(runs, args))
        other = [f.other_load for run in runs for s in run for f in s.fanouts]
        print(f"  other processes meanwhile: {median(other):.2f} cores (median of the sizes)")
    if fd_lines:
        print()
        print("at the descriptor limit:")
        for line in fd_lines:
            print(f"  {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--phones", default="5000,10000", help="comma-separated phone counts, ascending"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="figures are medians of the runs (3; --quick 1)"
    )
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.3)
    parser.add_argument("--round-timeout", type=float, default=10.0)
    parser.add_argument("--submit-rate", type=float, default=100.0)
    parser.add_argument("--submit-seconds", type=float, default=15.0)
    parser.add_argument("--submit-phones", type=int, default=200)
    parser.add_argument("--no-submit", action="store_true")
    parser.add_argument(
        "--appends", type=int, default=500, help="in-process appends to each log, per run"
    )
    parser.add_argument("--no-fd-check", action="store_true", help="skip the descriptor check")
    parser.add_argument(
        "--fd-check", dest="fd_only", action="store_true", help="only the descriptor check"
    )
    parser.add_argument("--fd-limit", type=int, default=1200, help="the checked server's limit")
    parser.add_argument(
        "--national",
        action="store_true",
        help="only the national dialogue: 63 bridge points, 30,000 phones, 3 processes, 1 Redis",
    )
    parser.add_argument(
        "--phones-scale",
        type=float,
        default=1.0,
        help="with --national: scale the 30,000 phones (0.05: 1,500)",
    )
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 and 2,000 phones, 5 rounds, 1 run"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=3600,
        help="stop everything after this long, whatever is left",
    )
    parser.add_argument("--dir", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.phones, args.rounds, args.submit_seconds = "1000,2000", 5, 5.0
        args.appends = min(args.appends, 200)
    if args.national and not args.quick and "--rounds" not in (argv or sys.argv):
        args.rounds = 10
    args.runs = max(1, args.runs if args.runs is not None else (1 if args.quick else 3))
    args.phones = sorted(int(p) for p in str(args.phones).split(","))

    async def bounded() -> int:
        return await asyncio.wait_for(run(args), args.max_seconds)

    try:
        return asyncio.run(bounded())
    except TimeoutError:
        print(f"stopped after --max-seconds {args.max_seconds:.0f}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
