"""A private, real ``redis-server`` for the tests that need one.

``RedisServer.start(folder)`` runs ``redis-server --port N --bind 127.0.0.1
--save "" --appendonly no --dir <folder>`` on a free port (AOF on request) and
waits until it answers ``PING``; ``stop()`` ends it, ``kill()`` sends SIGKILL,
``restart()`` starts it again on the same port and directory.

The ``redis_url`` fixture (session-scoped) is ``REDIS_URL`` when set, else
such a private server. Without ``redis-server`` the tests that need it are
skipped locally, and fail when ``CI == "true"``: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["RedisServer", "flush", "redis_url", "require_redis_server"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_redis_server() -> str:
    """The path of ``redis-server``; skip (locally) or fail (in CI) without it."""
    found = shutil.which("redis-server")
    if found:
        return found
    reason = "redis-server is not installed (apt-get install redis-server); Redis tests need it"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    folder: Path
    port: int
    appendonly: bool = False
    process: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(
        cls,
        folder: Path,
        *,
        appendonly: bool = False,
        port: int | None = None,
        extra: list[str] | None = None,
    ) -> RedisServer:
        server = cls(folder, port or _free_port(), appendonly, extra=extra or [])
        server.launch()
        return server

    def launch(self, timeout: float = 10.0) -> None:
        binary = require_redis_server()
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.folder),
            "--protected-mode",
            "no",
            "--maxmemory-policy",
            "noeviction",
        ]
        if self.appendonly:
            command += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            command += ["--appendonly", "no"]
        command += self.extra
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not _ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                text = (self.folder / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start on {self.port}:\n{text}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last write."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.launch()


def flush(url: str) -> None:
    """Empty the Redis at ``url`` (each test starts from nothing)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``REDIS_URL``, or a private ``redis-server`` for the whole session."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()
