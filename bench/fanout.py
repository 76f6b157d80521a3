"""Fan-out, memory and submission benchmark of the live server. Not a test.

Run ``.venv/bin/python bench/fanout.py`` (3 runs, 10 to 15 minutes) or
with ``--quick --runs 1`` (about 1 minute). It starts the real server
(``session-server serve --demo``) on a temporary SQLite file and drives it
over 127.0.0.1 from a separate client process (``bench/_fanout_client.py``)
holding every phone socket, and prints one table with the targets of
DESIGN.md §4 beside the figures:

1. fan-out: N phones (``--phones``, default 1,000 and 5,000) spread over the
   demo's eleven attendee links, each with its own signed device cookie; the
   moderator toggles the public question list (``set_public_list``), which
   changes every phone's ``_phone_public`` fragment; per round, the time
   from sending the command to each phone's receipt of the update (both
   processes read ``CLOCK_MONOTONIC``); p50/p99 of time-to-last-phone over
   the rounds, and of all per-phone latencies;
2. memory: the server's VmRSS before and after connecting N idle phones;
3. peers, each in its own process with the same phones and the same bytes
   (the real update messages, captured), timed the same way: the baseline,
   a minimal ``websockets`` server (asyncio, ``compression=None``)
   broadcasting with ``websockets.broadcast()``; a Starlette endpoint on
   uvicorn looping ``await ws.send_text(msg)``; python-socketio (ASGI, on
   uvicorn) emitting to a room, its phones speaking Engine.IO; each row's
   ratio to the baseline of the same run;
4. submissions: ``--submit-phones`` phones submit questions at
   ``--submit-rate`` a second for ``--submit-seconds`` while the N idle
   phones stay connected; the moderator's screen is watched for each
   question: its unique token in the inbox, or the inbox's "newest #n"
   reaching the number the phone's acknowledgement gave it (the inbox
   lists the oldest 100 waiting questions, so a long burst shows as that).
   The server runs with ``RATE_DEVICE`` and ``RATE_SOCKET`` raised
   (100000/1) so the rate limits do not refuse them.

``--runs`` (default 3) repeats all of it (per phone count the real server,
then each peer); every figure printed is the median of the runs, every ratio
the median of the runs' own ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import resource
import secrets
import shlex
import signal
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLIENT = Path(__file__).with_name("_fanout_client.py")
LINK = re.compile(r"^\s+(?P<label>\S.*?)\s+(?P<url>https?://\S+)$")
SEQ = re.compile(r'data-seq="(\d+)"')
EPOCH = re.compile(r'data-epoch="([^"]*)"')
TOKEN = re.compile(r"bq\d{6}x")
NEWEST = re.compile(r'data-newest="(\d+)"')
RATE_ENV = {
    "RATE_DEVICE": "100000/1",
    "RATE_SOCKET": "100000/1",
    "RATE_DIALOGUE": "100000/1",
    "LIMIT_SCALE": "100000",
    "CONNECTIONS_PER_ADDRESS": "1000000",  # every phone of the benchmark comes from 127.0.0.1
    "SOCKET_SILENCE": "100000",  # the benchmark's phones do not ping
}
NOW = time.monotonic

# --- small helpers ----------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:,.1f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_nofile() -> int:
    """Raise RLIMIT_NOFILE as far as allowed (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    targets = [hard] if hard != resource.RLIM_INFINITY else [1 << 20, 1 << 17, 65536]
    for target in targets:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            continue
    return soft


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """How many cores processes other than ours kept busy over a span: other
    work on the machine (tests, browsers) that the figures share it with."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = [os.getpid(), *pids]
        self.start = (NOW(), machine_busy(), self._ours())

    def _ours(self) -> float:
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def cores(self) -> float:
        wall, busy, ours = self.start
        return max(0.0, (machine_busy() - busy) - (self._ours() - ours)) / (NOW() - wall)


def descendant(pid: int, needle: str) -> int:
    """The deepest process under ``pid`` (itself included) whose command line
    contains ``needle``: the server when it runs under a wrapper (py-spy)."""
    found = pid
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ")
            if needle.encode() in cmdline:
                found = current
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                stack.extend(int(c) for c in (task / "children").read_text().split())
    return found


def die_with_parent() -> None:
    """In a child, before exec: be sent SIGTERM when the benchmark dies, so no
    server outlives it even if it is killed outright (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def http_get(url: str) -> tuple[str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:  # only 127.0.0.1
        body = response.read().decode("utf-8", "replace")
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return body, cookies


# --- processes --------------------------------------------------------------------------------


class Child:
    """A subprocess whose output is drained (and kept, the last lines) so it
    never blocks on a full pipe."""

    def __init__(
        self, proc: asyncio.subprocess.Process, name: str, log: Path | None = None
    ) -> None:
        self.proc = proc
        self.name = name
        self.log = log.open("a", encoding="utf-8") if log else None
        self.lines: deque[str] = deque(maxlen=300)
        self.stdout: asyncio.Queue[str] = asyncio.Queue()
        self.lagging = 0
        self.tasks = [asyncio.create_task(self._drain(proc.stderr, False))]
        self.tasks.append(asyncio.create_task(self._drain(proc.stdout, True)))

    async def _drain(self, stream: asyncio.StreamReader | None, keep: bool) -> None:
        if stream is None:
            return
        while True:
            line = await stream.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\n")
            if "fell behind" in text:
                self.lagging += 1
            if self.log is not None:
                self.log.write(f"{NOW():.3f} {text}\n")
            self.lines.append(text)
            if keep:
                self.stdout.put_nowait(text)

    async def stop(self) -> None:
        proc = self.proc
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for task in self.tasks:
            task.cancel()
        if self.log is not None:
            self.log.close()

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()


class PhoneClient:
    """The separate process that holds the phones (``_fanout_client.py``)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls) -> PhoneClient:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CLIENT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
            preexec_fn=die_with_parent,
        )
        return cls(proc)

    def pids(self) -> list[int]:
        return [self.proc.pid]

    async def call(self, limit: float = 120, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd).encode() + b"\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), limit)
        if not line:
            raise RuntimeError("the phone client process ended")
        result: dict[str, Any] = json.loads(line)
        return result

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await self.call(limit=10, cmd="quit")
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@dataclass
class Links:
    moderator: str
    attendees: list[str]


async def start_server(
    workdir: Path,
    port: int,
    secret: str,
    prefix: Sequence[str],
    log: Path | None,
    store: str | None = None,
    demo: bool = True,
    env_extra: dict[str, str] | None = None,
    nofile: int | None = None,
) -> tuple[Child, Links, int]:
    """The real server; ``nofile``: its RLIMIT_NOFILE, soft and hard (the
    server raises its soft limit to the hard one)."""
    exe = Path(sys.executable).with_name("session-server")
    if not exe.exists():
        exe = ROOT / ".venv" / "bin" / "session-server"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PUBLIC_URL", "SESSION_STORE", "TRUSTED_ORIGINS")
    }
    env.update(RATE_ENV, SECRET_KEY=secret, LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(env_extra or {})

    def before_exec() -> None:
        die_with_parent()
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    argv = [
        *prefix,
        str(exe),
        "--store",
        store or f"sqlite:///{workdir}/b.db",
        "serve",
        *(["--demo"] if demo else []),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=2**20,
        preexec_fn=before_exec,
    )
    child = Child(proc, "session-server", log)
    moderator = ""
    attendees: list[str] = []
    deadline = NOW() + 60
    while True:
        line = await asyncio.wait_for(child.stdout.get(), max(0.1, deadline - NOW()))
        match = LINK.match(line)
        if match:
            label, url = match["label"], match["url"]
            if label.startswith("moderator"):
                moderator = url
            elif label.startswith("attendee"):
                attendees.append(url)
        if "organiser password" in line:
            break
    if not moderator or not attendees:
        raise RuntimeError("could not read the moderator and attendee links")
    while NOW() < deadline:  # uvicorn still has to bind the port
        try:
            await asyncio.to_thread(http_get, f"http://127.0.0.1:{port}/healthz")
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        raise RuntimeError("the server did not answer /healthz")
    pid = descendant(proc.pid, "session-server") if prefix else proc.pid
    return child, Links(moderator, attendees), pid


PEERS = ("websockets", "starlette", "socketio")
"""The servers the real one is compared with, each in its own process, the
same phones, the same captured bytes: ``websockets.broadcast()`` (the
baseline), a Starlette endpoint on uvicorn looping ``await ws.send_text()``,
and python-socketio (ASGI, on uvicorn) emitting to a room."""
PEER_NAMES = {
    "websockets": "websockets.broadcast",
    "starlette": "starlette send_text",
    "socketio": "socketio emit (room)",
}
SOCKETIO_PATH = "/socket.io/?EIO=4&transport=websocket"
FIRST_RENDER = '<div id="pos" data-seq="0"></div>hello'


async def start_peer(kind: str, port: int) -> Child:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__)),
        "--peer-server",
        f"{kind}:{port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    child = Child(proc, kind)
    try:
        line = await asyncio.wait_for(child.stdout.get(), 30)
    except TimeoutError:
        await child.stop()
        raise RuntimeError(f"{kind} server did not start: {list(child.lines)[-5:]}") from None
    if line.strip() != "ready":
        await child.stop()
        raise RuntimeError(f"{kind} server: {line}")
    return child


# --- the moderator ----------------------------------------------------------------------------


class Moderator:
    """The parent's one control socket; notes when each message arrives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seq = 0
        self.arrivals: list[tuple[float, int]] = []
        self.tokens: dict[str, float] | None = None
        self.newest: list[tuple[float, int]] = []
        """(arrival, newest question number on the moderator's screen)"""
        self.messages = 0
        self.bytes = 0
        self.closed: str | None = None
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, epoch: str | None) -> Moderator:
        from websockets.asyncio.client import connect

        ws = await connect(
            url,
            compression=None,
            max_size=None,
            open_timeout=15,
            ping_interval=None,
            max_queue=None,
        )
        await ws.send(json.dumps({"type": "hello", "epoch": epoch, "seq": 0}))
        first = await asyncio.wait_for(ws.recv(), 15)
        mod = cls(ws)
        match = SEQ.search(first if isinstance(first, str) else first.decode())
        mod.seq = int(match.group(1)) if match else 0
        return mod

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in self.ws:
                now = NOW()
                text = message if isinstance(message, str) else message.decode()
                self.messages += 1
                self.bytes += len(text)
                match = SEQ.search(text, 0, 400)
                if match:
                    seq = int(match.group(1))
                    self.seq = max(self.seq, seq)
                    self.arrivals.append((now, seq))
                newest = NEWEST.search(text)
                if newest is not None:
                    self.newest.append((now, int(newest.group(1))))
                if self.tokens is not None:
                    tokens = self.tokens
                    for token in TOKEN.findall(text):
                        if token not in tokens:
                            tokens[token] = now
        except ConnectionClosed as closed:
            self.closed = f"closed {closed.rcvd.code if closed.rcvd else '?'}"

    def shown(self, number: int) -> float | None:
        """When the moderator's screen first showed question ``number``
        arrived (its newest number reached it)."""
        for when, newest in self.newest:
            if newest >= number:
                return when
        return None

    def arrival(self, seq: int) -> float | None:
        for when, got in self.arrivals:
            if got >= seq:
                return when
        return None

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


# --- measurements -----------------------------------------------------------------------------


@dataclass
class Round:
    kind: str
    """``open`` or ``closed``: the public list the phones are shown."""
    size: int
    moderator: float
    first: float
    last: float
    """``inf`` when some phone did not get the update in time."""
    every: list[float]
    missing: int
    client_cpu: float


@dataclass
class FanOut:
    server: str
    phones: int
    connected: int = 0
    connect_seconds: float = 0.0
    rounds: list[Round] = field(default_factory=list)
    samples: dict[bool, str] = field(default_factory=dict)
    rss_before: int = 0
    rss_after: int = 0
    cpu_per_round: float = math.nan
    other_load: float = math.nan
    closed: dict[str, int] = field(default_factory=dict)
    lagging: int = 0

    @property
    def kib_per_phone(self) -> float:
        return (self.rss_after - self.rss_before) / max(1, self.connected)

    def of(self, kind: str | None = None) -> list[Round]:
        return [r for r in self.rounds if kind is None or r.kind == kind]

    def last(self, q: float, kind: str | None = None) -> float:
        return pct([r.last for r in self.of(kind)], q)


@dataclass
class Submissions:
    rate: float
    seconds: float
    submitters: int = 0
    sent: int = 0
    send_seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    unseen: int = 0
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    moderator_messages: int = 0
    moderator_bytes: int = 0
    moderator_closed: str | None = None
    cpu_share: float = math.nan
    other_load: float = math.nan
    closed: dict[str, int] = field(default_factory=dict)
    lagging: int = 0
    events: int = 0


async def run_rounds(
    result: FanOut,
    client: PhoneClient,
    rounds: int,
    warmup: int,
    trigger: Any,
    head: Any,
    timeout: float,
    gap: float,
    mod: Moderator | None = None,
    verbose: bool = False,
    pids: Sequence[int] = (),
) -> None:
    """``trigger(open, seq)`` sends the command and returns its send time;
    ``head()`` is the position the next update will exceed; ``mod``, when
    given, is watched for its own copy of the update."""
    is_open = False
    other = OtherLoad([*client.pids(), *pids])
    for number in range(warmup + rounds):
        is_open = not is_open
        seq = await head() + 1
        armed = await client.call(cmd="arm", seq=seq)
        sent_at = await trigger(is_open, seq)
        reply = await client.call(limit=timeout + 30, cmd="wait", timeout=timeout)
        latencies = sorted(t - sent_at for t in reply["times"])
        result.closed = reply["close_codes"]
        if reply["sample"]:
            result.samples[is_open] = reply["sample"]
        arrival = mod.arrival(seq) if mod is not None else None
        done = Round(
            kind="open" if is_open else "closed",
            size=len(reply["sample"].encode()),
            moderator=arrival - sent_at if arrival is not None else math.nan,
            first=latencies[0] if latencies else math.nan,
            last=latencies[-1] if latencies and not reply["missing"] else math.inf,
            every=latencies,
            missing=reply["missing"],
            client_cpu=reply["cpu"] - armed["cpu"],
        )
        if number >= warmup:
            result.rounds.append(done)
        if verbose:
            print(
                f"    round {number - warmup + 1:>3} {done.kind:<6} {done.size:>7,} B  "
                f"moderator {ms(done.moderator):>7}  first {ms(done.first):>7}  "
                f"last {ms(done.last):>7} ms  missing {done.missing}"
                + ("  (warm-up)" if number < warmup else ""),
                flush=True,
            )
        await asyncio.sleep(gap)
    result.other_load = other.cores()


async def bench_real(
    n: int, args: argparse.Namespace, client: PhoneClient, workdir: Path, submit: bool
) -> tuple[FanOut, Submissions | None]:
    port = free_port()
    secret = secrets.token_urlsafe(32)
    run_dir = Path(tempfile.mkdtemp(prefix=f"real{n}-", dir=workdir))
    log = Path(args.server_log) if args.server_log else None
    child, links, pid = await start_server(
        run_dir, port, secret, shlex.split(args.server_prefix), log
    )
    result = FanOut("session-server", n)
    mod: Moderator | None = None
    try:
        from session_server.web.access import Access

        # one real page per attendee link: its device cookie and position
        cookies: list[str] = []
        epoch = None
        for url in links.attendees[: min(n, len(links.attendees))]:
            body, got = await asyncio.to_thread(http_get, url)
            cookies.append(got["ssd"])
            match = EPOCH.search(body)
            epoch = match.group(1) if match else epoch
        access = Access(secret)  # the rest signed as the page would sign them
        cookies.extend(access.new_device()[1] for _ in range(n - len(cookies)))
        ws_urls = [u.replace("http://", "ws://").replace("/j/", "/ws/") for u in links.attendees]
        mod_url = links.moderator.replace("http://", "ws://").replace("/s/", "/ws/")
        mod = moderator = await Moderator.connect(mod_url, epoch)

        # a first toggle so the rounds start from a closed list
        await mod.ws.send(json.dumps({"action": "set_public_list", "open": "false"}))
        await asyncio.sleep(1.0)
        result.rss_before = rss_kib(pid)
        reply = await client.call(
            limit=600,
            cmd="connect",
            urls=ws_urls,
            cookies=cookies,
            n=n,
            epoch=epoch,
            seq=0,
            concurrency=200,
        )
        result.connected, result.connect_seconds = reply["ok"], reply["seconds"]
        if reply["failed"]:
            print(f"  {reply['failed']} phones failed to connect: {reply['failures']}")
        await asyncio.sleep(2.0)
        result.rss_after = rss_kib(pid)

        async def head() -> int:
            url = f"http://127.0.0.1:{port}/api/v1/dialogues/an-giang-2024/public"
            body, _ = await asyncio.to_thread(http_get, url)
            return int(json.loads(body)["seq"])

        async def trigger(is_open: bool, seq: int) -> float:
            sent_at = NOW()
            await moderator.ws.send(
                json.dumps({"action": "set_public_list", "open": "true" if is_open else "false"})
            )
            return sent_at

        cpu0 = cpu_seconds(pid)
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
            [pid],
        )
        result.cpu_per_round = (cpu_seconds(pid) - cpu0) / (args.rounds + args.warmup)
        result.lagging = child.lagging

        submissions = None
        if submit:
            submissions = await bench_submit(args, client, mod, pid, head)
            submissions.lagging = child.lagging - result.lagging
        print(
            f"  phones: {result.connected} connected in {result.connect_seconds:.1f} s; "
            f"server RSS {result.rss_before / 1024:.0f} → {result.rss_after / 1024:.0f} MiB"
        )
        return result, submissions
    finally:
        with contextlib.suppress(Exception):
            await client.call(limit=60, cmd="close")
        if mod is not None:
            await mod.close()
        await child.stop()
        if child.proc.returncode not in (0, None, -signal.SIGINT):
            print(
                f"  server exited {child.proc.returncode}:", *list(child.lines)[-10:], sep="\n    "
            )


async def bench_submit(
    args: argparse.Namespace, client: PhoneClient, mod: Moderator, pid: int, head: Any
) -> Submissions:
    result = Submissions(args.submit_rate, args.submit_seconds)
    seq0 = await head()
    mod.tokens = {}
    messages0, bytes0 = mod.messages, mod.bytes
    cpu0, wall0 = cpu_seconds(pid), NOW()
    other = OtherLoad([*client.pids(), pid])
    reply = await client.call(
        limit=args.submit_seconds + 120,
        cmd="submit",
        count=args.submit_phones,
        rate=args.submit_rate,
        seconds=args.submit_seconds,
    )
    sent: dict[str, float] = reply["sent"]
    # let the moderator's screen catch up: until every question is seen or 10 s
    numbers: dict[str, int] = reply["numbers"]
    last = max(numbers.values(), default=0)
    deadline = NOW() + 10
    while NOW() < deadline and mod.shown(last) is None and mod.closed is None:
        await asyncio.sleep(0.1)
    result.cpu_share = (cpu_seconds(pid) - cpu0) / (NOW() - wall0)
    result.other_load = other.cores()
    seen = mod.tokens
    mod.tokens = None
    result.submitters = reply["submitters"]
    result.sent = len(sent)
    result.send_seconds = reply["send_seconds"]
    result.ok, result.errors = reply["ok"], reply["errors"]
    result.error_samples = reply["error_samples"]
    # A question is on the moderator's screen once the inbox shows it arrived:
    # its text (while the inbox lists it) or the newest number reaching it.
    shown: dict[str, float] = {}
    for token in sent:
        times = [
            t
            for t in (seen.get(token), mod.shown(numbers[token]) if token in numbers else None)
            if t is not None
        ]
        if times:
            shown[token] = min(times)
    result.latencies = [shown[t] - s for t, s in sent.items() if t in shown]
    result.unseen = sum(1 for t in sent if t not in shown)
    result.acks = [a - sent[t] for t, a in reply["acks"].items()]
    result.moderator_messages = mod.messages - messages0
    result.moderator_bytes = mod.bytes - bytes0
    result.moderator_closed = mod.closed
    result.closed = reply["close_codes"]
    result.events = await head() - seq0
    return result


async def bench_peer(
    kind: str, n: int, args: argparse.Namespace, client: PhoneClient, samples: dict[bool, str]
) -> FanOut:
    """One peer server (``PEERS``) in its own process: the same phones, the
    real server's captured updates sent through its control socket."""
    from websockets.asyncio.client import connect

    port = free_port()
    child = await start_peer(kind, port)
    result = FanOut(PEER_NAMES[kind], n)
    control = None
    try:
        path = SOCKETIO_PATH if kind == "socketio" else "/ws/phone"
        await asyncio.sleep(0.5)
        result.rss_before = rss_kib(child.proc.pid)
        reply = await client.call(
            limit=600,
            cmd="connect",
            urls=[f"ws://127.0.0.1:{port}{path}"],
            cookies=[],
            n=n,
            epoch="baseline",
            seq=0,
            concurrency=200,
            eio=kind == "socketio",
        )
        result.connected, result.connect_seconds = reply["ok"], reply["seconds"]
        if reply["failed"]:
            print(f"  {kind}: {reply['failed']} phones failed to connect: {reply['failures']}")
        await asyncio.sleep(2.0)
        result.rss_after = rss_kib(child.proc.pid)
        control = await connect(
            f"ws://127.0.0.1:{port}/control", compression=None, max_size=None, ping_interval=None
        )
        ws = control
        position = [0]

        async def head() -> int:
            return position[0]

        async def trigger(is_open: bool, seq: int) -> float:
            text = samples.get(is_open) or samples.get(not is_open) or "x" * 300
            text = SEQ.sub(f'data-seq="{seq}"', text, count=1)
            position[0] = seq
            sent_at = NOW()
            await ws.send(text)
            return sent_at

        cpu0 = cpu_seconds(child.proc.pid)
        await run_rounds(
            result,
            client,
            args.rounds,
            args.warmup,
            trigger,
            head,
            args.round_timeout,
            args.gap,
            None,
            args.verbose,
            [child.proc.pid],
        )
        result.cpu_per_round = (cpu_seconds(child.proc.pid) - cpu0) / (args.rounds + args.warmup)
        return result
    finally:
        with contextlib.suppress(Exception):
            await client.call(limit=60, cmd="close")
        if control is not None:
            with contextlib.suppress(Exception):
                await control.close()
        await child.stop()


# --- the peer servers (each run in its own process) -------------------------------------------


async def baseline_server(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    phones: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for message in ws:
                broadcast(phones, message)
            return
        await ws.recv()  # the hello
        await ws.send(FIRST_RENDER)
        phones.add(ws)
        try:
            await ws.wait_closed()
        finally:
            phones.discard(ws)

    async with serve(
        handler, "127.0.0.1", port, compression=None, max_size=2**20, backlog=2048
    ) as server:
        print("ready", flush=True)
        await server.serve_forever()


def peer_app(kind: str) -> Any:
    """The ASGI app of a uvicorn peer: ``/ws/phone`` (Starlette) or Socket.IO's
    ``/socket.io/`` for the phones, ``/control`` for the updates to send."""
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    phones: set[WebSocket] = set()
    sio: Any = None
    if kind == "socketio":
        import socketio  # type: ignore[import-untyped]

        sio = socketio.AsyncServer(async_mode="asgi", max_http_buffer_size=2**20)

        @sio.on("hello")  # type: ignore[untyped-decorator]
        async def hello(sid: str, _data: Any) -> None:
            await sio.enter_room(sid, "phones")
            await sio.emit("render", FIRST_RENDER, to=sid)

    async def phone(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive_text()  # the hello
            await ws.send_text(FIRST_RENDER)
            phones.add(ws)
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            phones.discard(ws)

    async def control(ws: WebSocket) -> None:
        await ws.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await ws.receive_text()
                if sio is not None:
                    await sio.emit("update", text, room="phones")
                    continue
                for each in list(phones):
                    try:
                        await each.send_text(text)
                    except Exception:  # gone meanwhile
                        phones.discard(each)

    app = Starlette(
        routes=[WebSocketRoute("/ws/phone", phone), WebSocketRoute("/control", control)]
    )
    return app if sio is None else socketio.ASGIApp(sio, other_asgi_app=app)


async def uvicorn_peer(kind: str, port: int) -> None:
    """Starlette or Socket.IO on uvicorn as the real server runs it: uvloop,
    httptools, the websockets sans-I/O protocol, per-message deflate off."""
    import uvicorn

    config = uvicorn.Config(
        peer_app(kind),
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=2**20,
        log_level="warning",
        lifespan="off",
        backlog=2048,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            raise RuntimeError(f"{kind} server stopped before it started")
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await task


def run_peer_server(spec: str) -> None:
    kind, _, port = spec.partition(":")
    main = baseline_server(int(port)) if kind == "websockets" else uvicorn_peer(kind, int(port))
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(main)
        else:
            uvloop.run(main)


# --- the report -------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("MET" if ok else "MISSED")


def median(values: Sequence[float]) -> float:
    """Median of the figures that are numbers (``inf``, a round with a phone
    missing, counts; NaN does not)."""
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else math.nan


def spread(values: Sequence[float]) -> str:
    kept = [v for v in values if not math.isnan(v)]
    if len(kept) < 2:
        return ""
    return f"{ms(min(kept))}–{ms(max(kept))}"


@dataclass
class Runs:
    """Every run's results: per phone count, per run, per server name."""

    fanouts: dict[int, list[dict[str, FanOut]]] = field(default_factory=dict)
    submissions: list[Submissions] = field(default_factory=list)

    def rows(self, n: int, server: str) -> list[FanOut]:
        return [run[server] for run in self.fanouts.get(n, []) if server in run]

    def servers(self, n: int) -> list[str]:
        names: list[str] = []
        for run in self.fanouts.get(n, []):
            names += [name for name in run if name not in names]
        return names

    def ratios(self, n: int, server: str, kind: str, q: float = 0.5) -> list[float]:
        """Per run: this server's time-to-last-phone over the baseline's, both
        from that run."""
        base = PEER_NAMES["websockets"]
        return [
            run[server].last(q, kind) / run[base].last(q, kind)
            for run in self.fanouts.get(n, [])
            if server in run and base in run and run[base].of(kind)
        ]


def report(runs: Runs, args: argparse.Namespace, nofile: int) -> None:
    print()
    print(
        f"fan-out: moderator's set_public_list toggled; {args.rounds} rounds after "
        f"{args.warmup} warm-up; times from the moderator's send to each phone's receipt (ms); "
        f"median of {args.runs} run(s)"
    )
    header = (
        f"{'phones':>7} {'server':<21}{'msg B':>7}{'mod p50':>9}{'first p50':>10}"
        f"{'last p50':>10}{'(runs)':>16}{'last p99':>10}{'all p50':>9}{'all p99':>9}"
        f"{'×base':>7}{'miss':>6}{'srv cpu':>9}{'cli cpu':>9}{'KiB/ph':>8}{'other':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in args.counts:
        for server in runs.servers(n):
            rows = runs.rows(n, server)
            for kind in ("closed", "open"):
                per_run = [row.of(kind) for row in rows if row.of(kind)]
                if not per_run:
                    continue
                size = f"{int(median([r.size for rounds in per_run for r in rounds])):,}"
                mod = median(
                    [
                        pct([r.moderator for r in rounds if not math.isnan(r.moderator)], 0.5)
                        for rounds in per_run
                    ]
                )
                lasts = [row.last(0.5, kind) for row in rows if row.of(kind)]
                every = [sorted(x for r in rounds for x in r.every) for rounds in per_run]
                ratio = median(runs.ratios(n, server, kind))
                print(
                    f"{n:>7,} {server:<21}{size:>7}{ms(mod):>9}"
                    f"{ms(median([pct([r.first for r in rr], 0.5) for rr in per_run])):>10}"
                    f"{ms(median(lasts)):>10}{spread(lasts):>16}"
                    f"{ms(median([row.last(0.99, kind) for row in rows if row.of(kind)])):>10}"
                    f"{ms(median([pct(e, 0.5) for e in every])):>9}"
                    f"{ms(median([pct(e, 0.99) for e in every])):>9}"
                    f"{'-' if math.isnan(ratio) else f'{ratio:.2f}×':>7}"
                    f"{sum(r.missing for rounds in per_run for r in rounds):>6}"
                    f"{ms(median([row.cpu_per_round for row in rows])):>9}"
                    f"{ms(median([pct([r.client_cpu for r in rr], 0.5) for rr in per_run])):>9}"
                    f"{median([row.kib_per_phone for row in rows]):>8.1f}"
                    f"{median([row.other_load for row in rows]):>7.2f}"
                )
    print(
        "  msg B: a phone's update (public list closed: the status-bar-sized message; open: "
        "the list; Socket.IO's\n  event frame carries it as a JSON string); mod: the "
        "moderator's own update; first/last: first and last phone of a round;\n  (runs): the "
        "lowest and highest last-phone p50 of the runs; all: every phone's latency; ×base: "
        "last-phone p50 over\n  websockets.broadcast's of the same run (median of the runs' "
        "ratios); miss: not received within "
        f"{args.round_timeout:.0f} s (all runs);\n  srv cpu: server CPU ms per round (both "
        "kinds); cli cpu: phone-client CPU ms per round; KiB/ph: server RSS growth\n  per "
        "idle phone socket; other: cores kept busy by processes not ours (the machine is "
        "shared).\n  p50/p99 are nearest-rank over the rounds of that kind in a run (p99 of 10 "
        "rounds = the slowest), then the median of the runs."
    )
    for n in args.counts:
        for row in runs.rows(n, "session-server"):
            extra = []
            if row.lagging:
                extra.append(f"{row.lagging} sockets closed as lagging")
            if row.closed:
                extra.append(f"close codes seen by phones {row.closed}")
            if extra:
                print(f"  {n:,} phones: " + "; ".join(extra))

    subs = runs.submissions
    if subs:
        first = subs[0]
        print()
        print(
            f"submissions: {first.submitters} phones submit at {first.rate:.0f}/s for "
            f"{first.seconds:.0f} s (server run with RATE_DEVICE=100000/1 "
            "RATE_SOCKET=100000/1, so rate limits do not refuse them); "
            f"median of {len(subs)} run(s)"
        )
        send_seconds = median([x.send_seconds for x in subs])
        sent = int(median([x.sent for x in subs]))
        acked = int(median([x.ok for x in subs]))
        achieved = sent / send_seconds if send_seconds else math.nan
        accepted = acked / send_seconds if send_seconds else math.nan
        print(
            f"  sent {sent:,} in {send_seconds:.1f} s = {achieved:,.1f}/s; "
            f"acknowledged ok {acked:,} ({accepted:,.1f}/s); "
            f"refused {sum(x.errors for x in subs)}; "
            f"not seen on the moderator's screen {sum(x.unseen for x in subs)}; "
            f"events appended {int(median([x.events for x in subs])):,}"
        )

        def fig(name: str, q: float) -> float:
            return median([pct(getattr(x, name), q) for x in subs])

        print(
            f"  phone ack (send → 'submitted #n' reply): p50 {ms(fig('acks', 0.5))} ms, "
            f"p99 {ms(fig('acks', 0.99))} ms, max {ms(fig('acks', 1.0))} ms"
        )
        print(
            f"  submit → moderator screen: p50 {ms(fig('latencies', 0.5))} ms, "
            f"p99 {ms(fig('latencies', 0.99))} ms, max {ms(fig('latencies', 1.0))} ms"
        )
        if len(subs) > 1:
            print(
                "  runs' submit → moderator p99: "
                + " / ".join(ms(pct(x.latencies, 0.99)) for x in subs)
                + " ms"
            )
        messages = int(median([x.moderator_messages for x in subs]))
        mbytes = median([x.moderator_bytes for x in subs])
        closed = [x.moderator_closed for x in subs if x.moderator_closed]
        lagging = sum(x.lagging for x in subs)
        print(
            f"  moderator pushes {messages:,}, {mbytes / 2**20:,.1f} MiB in all "
            f"(mean {mbytes / max(1, messages) / 1024:,.0f} KiB); "
            f"server CPU {median([x.cpu_share for x in subs]):.0%} of one core; other processes "
            f"{median([x.other_load for x in subs]):.2f} cores"
            + (f"; moderator socket {closed[0]}" if closed else "")
            + (f"; {lagging} sockets closed as lagging" if lagging else "")
        )
        for sample in [e for x in subs for e in x.error_samples][:3]:
            print(f"  refusal: {sample[:160]}")

    print()
    print(f"targets (DESIGN.md §4), medians of {args.runs} run(s)")
    targets: list[tuple[str, str, bool | None]] = []
    base = PEER_NAMES["websockets"]
    for n in args.counts:
        for kind in ("closed", "open"):
            ratios = runs.ratios(n, "session-server", kind)
            if not ratios:
                continue
            real = median([r.last(0.5, kind) for r in runs.rows(n, "session-server")])
            theirs = median([r.last(0.5, kind) for r in runs.rows(n, base)])
            ratio = median(ratios)
            nbytes = int(
                median([r.size for x in runs.rows(n, "session-server") for r in x.of(kind)])
            )
            targets.append(
                (
                    f"fan-out p50 ≤ 1.5× websockets.broadcast ({n:,}, {nbytes:,} B)",
                    f"{ms(real)} / {ms(theirs)} ms = {ratio:.2f}×",
                    ratio <= 1.5,
                )
            )
    for n in args.counts:
        real_rows = runs.rows(n, "session-server")
        if real_rows and (n >= 5000 or n == args.counts[-1]):
            p99 = median([r.last(0.99) for r in real_rows])
            met = p99 < 0.3 if n >= 5000 else None
            label = f"time-to-last-phone p99 < 300 ms at 5,000 ({n:,}, all rounds)"
            targets.append((label, f"{ms(p99)} ms", met))
    for n in args.counts:
        real_rows = runs.rows(n, "session-server")
        if real_rows:
            kib = median([r.kib_per_phone for r in real_rows])
            targets.append(
                (f"≤ 20 KiB per idle phone connection ({n:,})", f"{kib:.1f} KiB", kib <= 20)
            )
    if subs:
        p99 = median([pct(x.latencies, 0.99) for x in subs])
        unseen, errors = sum(x.unseen for x in subs), sum(x.errors for x in subs)
        rate, seconds = subs[0].rate, subs[0].seconds
        full = rate >= 200 and seconds >= 30 and unseen == 0 and errors == 0
        targets.append(
            (
                f"submit→moderator p99 < 100 ms at 200/s for 30 s ({rate:.0f}/s, {seconds:.0f} s)",
                f"{ms(p99)} ms; {unseen} unseen, {errors} refused",
                (p99 < 0.1 and full) if rate >= 200 and seconds >= 30 else None,
            )
        )
    if targets:
        width = max(len(r[0]) for r in targets) + 2
        for label, figure, ok in targets:
            print(f"  {label:<{width}}{figure:<40}{verdict(ok)}")
    print(
        f"\n  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"RLIMIT_NOFILE {nofile}; server: uvicorn (uvloop, httptools, websockets-sansio), "
        "ws_per_message_deflate=False; peers: websockets asyncio server on uvloop "
        "(broadcast), Starlette and python-socketio (ASGI) on the same uvicorn stack"
    )


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--phones", default=None, help="phone counts, comma-separated (default 1000,5000)"
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="rounds not counted")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between rounds")
    parser.add_argument("--round-timeout", type=float, default=10.0)
    parser.add_argument("--submit-rate", type=float, default=200.0, help="submissions a second")
    parser.add_argument("--submit-seconds", type=float, default=30.0)
    parser.add_argument("--submit-phones", type=int, default=200)
    parser.add_argument("--no-submit", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument(
        "--no-baseline", action="store_true", help="the real server only: no peer servers"
    )
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help="peer servers measured after the real one, comma-separated (default "
        f"{','.join(PEERS)}; websockets, the baseline, is always included)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="repeat the whole measurement (real server, then the peers, per phone count); "
        "figures are the medians of the runs (default 3, 1 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run, about a minute: 500 phones, 5 rounds, 5 s of submissions, 1 run",
    )
    parser.add_argument(
        "--server-prefix",
        default="",
        help="command put before the server's, e.g. 'py-spy record -r 250 -f raw -o prof.txt --'",
    )
    parser.add_argument(
        "--server-log",
        default=None,
        help="append the server's output to this file (monotonic time first)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900,
        help="stop everything after this long, whatever is left",
    )
    parser.add_argument("--dir", default=None, help="where the temporary files go")
    parser.add_argument("--peer-server", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.phones = args.phones or "500"
        args.rounds, args.submit_seconds = 5, 5.0
    args.counts = [int(p) for p in (args.phones or "1000,5000").split(",") if p.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}: choose among {', '.join(PEERS)}")
    args.peer_list = [] if args.no_baseline else [p for p in PEERS if p in {"websockets", *peers}]
    args.runs = max(1, args.runs if args.runs is not None else (1 if args.quick else 3))
    return args


async def amain(args: argparse.Namespace) -> None:
    nofile = raise_nofile()
    need = max(args.counts) + 200
    if nofile < need:
        print(
            f"RLIMIT_NOFILE is {nofile}: fewer file descriptors than {need}; "
            "expect failed connections"
        )
    started = NOW()
    runs = Runs()
    with tempfile.TemporaryDirectory(prefix="fanout-", dir=args.dir) as tmp:
        client = await PhoneClient.start()
        try:
            for run in range(args.runs):
                for i, n in enumerate(args.counts):
                    submit = not args.no_submit and i == len(args.counts) - 1
                    print(
                        f"[{NOW() - started:5.0f} s] run {run + 1}/{args.runs}: real server, "
                        f"{n:,} phones" + (", then submissions" if submit else ""),
                        flush=True,
                    )
                    real, got = await bench_real(n, args, client, Path(tmp), submit)
                    if got is not None:
                        runs.submissions.append(got)
                    results = {real.server: real}
                    for kind in args.peer_list:
                        print(
                            f"[{NOW() - started:5.0f} s] run {run + 1}/{args.runs}: "
                            f"{PEER_NAMES[kind]}, {n:,} phones",
                            flush=True,
                        )
                        peer = await bench_peer(kind, n, args, client, real.samples)
                        results[peer.server] = peer
                    runs.fanouts.setdefault(n, []).append(results)
                    for name, row in results.items():
                        print(
                            f"    {name:<21} last phone p50 {ms(row.last(0.5))} ms, "
                            f"p99 {ms(row.last(0.99))} ms",
                            flush=True,
                        )
        finally:
            await client.stop()
    print(f"[{NOW() - started:5.0f} s] done")
    report(runs, args, nofile)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.peer_server is not None:
        run_peer_server(args.peer_server)
        return 0
    try:
        asyncio.run(asyncio.wait_for(amain(args), args.max_seconds))
    except TimeoutError:
        print(f"stopped after --max-seconds {args.max_seconds:.0f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
