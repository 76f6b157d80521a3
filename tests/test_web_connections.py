"""Connection hygiene, as an attacker meets it: a real ``session-server``
(``tests/_server.py``) with short timeouts, and raw sockets to 127.0.0.1.

A socket that says nothing, a request line or headers sent a byte at a
time, a request line or head too large, a WebSocket message over the frame
bound, a 50 MB login form, hundreds of silent sockets from one address: each
is closed or refused within seconds, in both languages where there is an
answer, while ``/healthz`` still answers another client. The attacker's
sockets come from their own loopback addresses (127.0.0.x), as another
client's would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import select
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from session_server.web.connections import Flag, Gate, Inbox
from session_server.web.errors import handlers
from session_server.web.middleware import BodyBound, BodyLimit
from tests._server import RunningServer, start_server

HEADER_TIMEOUT = 2.0
KEEPALIVE_TIMEOUT = 2
PER_ADDRESS = 20
BODY_MAX = 64 * 1024

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="Linux loopback")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("conn"),
        env={
            "HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "KEEPALIVE_TIMEOUT": str(KEEPALIVE_TIMEOUT),
            "CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
            "BODY_MAX_BYTES": str(BODY_MAX),
        },
    )
    try:
        yield running
    finally:
        running.stop()


# --- a raw client ---------------------------------------------------------------------


def connect(server: RunningServer, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(
        ("127.0.0.1", server.port), timeout=5, source_address=(source, 0)
    )
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """How long until the server closed ``sock`` (reading and dropping what it
    sends), or ``None`` if it is still open after ``seconds``."""
    start = time.monotonic()
    while (left := seconds - (time.monotonic() - start)) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            break
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


def response(sock: socket.socket, seconds: float = 3.0) -> tuple[int, dict[str, str], str]:
    """The status, headers and body of the one response on ``sock``."""
    sock.settimeout(seconds)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    assert data, "no response"
    return int(lines[0].split()[1]), headers, body.decode("utf-8", "replace")


def get(server: RunningServer, path: str, source: str = "127.0.0.1") -> int:
    with connect(server, source) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        return response(sock)[0]


# --- timeouts ---------------------------------------------------------------------------


def test_a_silent_connection_is_closed_at_the_header_timeout(server: RunningServer) -> None:
    with connect(server) as sock:
        elapsed = closed_within(sock, HEADER_TIMEOUT + 2)
    assert elapsed is not None, "a silent connection is still open"
    assert HEADER_TIMEOUT - 0.5 < elapsed < HEADER_TIMEOUT + 1


def test_a_partial_request_line_is_closed(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HT")
        elapsed = closed_within(sock, HEADER_TIMEOUT + 2)
    assert elapsed is not None and elapsed < HEADER_TIMEOUT + 1


def test_headers_trickled_a_byte_at_a_time_are_closed_at_the_header_timeout(
    server: RunningServer,
) -> None:
    with connect(server) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed = None
        for byte in b"X-Slow: " + b"a" * 40:
            with contextlib.suppress(OSError):
                sock.send(bytes([byte]))
            if closed_within(sock, 0.5) is not None:
                elapsed = time.monotonic() - start
                break
    assert elapsed is not None, "a trickle kept the connection open"
    assert elapsed < HEADER_TIMEOUT + 1


def test_a_body_that_stops_coming_is_closed(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /o/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\n\r\npassword="
        )
        elapsed = closed_within(sock, HEADER_TIMEOUT + 2)
    assert elapsed is not None and elapsed < HEADER_TIMEOUT + 1


def test_an_idle_kept_alive_connection_is_closed(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = response(sock)
        assert status == 200 and headers.get("connection") != "close"
        elapsed = closed_within(sock, KEEPALIVE_TIMEOUT + 2)
    assert elapsed is not None and elapsed < KEEPALIVE_TIMEOUT + 1


# --- the head's size ------------------------------------------------------------------------


@pytest.mark.parametrize("upgrade", [False, True], ids=["page", "websocket"])
def test_a_long_request_line_is_414_in_both_languages(server: RunningServer, upgrade: bool) -> None:
    path = "/ws/" if upgrade else "/j/"
    extra = (
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        if upgrade
        else ""
    )
    with connect(server) as sock:
        sock.sendall(f"GET {path}{'a' * 9000} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        status, headers, body = response(sock)
        assert closed_within(sock, 1) is not None
    assert status == 414
    assert headers["connection"] == "close"
    assert body.index("Địa chỉ quá dài") < body.index("The address is too long")


def test_headers_too_large_are_431_in_both_languages(server: RunningServer) -> None:
    pad = "".join(f"X-Pad-{i}: {'a' * 1000}\r\n" for i in range(40))
    with connect(server) as sock:
        with contextlib.suppress(OSError):  # the server may stop reading before the end
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{pad}\r\n".encode())
        status, _, body = response(sock)
    assert status == 431
    assert "Phần đầu yêu cầu quá lớn" in body and "headers are too large" in body


def test_a_request_that_is_not_http_is_refused_in_both_languages(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        status, _, body = response(sock)
    assert status == 400
    assert "Yêu cầu không đúng định dạng HTTP" in body and "not valid HTTP" in body


# --- WebSocket frames -------------------------------------------------------------------------


def test_a_websocket_message_over_the_frame_bound_closes_the_socket_unread(
    server: RunningServer,
) -> None:
    token = server.link("moderator").path.rsplit("/", 1)[-1]
    key = base64.b64encode(os.urandom(16)).decode()
    with connect(server) as sock:
        sock.sendall(
            f"GET /ws/{token} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\n\r\n".encode()
        )
        sock.settimeout(3)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        assert data.startswith(b"HTTP/1.1 101"), data[:200]
        # a text frame announcing 8 MiB, of which only 16 KiB is ever sent
        mask = os.urandom(4)
        sock.sendall(bytes([0x81, 0x80 | 127]) + struct.pack("!Q", 8 << 20) + mask + b"a" * 16384)
        start = time.monotonic()
        frames = data.partition(b"\r\n\r\n")[2]
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := sock.recv(65536):
                frames += chunk
        elapsed = time.monotonic() - start
    close = re.search(rb"\x88[\x02-\x7d](..)", frames, re.S)
    assert close is not None, "no close frame"
    assert struct.unpack("!H", close.group(1))[0] == 1009
    assert elapsed < 2


# --- request bodies ---------------------------------------------------------------------------


def test_a_50_mb_login_form_is_refused_before_it_is_sent(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /o/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        start = time.monotonic()
        status, headers, body = response(sock, 2)
        elapsed = time.monotonic() - start
    assert status == 413 and elapsed < 1
    assert headers["connection"] == "close"
    assert "Nội dung gửi lên quá lớn" in body and "too large" in body


def test_a_chunked_form_is_stopped_at_the_bound(server: RunningServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /o/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 8192
        with contextlib.suppress(OSError):
            for _ in range(2 * BODY_MAX // len(chunk)):  # the last chunk never comes
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = response(sock, 2)
    assert status == 413
    assert headers["connection"] == "close"
    assert "Nội dung gửi lên quá lớn" in body


# --- how many connections ----------------------------------------------------------------------


def test_connections_over_the_cap_of_one_address_are_closed_at_once(server: RunningServer) -> None:
    socks = [connect(server, "127.0.0.20") for _ in range(PER_ADDRESS + 10)]
    try:
        closed = [closed_within(sock, 0.05) is not None for sock in socks[PER_ADDRESS:]]
        still = [closed_within(sock, 0.01) is None for sock in socks[:PER_ADDRESS]]
        assert get(server, "/healthz", "127.0.0.21") == 200
    finally:
        for sock in socks:
            sock.close()
    assert all(closed), f"{closed.count(False)} of 10 over the cap still open"
    assert all(still)
    assert get(server, "/healthz", "127.0.0.20") == 200  # freed when they closed


def test_healthz_answers_while_one_client_holds_more_sockets_than_the_server_may_open(
    tmp_path: Path,
) -> None:
    flooded = start_server(tmp_path, nofile=256)
    socks: list[socket.socket] = []
    try:
        for _ in range(300):
            socks.append(connect(flooded, "127.0.0.30"))
        start = time.monotonic()
        assert get(flooded, "/healthz", "127.0.0.31") == 200
        assert get(flooded, "/healthz", "127.0.0.30") == 200
        assert time.monotonic() - start < 2
        closed = sum(closed_within(sock, 0.01) is not None for sock in socks)
        assert closed >= 300 - 256
    finally:
        for sock in socks:
            sock.close()
        flooded.stop()


# --- the pieces, in process -----------------------------------------------------------------


def _echo_app() -> Starlette:
    async def echo(request: Request) -> Response:
        return PlainTextResponse(str(len(await request.body())))

    return Starlette(
        routes=[Route("/form", echo, methods=["POST"]), Route("/upload", echo, methods=["POST"])],
        middleware=[
            Middleware(BodyLimit, limit=1000, larger=[BodyBound(re.compile(r"^/upload$"), 5000)])
        ],
        exception_handlers=handlers(),
    )


def test_the_body_limit_refuses_by_length_and_counts_a_chunked_body() -> None:
    client = TestClient(_echo_app())
    assert client.post("/form", content=b"a" * 1000).text == "1000"
    refused = client.post("/form", content=b"a" * 1001, headers={"accept": "application/json"})
    assert refused.status_code == 413 and refused.headers["connection"] == "close"
    assert refused.json()["error"] == "request.too_large"
    assert client.post("/upload", content=b"a" * 4000).text == "4000"
    chunked = client.post("/form", content=iter([b"a" * 600, b"a" * 600]))
    assert chunked.status_code == 413 and "quá lớn" in chunked.text
    assert chunked.headers["connection"] == "close"


def test_the_gate_caps_an_address_and_makes_room_from_the_heaviest_silent_one() -> None:
    gate = Gate(per_address=2, budget=3)
    gate.trust("10.0.0.1")
    dropped: list[str] = []
    assert gate.admit("a1", "1.1.1.1", lambda: dropped.append("a1"))
    assert gate.admit("a2", "1.1.1.1", lambda: dropped.append("a2"))
    assert not gate.admit("a3", "1.1.1.1", lambda: None)  # over the cap
    assert gate.admit("b1", "2.2.2.2", lambda: dropped.append("b1"))
    gate.busy("a1")
    assert gate.admit("c1", "3.3.3.3", lambda: None)  # at the budget: a2 makes room
    assert dropped == ["a2"] and gate.count["1.1.1.1"] == 1
    for key in ("b1", "c1"):
        gate.busy(key)
    assert not gate.admit("d1", "4.4.4.4", lambda: None)  # everybody busy
    gate.release("a1")
    assert gate.admit("p1", "10.0.0.1", lambda: None)
    gate.busy("p1")
    gate.budget = 10
    assert gate.admit("p2", "10.0.0.1", lambda: None)
    assert gate.admit("p3", "10.0.0.1", lambda: None)  # a trusted proxy is not capped


def test_phones_stop_short_of_the_descriptor_budget_and_the_moderator_still_connects(
    tmp_path: Path,
) -> None:
    """At its file descriptor limit a process must still serve the podium:
    phones are refused ``PHONE_RESERVE`` connections before the budget, in
    both languages and with 1013 (their page retries by itself), while the
    moderator's screen and ``/healthz`` still connect."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as ws_connect

    # budget: 400 descriptors less FD_RESERVE 100 = 300; phones stop at 50 held
    crowded = start_server(
        tmp_path,
        nofile=400,
        env={"FD_RESERVE": "100", "PHONE_RESERVE": "250", "SOCKET_SILENCE": "600"},
    )
    phone_path = crowded.link("attendee").path
    base = f"ws://127.0.0.1:{crowded.port}/ws/"
    hello = '{"type": "hello", "epoch": null, "seq": null}'
    refusal, accepted = "", 0
    try:
        with contextlib.ExitStack() as phones:
            while not refusal and accepted < 120:
                with connect(crowded, "127.0.0.40") as sock:
                    request = f"GET {phone_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    sock.sendall(request.encode())
                    status, headers, _ = response(sock)
                assert status == 200
                cookie = headers["set-cookie"].split(";", 1)[0]
                phone = phones.enter_context(
                    ws_connect(
                        base + phone_path.rsplit("/", 1)[1],
                        additional_headers={"Cookie": cookie},
                        open_timeout=5,
                    )
                )
                with contextlib.suppress(ConnectionClosed):  # a refused one is closed at once
                    phone.send(hello)
                first = str(phone.recv(timeout=5))
                if "quá nhiều điện thoại" not in first:
                    accepted += 1
                    continue
                refusal = first
                with contextlib.suppress(TimeoutError, ConnectionClosed):
                    phone.recv(timeout=3)
                assert phone.close_code == 1013, "the page retries by itself"
            assert refusal, f"{accepted} phones and none refused"
            assert "too many phones" in refusal
            assert 30 <= accepted <= 60, f"refused after {accepted} phones"
            moderator_token = crowded.link("moderator").path.rsplit("/", 1)[1]
            with ws_connect(base + moderator_token, open_timeout=5) as moderator:
                moderator.send(hello)
                assert 'id="mod-inbox"' in str(moderator.recv(timeout=5)), "the podium connects"
            assert get(crowded, "/healthz", "127.0.0.41") == 200
    finally:
        crowded.stop()


# --- what an open socket keeps ------------------------------------------------------------


async def test_the_receive_inbox_is_first_in_first_out_and_wakes_one_waiter_per_message() -> None:
    inbox = Inbox()
    assert inbox.empty()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert inbox.qsize() == 2
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    first = asyncio.create_task(inbox.get())
    second = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("a")
    await asyncio.sleep(0)
    assert first.done() and not second.done()
    inbox.put_nowait("b")
    assert (await first, await second) == ("a", "b")


async def test_a_cancelled_receiver_loses_no_message() -> None:
    inbox = Inbox()
    waiting = asyncio.create_task(inbox.get())
    other = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("kept")  # wakes ``waiting``, which is cancelled before it runs
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await asyncio.wait_for(other, 1) == "kept"
    lone = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    lone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lone
    inbox.put_nowait("next")
    assert await inbox.get() == "next"


async def test_the_writable_flag_holds_senders_until_the_buffer_drains() -> None:
    flag = Flag()
    assert flag.is_set() and await flag.wait()
    flag.clear()
    senders = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(s.done() for s in senders)
    flag.set()
    assert await asyncio.gather(*senders) == [True, True, True]
    flag.clear()
    gone = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    flag.set()
    assert flag.is_set()


def test_an_open_socket_keeps_no_handshake_and_still_speaks(server: RunningServer) -> None:
    """The socket's handshake request and response are let go once answered
    (``GuardedWebSocket``); the socket goes on taking and answering messages
    through the lean inbox."""
    from websockets.sync.client import connect as ws_connect

    token = server.link("moderator").path.rsplit("/", 1)[-1]
    hello = '{"type": "hello", "epoch": null, "seq": null}'
    with ws_connect(f"ws://127.0.0.1:{server.port}/ws/{token}", open_timeout=5) as moderator:
        moderator.send(hello)
        assert 'id="mod-inbox"' in str(moderator.recv(timeout=5))
        for turn in range(3):  # each message through the inbox, each answered
            is_open = "true" if turn % 2 == 0 else "false"
            moderator.send(f'{{"action": "set_public_list", "open": "{is_open}"}}')
            assert "Đã ghi nhận" in str(moderator.recv(timeout=5))
            assert "data-seq" in str(moderator.recv(timeout=5))
