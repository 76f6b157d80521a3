"""The phones of ``bench/fanout.py``: many WebSockets in one separate process.

Not run by hand: ``fanout.py`` starts it and drives it with one JSON command
per line on stdin; it answers one JSON line per command on stdout.

Each phone is an :class:`asyncio.Protocol` around the sans-I/O
``websockets.client.ClientProtocol`` (the same parser the asyncio client
uses, without a task and a queue per socket), so that receiving thousands of
frames costs this process as little as possible and the figures measure the
server, not the client. A phone stamps ``time.monotonic()`` (system-wide
``CLOCK_MONOTONIC``, the parent's clock too) when a frame arrives.

Commands (``{"cmd": …}``):

- ``connect``: open ``n`` phones (``urls`` and ``cookies`` used round-robin),
  send each the hello and wait for its first message (the initial render);
  with ``"eio": true`` the phones speak Engine.IO 4 / Socket.IO 5 over the
  WebSocket (the peer ``python-socketio`` server of ``fanout.py``): they
  answer the open packet (``0{…}``) with a connect (``40``), send the hello
  as an event (``42["hello",{…}]``) once the connect is acknowledged, take
  the first event (``42[…]``) as the initial render, and answer the
  server's pings (``2``) with pongs (``3``);
- ``arm``: from now on, note when each phone first receives a message whose
  position (``data-seq``) is at least ``seq``;
- ``wait``: wait until every armed phone has it, or ``timeout``; answer the
  arrival times;
- ``submit``: ``count`` phones submit questions at ``rate`` a second for
  ``seconds``; answer when each was sent and acknowledged;
- ``close``: drop every phone; ``quit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import secrets
import sys
import time
from collections import Counter
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

SEQ = re.compile(rb'data-seq=\\?"(\d+)')
"""The position in an update (its quotes escaped when Socket.IO carries it
inside a JSON string)."""
ACK = re.compile(rb'\{"type": ?"ack", ?"key": ?"([^"]+)"(?:, ?"question_id": ?(\d+))?')
"""The server's acknowledgement of a message the client keeps (JSON)."""
"""The question number in the acknowledgement ("... câu hỏi số 17.")."""
NOW = time.monotonic


class Phones:
    """Everything the process holds: its phones and the measurement state."""

    def __init__(self) -> None:
        self.phones: list[Phone] = []
        self.armed: int | None = None
        self.sample = b""
        self.pending = 0
        self.done = asyncio.Event()
        self.acks: dict[str, float] = {}
        self.numbers: dict[str, int] = {}
        self.ok = 0
        self.errors = 0
        self.error_samples: list[str] = []
        self.close_codes: Counter[str] = Counter()

    def arrived(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.done.set()


class Phone(asyncio.Protocol):
    def __init__(self, owner: Phones, url: str, cookie: str, index: int, eio: bool = False) -> None:
        self.owner = owner
        self.eio = eio
        self.eio_stage = 0
        """Engine.IO: 0 waiting for the open packet, 1 for the connect's
        acknowledgement, 2 for the first event, 3 connected."""
        self.index = index
        self.cookie = cookie
        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.first: asyncio.Future[None] = loop.create_future()
        self.hello = ""
        self.hit: float | None = None
        self.fast = False
        self.buf = b""
        self.closing = False
        self.closed = False
        self.received = 0

    # asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        request = self.proto.connect()
        if self.cookie:
            request.headers["Cookie"] = f"ssd={self.cookie}"
        self.proto.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = NOW()
        if self.fast:
            self._frames(data, now)
            return
        # the opening handshake, through websockets' sans-I/O protocol
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._text(bytes(event.data), 0, len(event.data), now)
            elif isinstance(event, Response):
                if event.status_code == 101 and self.proto.handshake_exc is None:
                    self.fast = True
                    if not self.eio:
                        self.send(self.hello)
                        if not self.opened.done():
                            self.opened.set_result(None)
                elif not self.opened.done():
                    self.opened.set_exception(ConnectionError(f"handshake {event.status_code}"))
        self._flush()

    def _frames(self, data: bytes, now: float) -> None:
        """Server frames (never masked, never compressed here), parsed in
        place: a thin reader so that this process stays cheaper per message
        than the servers it measures."""
        buf = self.buf + data if self.buf else data
        pos, size = 0, len(buf)
        while size - pos >= 2:
            head, length = buf[pos], buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + length
            if end > size:
                break
            opcode = head & 0x0F
            if opcode in (Opcode.TEXT.value, Opcode.BINARY.value, Opcode.CONT.value):
                self._text(buf, start, end, now)
            elif opcode == Opcode.PING.value:
                self.proto.send_pong(bytes(buf[start:end]))
                self._flush()
            elif opcode == Opcode.CLOSE.value:
                code = int.from_bytes(buf[start : start + 2], "big") if length >= 2 else 1005
                self.owner.close_codes[str(code)] += 1
                self.closing = True
                self.abort()
                return
            pos = end
        self.buf = buf[pos:] if pos < size else b""

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.closing:
            self.owner.close_codes["lost"] += 1
        for fut in (self.opened, self.first):
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
                fut.exception()  # retrieved: a phone refused before it is awaited is no error

    # ---------------------------------------------------------------------------

    def _text(self, buf: bytes, start: int, end: int, now: float) -> None:
        """A text frame, ``buf[start:end]``."""
        self.received += 1
        owner = self.owner
        if self.eio and self._engine_io(buf, start, end):
            return
        if not self.first.done():
            self.first.set_result(None)
            return
        if owner.armed is not None and self.hit is None:
            match = SEQ.search(buf, start, min(end, start + 400))
            if match is not None and int(match.group(1)) >= owner.armed:
                self.hit = now
                if not owner.sample:
                    owner.sample = bytes(buf[start:end])
                owner.arrived()
                return
        if buf.startswith(b'{"type"', start):
            ack = ACK.match(buf, start, end)
            if ack is not None:
                owner.ok += 1
                key = ack.group(1).decode()
                owner.acks.setdefault(key, now)
                if ack.group(2) is not None:
                    owner.numbers.setdefault(key, int(ack.group(2)))
            return
        if buf.find(b'id="flash"', start, end) >= 0 and buf.find(b"flash-ok", start, end) < 0:
            owner.errors += 1
            if len(owner.error_samples) < 5:
                owner.error_samples.append(
                    bytes(buf[start : min(end, start + 300)]).decode(errors="replace")
                )

    def _engine_io(self, buf: bytes, start: int, end: int) -> bool:
        """Engine.IO's own packets and the Socket.IO handshake; ``False``
        for an event (``42…``) the phone reads as the other servers' text."""
        if end - start == 1 and buf[start] == 0x32:  # "2": the server's ping
            self.send("3")
            return True
        stage = self.eio_stage
        if stage >= 2:
            if buf.startswith(b"42", start):
                self.eio_stage = 3
                return False
            return True
        if stage == 0 and buf.startswith(b"0", start):  # open: {"sid": …, "pingInterval": …}
            self.eio_stage = 1
            self.send("40")
        elif stage == 1 and buf.startswith(b"40", start):  # connected to namespace "/"
            self.eio_stage = 2
            self.send(self.hello)
            if not self.opened.done():
                self.opened.set_result(None)
        elif buf.startswith(b"44", start) and not self.opened.done():  # connect refused
            self.opened.set_exception(ConnectionError("socket.io connect refused"))
        return True

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for chunk in self.proto.data_to_send():
            if chunk:
                transport.write(chunk)
            else:
                transport.close()
                return

    def send(self, text: str) -> None:
        if self.closed or self.transport is None or self.proto.state is not State.OPEN:
            return  # refused or closing (a server at its limit closes a phone at once)
        self.proto.send_text(text.encode())
        self._flush()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()


async def connect(owner: Phones, cmd: dict[str, Any]) -> dict[str, Any]:
    urls: list[str] = cmd["urls"]
    cookies: list[str] = cmd["cookies"] or [""]
    n: int = cmd["n"]
    eio = bool(cmd.get("eio"))
    hello = json.dumps({"type": "hello", "epoch": cmd.get("epoch"), "seq": cmd.get("seq", 0)})
    if eio:
        hello = "42" + json.dumps(["hello", json.loads(hello)])
    gate = asyncio.Semaphore(cmd.get("concurrency", 200))
    loop = asyncio.get_running_loop()
    failures: Counter[str] = Counter()
    start = NOW()

    async def one(i: int) -> None:
        url = urls[i % len(urls)]
        parts = urlsplit(url)
        phone = Phone(owner, url, cookies[i % len(cookies)], len(owner.phones) + i, eio)
        phone.hello = hello
        async with gate:
            try:
                await loop.create_connection(
                    lambda: phone, parts.hostname or "127.0.0.1", parts.port or 80
                )
                await asyncio.wait_for(asyncio.shield(phone.opened), 30)
                await asyncio.wait_for(asyncio.shield(phone.first), 30)
            except (OSError, TimeoutError, ConnectionError) as error:
                failures[type(error).__name__ + ": " + str(error)[:80]] += 1
                phone.abort()
                return
        ready.append(phone)

    ready: list[Phone] = []
    await asyncio.gather(*(one(i) for i in range(n)))
    ready.sort(key=lambda p: p.index)
    owner.phones.extend(ready)
    gc.collect()
    gc.freeze()  # thousands of long-lived phones: keep them out of the collector's scans
    return {
        "ok": len(ready),
        "failed": sum(failures.values()),
        "failures": dict(failures.most_common(5)),
        "seconds": NOW() - start,
        "open": sum(1 for p in owner.phones if not p.closed),
    }


def arm(owner: Phones, seq: int) -> int:
    owner.armed = seq
    owner.sample = b""
    owner.done = asyncio.Event()
    owner.pending = 0
    for phone in owner.phones:
        phone.hit = None
        if not phone.closed:
            owner.pending += 1
    if owner.pending == 0:
        owner.done.set()
    return owner.pending


async def wait(owner: Phones, timeout: float) -> dict[str, Any]:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(owner.done.wait(), timeout)
    owner.armed = None
    times = [p.hit for p in owner.phones if p.hit is not None]
    missing = sum(1 for p in owner.phones if p.hit is None)
    sample = owner.sample.decode(errors="replace")
    return {
        "times": times,
        "missing": missing,
        "sample": sample,
        "open": sum(1 for p in owner.phones if not p.closed),
        "close_codes": dict(owner.close_codes),
        "cpu": time.process_time(),
    }


async def submit(owner: Phones, cmd: dict[str, Any]) -> dict[str, Any]:
    """``count`` phones submit round-robin, paced to ``rate`` a second."""
    phones = [p for p in owner.phones if not p.closed][: cmd["count"]]
    rate: float = cmd["rate"]
    total = int(rate * cmd["seconds"])
    owner.acks.clear()
    owner.numbers.clear()
    owner.ok = owner.errors = 0
    owner.error_samples.clear()
    sent: dict[str, float] = {}
    keys: dict[str, str] = {}
    run = secrets.token_hex(4)
    start = NOW()
    i = 0
    while i < total and phones:
        due = min(total, int((NOW() - start) * rate) + 1)
        while i < due:
            token = f"bq{i:06d}x"
            key = f"bench-{run}-{i:08d}-{secrets.token_hex(4)}"
            text = (
                f"Câu hỏi thử tải {token}: xin hỏi lãnh đạo tỉnh về việc làm cho "
                f"thanh niên sau tốt nghiệp ({i})."
            )
            message = json.dumps(
                {"action": "submit_question", "text": text, "idempotency_key": key, "topic_id": ""}
            )
            phone = phones[i % len(phones)]
            sent[token] = NOW()
            keys[key] = token
            phone.send(message)
            i += 1
        await asyncio.sleep(0.002)
    send_seconds = NOW() - start
    deadline = NOW() + 10
    while owner.ok + owner.errors < total and NOW() < deadline:
        await asyncio.sleep(0.05)
    acks = {keys[k]: t for k, t in owner.acks.items() if k in keys}
    numbers = {keys[k]: n for k, n in owner.numbers.items() if k in keys}
    return {
        "sent": sent,
        "acks": acks,
        "numbers": numbers,
        "send_seconds": send_seconds,
        "ok": owner.ok,
        "errors": owner.errors,
        "error_samples": owner.error_samples,
        "submitters": len(phones),
        "open": sum(1 for p in owner.phones if not p.closed),
        "close_codes": dict(owner.close_codes),
    }


async def close(owner: Phones) -> int:
    count = len(owner.phones)
    for phone in owner.phones:
        phone.abort()
    owner.phones.clear()
    await asyncio.sleep(0.2)
    owner.close_codes.clear()
    gc.unfreeze()
    gc.collect()
    return count


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    owner = Phones()
    out = sys.stdout

    def answer(payload: dict[str, Any]) -> None:
        out.write(json.dumps(payload) + "\n")
        out.flush()

    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        name = cmd["cmd"]
        if name == "connect":
            answer(await connect(owner, cmd))
        elif name == "arm":
            answer({"armed": arm(owner, cmd["seq"]), "cpu": time.process_time()})
        elif name == "wait":
            answer(await wait(owner, cmd["timeout"]))
        elif name == "submit":
            answer(await submit(owner, cmd))
        elif name == "close":
            answer({"closed": await close(owner)})
        elif name == "quit":
            await close(owner)
            answer({"bye": True})
            break
        else:
            answer({"error": f"unknown command {name}"})


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(main())
    else:
        uvloop.run(main())
