"""What a TCP connection may cost before it is a request: the embedded
server's connection hygiene (``serve`` runs uvicorn with these protocol
classes; behind nginx, ``deploy/nginx.conf`` says the same).

On its own, uvicorn keeps a silent connection open for as long as the
client likes (it arms no timer before the first request), as it does a
request line or headers sent one byte at a time, and httptools bounds
neither the request line nor the headers. A few hundred such sockets from
one client use up the process's file descriptors, and then even
``/healthz`` stops answering. So here:

- **a complete request head within** ``HEADER_TIMEOUT`` seconds: counted
  from the connection (from the first byte of a later request on a kept-alive
  connection, whose silence ``KEEPALIVE_TIMEOUT`` bounds), and not
  extended by a trickle of bytes: then the connection is closed; a request
  body may pause as long between two reads (nginx's ``client_body_timeout``);
- **a bounded head**: a request line over :data:`MAX_REQUEST_LINE` bytes is
  answered 414, a head over :data:`MAX_HEAD` bytes 431 (in Vietnamese and
  English, then closed), before the parser buffers any more of it;
- **at most** ``CONNECTIONS_PER_ADDRESS`` **connections from one address**
  (a district hall puts hundreds of phones behind one address): the newest
  over the cap is closed at once. A trusted proxy's address
  (``TRUSTED_PROXIES``) carries many clients and is not capped: the
  proxy bounds each of them;
- **a reserve of file descriptors** (``FD_RESERVE``) for the event log,
  recordings, media and the next client: when the open connections reach
  the process's limit less the reserve, the oldest connection that has not
  sent a request (from the address holding the most) is closed to make
  room, or the new one when every connection is busy.

The per-connection work is a few integer additions on the bytes of a head;
nothing is added once a request is under way. WebSocket frames are bounded
by uvicorn's ``ws_max_size`` (``cli.py``), request bodies by the
``BodyLimit`` middleware (``web/middleware.py``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from session_server.catalogue import message

__all__ = [
    "MAX_HEAD",
    "MAX_REQUEST_LINE",
    "ConnectionLimits",
    "Flag",
    "Gate",
    "GuardedHttp",
    "GuardedWebSocket",
    "Inbox",
    "fd_budget",
    "protocols",
    "raise_fd_limit",
]

logger = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8 * 1024
"""Longest request line (method, address, version): nginx's buffer size."""
MAX_HEAD = 32 * 1024
"""Longest request head, request line and headers (nginx's ``4 8k``)."""
WARN_EVERY = 10.0
"""Seconds between two log lines about refused connections (an attack
would otherwise fill the log)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0
    per_address: int = 1000
    fd_reserve: int = 100
    max_request_line: int = MAX_REQUEST_LINE
    max_head: int = MAX_HEAD


def fd_budget(reserve: int) -> int:
    """How many connections the process may hold: its file descriptor
    limit less ``reserve`` (at least a few, however small the limit)."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(int(soft) - reserve, 16)


def raise_fd_limit() -> int:
    """Raise the soft file descriptor limit to the hard one (a distribution's
    default of 1024 is two sockets for each of 500 phones); the limit now."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # a container may forbid it
            return int(soft)
        return int(hard)
    return int(soft)


class Gate:
    """Who holds which connection (keyed by its transport, which a WebSocket
    keeps after the upgrade): the count per address, the connections still
    silent (oldest first), the budget of the whole process."""

    def __init__(self, per_address: int, budget: int) -> None:
        self.per_address = per_address
        self.budget = budget
        self.held: dict[object, str] = {}
        self.count: Counter[str] = Counter()
        self.silent: dict[object, Callable[[], None]] = {}
        self.refused = 0
        self.evicted = 0
        self._trusted: tuple[Network, ...] = ()
        self._trust_all = False
        self._trusted_from: object = None
        self._warned = 0.0

    def room(self) -> int:
        """Connections the process may still open."""
        return self.budget - len(self.held)

    def trust(self, allowed: Sequence[str] | str) -> None:
        """Exempt a trusted proxy's addresses (uvicorn's ``forwarded_allow_ips``)
        from the per-address cap."""
        if allowed is self._trusted_from:
            return
        self._trusted_from = allowed
        entries = allowed.split(",") if isinstance(allowed, str) else list(allowed)
        networks: list[Network] = []
        for entry in (e.strip() for e in entries):
            if entry == "*":
                self._trust_all = True
            elif entry:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:  # a host name or a unix socket: never a client address
                    continue
        self._trusted = tuple(networks)

    def trusted(self, address: str) -> bool:
        if self._trust_all:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def admit(self, key: object, address: str, close: Callable[[], None]) -> bool:
        """Count a new connection from ``address`` (silent until :meth:`busy`);
        ``False``: refuse it."""
        capped = bool(address) and self.count[address] >= self.per_address
        if (capped and not self.trusted(address)) or (
            len(self.held) >= self.budget and not self._evict()
        ):
            self.refused += 1
            self._warn("connection from %s refused", address)
            return False
        self.held[key] = address
        self.count[address] += 1
        self.silent[key] = close
        return True

    def busy(self, key: object) -> None:
        """The connection sent a request head: no longer a candidate to close."""
        self.silent.pop(key, None)

    def idle(self, key: object, close: Callable[[], None]) -> None:
        """A kept-alive connection waits for its next request."""
        if key in self.held:
            self.silent[key] = close

    def release(self, key: object) -> None:
        address = self.held.pop(key, None)
        self.silent.pop(key, None)
        if address is None:
            return
        self.count[address] -= 1
        if self.count[address] <= 0:
            del self.count[address]

    def _evict(self) -> bool:
        """Close the oldest silent connection of the address holding the most."""
        if not self.silent:
            return False
        heaviest = max({self.held[key] for key in self.silent}, key=self.count.__getitem__)
        victim = next(key for key in self.silent if self.held[key] == heaviest)
        close = self.silent[victim]
        self.release(victim)
        self.evicted += 1
        self._warn("a silent connection from %s closed to make room", heaviest)
        close()
        return True

    def _warn(self, what: str, address: str) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            logger.warning(
                what + " (%d from it, %d open, budget %d; %d refused, %d closed so far)",
                address,
                self.count[address],
                len(self.held),
                self.budget,
                self.refused,
                self.evicted,
            )


def _plain(status: int, code: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole response, Vietnamese first, then English, and the end of the
    connection: what the server says before any app has a request."""
    body = f"{message(code, 'vi')}\n{message(code, 'en')}\n".encode()
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: " + str(len(body)).encode("ascii"),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head timer, a bounded head and the
    gate. :func:`protocols` makes the subclass that carries both."""

    gate: ClassVar[Gate]
    limits: ClassVar[ConnectionLimits]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.gate.trust(config.forwarded_allow_ips)
        self.head_timer: asyncio.TimerHandle | None = None
        self.reading_head = True
        self.head_bytes = 0
        self.line_bytes: int | None = 0
        """Bytes of the request line so far; ``None`` once it is whole."""
        self.tail = b""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        if not self.gate.admit(transport, address, self._drop):
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.gate.release(self.transport)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.reading_head:
            if self.head_timer is None:
                self._arm()
            refused = self._over(data)
            if refused is not None:
                self._refuse(*refused)
                return
        else:  # a body: the timer counts from its last bytes
            self._disarm()
            self._arm()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        self.reading_head = False
        self.gate.busy(self.transport)
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._arm()  # until the body's end: at most HEADER_TIMEOUT between two reads

    def on_message_complete(self) -> None:
        self._disarm()
        self.reading_head = True
        self.head_bytes = 0
        self.line_bytes = 0
        self.tail = b""
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self.gate.idle(self.transport, self._drop)

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "http.bad_request")

    # --- the head ------------------------------------------------------------

    def _over(self, data: bytes) -> tuple[int, str] | None:
        """Count ``data`` into the head being read; the refusal when it goes
        over a bound."""
        if self.line_bytes is not None:
            newline = data.find(b"\n")
            line = self.line_bytes + (newline if newline >= 0 else len(data))
            if line > self.limits.max_request_line:
                return 414, "http.uri_too_long"
            self.line_bytes = None if newline >= 0 else line
        seen = self.tail + data
        end = seen.find(b"\r\n\r\n")
        head = self.head_bytes + (end + 4 - len(self.tail) if end >= 0 else len(data))
        if head > self.limits.max_head:
            return 431, "http.headers_too_large"
        self.head_bytes = head
        self.tail = seen[-3:]
        return None

    def _refuse(self, status: int, code: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_plain(status, code, self.server_state.default_headers))
            self.transport.close()

    def _arm(self) -> None:
        self.head_timer = self.loop.call_later(self.limits.header_timeout, self._drop)

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _drop(self) -> None:
        """Too slow, or room is needed: close without a word (as nginx does)."""
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()


class Inbox:
    """What uvicorn's WebSocket protocol asks of its receive queue
    (``put_nowait``, ``get``, ``empty``), without :class:`asyncio.Queue`'s
    three deques (about 2.3 KiB a socket, most of it for putters that never
    wait: the queue is unbounded): the messages in a list, a future only
    while the application waits for one. First in, first out."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif self._items:  # woken, then cancelled: the next one takes it
                    self._wake()
                raise
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class Flag:
    """What uvicorn's WebSocket protocol asks of its ``writable`` event
    (``set``, ``clear``, ``is_set``, ``wait``), without the deque an
    :class:`asyncio.Event` makes up front: futures only while a sender waits
    for a full write buffer to drain."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, value: bool = True) -> None:
        self._set = value
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class GuardedWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, giving its connection back to the gate,
    and keeping no more per socket than a live socket needs: a lean receive
    queue and ``writable`` flag (:class:`Inbox`, :class:`Flag`), and the
    handshake's request and response (their headers parsed twice, about
    3 KiB) let go once the handshake is answered. A phone's idle socket is
    most of what a dialogue holds (``bench/fanout.py``, memory)."""

    gate: ClassVar[Gate]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and "response" in self.__dict__:
            # read only while answering the handshake (uvicorn's send, accept)
            del self.request, self.response

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate.release(self.transport)
        super().connection_lost(exc)


def protocols(
    limits: ConnectionLimits, budget: int | None = None
) -> tuple[type[GuardedHttp], type[GuardedWebSocket]]:
    """The HTTP and WebSocket protocol classes for ``uvicorn.run(http=…, ws=…)``,
    sharing one gate (``budget``: connections the process may hold, by
    default its file descriptor limit less the reserve)."""
    gate = Gate(limits.per_address, fd_budget(limits.fd_reserve) if budget is None else budget)
    http = type("GuardedHttp", (GuardedHttp,), {"gate": gate, "limits": limits})
    ws = type("GuardedWebSocket", (GuardedWebSocket,), {"gate": gate})
    return http, ws
