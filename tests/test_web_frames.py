"""Frames built once for many sockets are valid server frames."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

from session_server.web.connections import ConnectionLimits, protocols
from session_server.web.live.frames import direct_writer, text_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 300_000])
def test_text_frames_parse_as_a_client_would(size: int) -> None:
    payload = ("Câu hỏi " * (size // 10 + 1)).encode()[:size]
    reader = StreamReader()
    reader.feed_data(text_frame(payload))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("frame incomplete")
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == payload


def test_no_direct_writer_without_the_servers_transport() -> None:
    assert direct_writer({}) is None
    assert direct_writer({"session_server.raw_send": print}) is None
    assert ServerProtocol().state is State.CONNECTING  # the state the writer checks exists


class _Transport:
    def write(self, data: bytes) -> None: ...

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


class _Conn:
    extensions: tuple[object, ...] = ()


def test_the_served_websocket_protocol_writes_frames_directly() -> None:
    """``serve`` runs uvicorn with its own WebSocket protocol class (the
    connection gate's subclass): phones must still get the direct write
    path, not a queue and a task each (it once made the fan-out 1.7× slower)."""
    _http, ws = protocols(ConnectionLimits())
    protocol = ws.__new__(ws)  # as uvicorn holds it once the handshake is done
    protocol.transport = _Transport()  # type: ignore[assignment]
    protocol.conn = _Conn()  # type: ignore[assignment]
    protocol.close_sent = False
    assert direct_writer({"session_server.raw_send": protocol.send}) is not None
