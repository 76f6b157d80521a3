"""A real ``session-server`` in a subprocess, for tests that need one.

``start_server(folder)`` runs ``session-server --store sqlite:///<folder>/e2e.db
serve --demo --port <free port>`` with ``folder`` as its working directory
(so ``data/secret.key`` and friends land there), waits for ``/healthz`` and
parses the screen links the command prints. ``RunningServer.stop()`` ends it.

``LinkProxy`` is a TCP relay in front of the server that a test can cut, the
way a phone's or a district hall's link drops: ``cut()`` resets every open
connection (the browser sees its WebSocket close abnormally, code 1006, as
when a radio link goes away) and ``block_sockets()`` refuses new WebSocket
handshakes while letting pages load, so a test can hold a screen offline for
as long as it needs.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LinkProxy", "RunningServer", "ScreenLink", "free_port", "start_server"]

LINK_LINE = re.compile(r"^  (?P<label>\S.*?)\s+(?P<url>https?://\S+)\s*$")
PASSWORD_LINE = re.compile(r"^\s*organiser password:\s*(?P<password>\S+)\s*$")
"""The password, printed on the start that made it only."""
READY_LINE = re.compile(r"^\s*organiser password:")
"""The last line printed before the server starts: the password, or where it is kept."""
KEPT_LINE = re.compile(r"^\s*organiser password: kept in (?P<path>\S+)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command() -> list[str]:
    """The ``session-server`` of the running interpreter's environment."""
    beside = Path(sys.executable).parent / "session-server"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("session-server")
    if found:
        return [found]
    return [sys.executable, "-m", "session_server.cli"]


@dataclass(frozen=True)
class ScreenLink:
    role: str  # "moderator", "hall display", "attendee", "organiser", …
    label: str  # the bridge point's or speaker's name ("" when none)
    url: str

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3]


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    port: int
    folder: Path
    output: list[str] = field(default_factory=list)
    links: list[ScreenLink] = field(default_factory=list)
    password: str = ""
    scheme: str = "http"
    pump: threading.Thread | None = None
    """Reads what the server prints, until it ends."""
    proxy_port: int | None = None
    """Where a test's ``LinkProxy`` listens, when the server was told to
    trust that origin (``TRUSTED_ORIGINS``)."""

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def link(self, role: str, label: str | None = None) -> ScreenLink:
        """The first printed link of ``role`` (whose label is ``label``)."""
        for link in self.links:
            if link.role == role and (label is None or link.label == label):
                return link
        known = sorted({f"{lk.role} · {lk.label}" for lk in self.links})
        raise LookupError(f"no link for {role!r} {label!r}; printed: {known}")

    def links_of(self, role: str) -> list[ScreenLink]:
        return [link for link in self.links if link.role == role]

    def log(self) -> str:
        return "\n".join(self.output)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.pump is not None:
            self.pump.join(timeout)  # the last lines read, then the pipe closed
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def parse_links(lines: list[str]) -> tuple[list[ScreenLink], str]:
    links: list[ScreenLink] = []
    password = ""
    for line in lines:
        pw = PASSWORD_LINE.match(line)
        if pw:
            password = pw.group("password")
            continue
        kept = KEPT_LINE.match(line)
        if kept:  # a later start: the password is in its file, not the output
            password = Path(kept.group("path")).read_text(encoding="ascii").strip()
            continue
        match = LINK_LINE.match(line)
        if not match:
            continue
        role, _, label = match.group("label").partition(" · ")
        links.append(ScreenLink(role.strip(), label.strip(), match.group("url")))
    return links, password


def _limit_files(nofile: int) -> None:
    """In the child: ``ulimit -n nofile`` (soft and hard)."""
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def _healthy(url: str) -> bool:
    # Only "is it up?": an HTTPS server's certificate is checked by the test itself.
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=1, context=context) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_server(
    folder: Path,
    *,
    env: dict[str, str] | None = None,
    demo: bool = True,
    port: int | None = None,
    timeout: float = 30.0,
    store: str | None = None,
    https: bool = False,
    nofile: int | None = None,
) -> RunningServer:
    """Start a server on a SQLite store in ``folder`` (or on ``store``, an
    event log URL such as ``redis://127.0.0.1:6379/0``) and wait until it serves.
    ``https``: with ``--https`` (a LAN certificate made in ``<folder>/tls/``);
    ``nofile``: the server's file descriptor limit (``ulimit -n``)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    store = store or f"sqlite:///{folder / 'e2e.db'}"
    command = [
        *server_command(),
        "--store",
        store,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if demo:
        command.append("--demo")
    if https:
        command.append("--https")
    # media off unless a test asks for it (MEDIA=1): the other tests give the
    # floor to bridge points that publish no camera
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "MEDIA": "0", **(env or {})}
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        bufsize=1,
        preexec_fn=None if nofile is None else functools.partial(_limit_files, nofile),
    )
    server = RunningServer(process, port, folder, scheme="https" if https else "http")

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line.rstrip("\n"))

    server.pump = threading.Thread(target=pump, name="session-server-output", daemon=True)
    server.pump.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                time.sleep(0.2)  # let the pump read the last lines
                raise RuntimeError(
                    f"session-server exited with {process.returncode}:\n{server.log()}"
                )
            printed = any(READY_LINE.match(line) for line in list(server.output))
            if printed and _healthy(f"{server.base_url}/healthz"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"session-server did not start in {timeout}s:\n{server.log()}")
            time.sleep(0.1)
        server.links, server.password = parse_links(list(server.output))
        server.password = server.password or environment.get("ORGANISER_PASSWORD", "")
    except BaseException:
        server.stop()
        raise
    return server


class LinkProxy:
    """A TCP relay ``127.0.0.1:<port>`` → ``target_port`` that can drop links.

    - ``cut()`` resets every connection open now (RST, no WebSocket close
      frame): the browser's socket closes with 1006, as on a lost radio link.
    - ``block_sockets()`` / ``unblock_sockets()``: while blocked, a new
      connection whose request is a ``GET /ws/…`` is reset before reaching the
      server; pages and static files still load.
    - ``block_all()`` resets every new connection.
    - ``freeze()`` / ``thaw()``: open connections stay open but carry nothing
      (a link that went silent: no RST, no FIN), until thawed.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener.settimeout(0.2)
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._block_ws = False
        self._block_all = False
        self._frozen = threading.Event()
        self._stopped = threading.Event()
        self.refused = 0
        self._thread = threading.Thread(target=self._accept_loop, name="link-proxy", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, server_url: str) -> str:
        """``server_url`` rewritten to go through this proxy."""
        return re.sub(r"^http://127\.0\.0\.1:\d+", self.base_url, server_url)

    # --- controls -----------------------------------------------------------

    def cut(self) -> int:
        """Reset every open connection; return how many there were."""
        with self._lock:
            conns, self._conns = self._conns, set()
        for sock in conns:
            _reset(sock)
        return len(conns)

    def block_sockets(self) -> None:
        self._block_ws = True

    def unblock_sockets(self) -> None:
        self._block_ws = False

    def block_all(self) -> None:
        self._block_all = True

    def unblock_all(self) -> None:
        self._block_all = False
        self._block_ws = False

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()

    def close(self) -> None:
        self._frozen.clear()
        self._stopped.set()
        self._thread.join(2)
        self._listener.close()
        self.cut()

    # --- relay --------------------------------------------------------------

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
        if self._block_all:
            self.refused += 1
            _reset(client)
            return
        first = b""
        if self._block_ws:
            client.settimeout(5)
            with contextlib.suppress(OSError):
                first = client.recv(65536)
            client.settimeout(None)
            if first.startswith(b"GET /ws/") or not first:
                self.refused += 1
                _reset(client)
                return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._conns.update((client, upstream))
        try:
            if first:
                upstream.sendall(first)
            self._pipe(client, upstream)
        finally:
            with self._lock:
                self._conns.discard(client)
                self._conns.discard(upstream)
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        while not self._stopped.is_set():
            if self._frozen.is_set():
                time.sleep(0.05)
                continue
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.2)
            except (OSError, ValueError):
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                try:
                    peers[sock].sendall(data)
                except OSError:
                    return


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), not a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
