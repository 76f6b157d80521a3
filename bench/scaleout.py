"""Scale-out benchmark: 2 processes on Redis versus 1 process on SQLite. Not a test.

Run ``.venv/bin/python bench/scaleout.py`` (about 5-7 minutes on 2 cores) or
``--quick``. Same machine, same run, only 127.0.0.1, everything torn down.
It reuses ``bench/fanout.py``'s machinery (the phone client process, the
moderator socket, the rounds) and, for each setup:

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
   ``--submit-rate`` a second; acknowledged per second, and the p99 time from
   a phone's send to the moderator's screen showing the question;
3. the Redis path's added latency per submission: p50 of the phones'
   submit-to-acknowledgement time, Redis minus SQLite; and, in this process,
   p50 of one ``append`` on each log (AOF always vs. SQLite ``synchronous=FULL``).

Targets (issue 5): 10,000 phones across 2 processes with p99 under 500 ms
on 2 cores; Redis adding under 5 ms p50 to a submission.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import (
    EPOCH,
    NOW,
    Child,
    FanOut,
    Moderator,
    PhoneClient,
    Submissions,
    bench_submit,
    free_port,
    http_get,
    ms,
    pct,
    raise_nofile,
    run_rounds,
    start_server,
)

P99_TARGET = 0.5
REDIS_ADDED_TARGET = 0.005


@dataclass
class Setup:
    name: str
    processes: int
    fanouts: list[FanOut] = field(default_factory=list)
    submissions: Submissions | None = None
    append_p50: float = math.nan


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


async def append_p50(url: str, n: int = 300) -> float:
    from session_server.store import open_log
    from session_server.store.base import EventLog
    from tests.test_store_contract import question

    log: EventLog = open_log(url)
    times = []
    try:
        for i in range(n):
            start = NOW()
            await log.append("bench-append", [question(i + 1)], i)
            times.append(NOW() - start)
    finally:
        await log.close()
    return pct(times, 0.5)


async def run_setup(
    setup: Setup, args: argparse.Namespace, client: PhoneClient, workdir: Path
) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"{setup.name}-", dir=workdir))
    secret = secrets.token_urlsafe(32)
    redis_proc = None
    children: list[Child] = []
    pids: list[int] = []
    mod: Moderator | None = None
    try:
        if setup.processes > 1:
            redis_proc, redis_port = start_redis(folder / "redis")
            store = f"redis://127.0.0.1:{redis_port}/0"
            # (database 1: the servers on database 0 must not load this log)
            setup.append_p50 = await append_p50(f"redis://127.0.0.1:{redis_port}/1")
        else:
            store = f"sqlite:///{folder}/b.db"
            setup.append_p50 = await append_p50(f"sqlite:///{folder}/append.db")
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
        body, _cookie = await asyncio.to_thread(http_get, links.attendees[0])
        match = EPOCH.search(body)
        epoch = match.group(1) if match else None
        from session_server.web.access import Access

        access = Access(secret)
        first = f"127.0.0.1:{ports[0]}"
        # phone i goes to process i % processes (22 urls for 11 links and 2 processes)
        ws_urls = [
            u.replace("http://", "ws://")
            .replace("/j/", "/ws/")
            .replace(first, f"127.0.0.1:{ports[i % len(ports)]}")
            for i, u in enumerate(links.attendees * len(ports))
        ]
        mod_url = links.moderator.replace("http://", "ws://").replace("/s/", "/ws/")
        mod = moderator = await Moderator.connect(mod_url, epoch)
        await mod.ws.send(json.dumps({"action": "set_public_list", "open": "false"}))
        await asyncio.sleep(1.0)

        async def head() -> int:
            url = f"http://127.0.0.1:{ports[0]}/api/v1/dialogues/an-giang-2024/public"
            body, _ = await asyncio.to_thread(http_get, url)
            return int(json.loads(body)["seq"])

        async def trigger(is_open: bool, seq: int) -> float:
            sent_at = NOW()
            await moderator.ws.send(
                json.dumps({"action": "set_public_list", "open": "true" if is_open else "false"})
            )
            return sent_at

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
    finally:
        with contextlib.suppress(Exception):
            await client.call(limit=60, cmd="close")
        if mod is not None:
            await mod.close()
        for child in reversed(children):
            await child.stop()
        if redis_proc is not None:
            redis_proc.send_signal(signal.SIGTERM)
            try:
                redis_proc.wait(10)
            except subprocess.TimeoutExpired:
                redis_proc.kill()
                redis_proc.wait()


def table(setups: list[Setup], args: argparse.Namespace) -> str:
    rows = [f"{'':<44}" + "".join(f"{s.name:>16}" for s in setups) + "      target"]

    def row(label: str, values: list[str], target: str = "") -> None:
        rows.append(f"{label:<44}" + "".join(f"{v:>16}" for v in values) + f"  {target}")

    for i, n in enumerate(args.phones):
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            target = "< 500 ms (10,000, 2 procs)" if q == 0.99 and n >= 10_000 else ""
            row(
                f"fan-out to {n:,} phones, last phone {label} (ms)",
                [ms(s.fanouts[i].last(q)) if i < len(s.fanouts) else "-" for s in setups],
                target,
            )
    if not args.no_submit:
        subs = [s.submissions for s in setups]
        row(
            "submissions acknowledged / s",
            [f"{x.ok / max(x.send_seconds, 1e-9):,.0f}" if x else "-" for x in subs],
        )
        row(
            "submissions refused / unseen", [f"{x.errors} / {x.unseen}" if x else "-" for x in subs]
        )
        row(
            "submit → moderator screen p50 (ms)",
            [ms(pct(x.latencies, 0.5)) if x else "-" for x in subs],
        )
        row(
            "submit → moderator screen p99 (ms)",
            [ms(pct(x.latencies, 0.99)) if x else "-" for x in subs],
        )
        row("submit → acknowledgement p50 (ms)", [ms(pct(x.acks, 0.5)) if x else "-" for x in subs])
    row("one append p50, in-process (ms)", [ms(s.append_p50) for s in setups])
    if len(setups) == 2:
        added = setups[1].append_p50 - setups[0].append_p50
        row("Redis adds to one append, p50 (ms)", ["", ms(added)], "< 5 ms")
        a, b = setups[0].submissions, setups[1].submissions
        if a and b:
            row(
                "Redis adds to submit → ack, p50 (ms)",
                ["", ms(pct(b.acks, 0.5) - pct(a.acks, 0.5))],
                "< 5 ms",
            )
    return "\n".join(rows)


async def run(args: argparse.Namespace) -> int:
    raise_nofile()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="scaleout-"))
    started = NOW()
    client = await PhoneClient.start()
    setups = [Setup("sqlite ×1", 1), Setup("redis ×2", 2)]
    try:
        for setup in setups:
            print(f"{setup.name}: starting", flush=True)
            await run_setup(setup, args, client, workdir)
    finally:
        await client.stop()
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(
        f"scale-out on {os.cpu_count()} cores, {NOW() - started:.0f} s "
        f"({args.rounds} rounds per size; submissions {args.submit_rate:g}/s for "
        f"{args.submit_seconds:g} s from {args.submit_phones} phones)"
    )
    print(table(setups, args))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--phones", default="5000,10000", help="comma-separated phone counts, ascending"
    )
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.3)
    parser.add_argument("--round-timeout", type=float, default=10.0)
    parser.add_argument("--submit-rate", type=float, default=100.0)
    parser.add_argument("--submit-seconds", type=float, default=15.0)
    parser.add_argument("--submit-phones", type=int, default=200)
    parser.add_argument("--no-submit", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,000 phones, 5 rounds")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.phones, args.rounds, args.submit_seconds = "1000,2000", 5, 5.0
    args.phones = sorted(int(p) for p in str(args.phones).split(","))
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
