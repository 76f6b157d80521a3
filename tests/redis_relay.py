"""A TCP relay in front of a ``redis-server``, for faults between a server and
its Redis that Redis itself cannot make.

``RedisRelay(redis_port)`` listens on ``127.0.0.1:<port>`` (``relay.url``)
and relays every connection to Redis, byte for byte.

- ``hold_replies(marker, count)``: the next ``count`` requests whose bytes
  contain ``marker`` (an append script's SHA) reach Redis, which runs them,
  but nothing Redis answers on their connections reaches the client any
  more: to the client, Redis stored the command and then hung. The client
  times out and drops the connection; new connections relay normally.
- ``cut()``: resets (RST) every open connection.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading

__all__ = ["RedisRelay"]


class _Link:
    __slots__ = ("client", "held", "upstream")

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.held = False
        """Redis's answers on this connection are swallowed."""


class RedisRelay:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._links: set[_Link] = set()
        self._marker = b""
        self._to_hold = 0
        self.held = 0
        """How many requests had their answers held back so far."""
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="redis-relay", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hold_replies(self, marker: bytes, count: int = 1) -> None:
        with self._lock:
            self._marker, self._to_hold = marker, count

    def cut(self) -> int:
        with self._lock:
            links, self._links = self._links, set()
        for link in links:
            _reset(link.client)
            _reset(link.upstream)
        return len(links)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(2)
        self._listener.close()
        self.cut()

    # --- relaying ---------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            _reset(client)
            return
        link = _Link(client, upstream)
        with self._lock:
            self._links.add(link)
        try:
            self._pipe(link)
        finally:
            with self._lock:
                self._links.discard(link)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()

    def _pipe(self, link: _Link) -> None:
        while not self._stopped.is_set():
            try:
                readable, _, _ = select.select([link.client, link.upstream], [], [], 0.2)
            except (OSError, ValueError):
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if sock is link.client:
                    with self._lock:
                        if self._to_hold and self._marker in data:
                            self._to_hold -= 1
                            self.held += 1
                            link.held = True
                    target = link.upstream
                elif link.held:
                    continue  # Redis answered; the client never hears it
                else:
                    target = link.client
                try:
                    target.sendall(data)
                except OSError:
                    return


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), not a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
