"""The programme's way out to the hall displays: each encoded packet is
packetised once and sent to every display from one loop.

aiortc's ``RTCRtpSender`` runs a task per display and kind that reads its
track, packetises what it reads (the same VP8 packet once per display),
builds and serialises each RTP packet with its header extensions, and
awaits the transport for each: about 60 µs of the event loop per packet
and display, so 63 displays of a national dialogue (some 7,000 packets a
second) would take most of a core on their own. Here the programme
packetises a picture once (``Vp8Encoder.pack``), serialises each of its RTP
packets once per *kind* of display (same payload type, ``mid`` and header
extension ids: in practice every display is the same browser), and each
display's copy differs only in the three fields RFC 3550 gives every stream
its own (sequence number, timestamp, SSRC), written in place. SRTP and the
socket are still aiortc's (``RTCDtlsTransport._send_rtp``).

Everything else stays aiortc's sender: negotiation, RTCP sender reports
(from the counters kept here), keyframe requests (routed to the one
encoder), and retransmission on NACK, answered from this outlet's history
(RTX when negotiated). The outlet takes over the sender's RTP loop
(``_run_rtp``, started by aiortc when the answer is applied) and its
``_retransmit``; the sender's private fields it reads or keeps are named in
``_SENDER``. aiortc's version is bounded in ``pyproject.toml``, and the
media tests (real peer connections, a NACK answered) fail if they move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiortc import RTCRtpSender, clock
from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, RtpPacket, wrap_rtx

__all__ = ["Outlet", "send_to"]

logger = logging.getLogger(__name__)

_SENDER = "_RTCRtpSender__"
"""The prefix of ``RTCRtpSender``'s private fields (Python's name mangling)."""
_NTP = _SENDER + "ntp_timestamp"
_RTP_TIMESTAMP = _SENDER + "rtp_timestamp"
_PACKETS = _SENDER + "packet_count"
_OCTETS = _SENDER + "octet_count"
_FIELDS = struct.Struct("!HII")
"""Sequence number, timestamp, SSRC: bytes 2 to 12 of an RTP header."""
PATH_FOR = 1.0
"""Seconds a display's way to its socket (``_path``) is used before it is looked up again."""


class Outlet:
    """One display's sender of one kind (video or sound), fed by the
    programme's loop instead of a task of its own."""

    __slots__ = (
        "_closed",
        "_direct",
        "_direct_until",
        "_failed",
        "_history",
        "_map",
        "_on_ready",
        "_origin",
        "_rtx_type",
        "key",
        "ready",
        "sender",
        "seq",
    )

    def __init__(self, sender: RTCRtpSender, on_ready: Callable[[], None]) -> None:
        self.sender = sender
        self.ready = False
        """Negotiated and started: packets go out."""
        self.key: tuple[Any, ...] = ()
        """What makes this display's packets byte for byte like another's
        but for the three fields of its own (``_FIELDS``)."""
        self.seq = secrets.randbelow(32768)  # low, like aiortc: no SRTP rollover early on
        self._origin = secrets.randbits(32)
        self._history: dict[int, tuple[int, int, bytes]] = {}
        self._map: Any = None
        self._rtx_type: int | None = None
        self._on_ready = on_ready
        self._closed: asyncio.Future[None] | None = None
        self._failed = False
        """A send failed here (logged once)."""
        self._direct: tuple[Callable[[bytes], bytes], Any, Any] | None = None
        self._direct_until = 0.0
        # aiortc calls these by attribute: the instance's own come first
        sender._run_rtp = self._run  # type: ignore[method-assign]
        sender._retransmit = self._retransmit  # type: ignore[method-assign]

    async def _run(self, codec: Any) -> None:
        """Stands in for the sender's RTP loop, from the moment aiortc
        starts it (the answer applied) until the sender stops."""
        sender = self.sender
        getattr(sender, _SENDER + "rtp_started").set()
        mid = getattr(sender, _SENDER + "mid")
        self._map = getattr(sender, _SENDER + "rtp_header_extensions_map")
        self._rtx_type = getattr(sender, _SENDER + "rtx_payload_type")
        probe = HeaderExtensions()
        probe.mid, probe.abs_send_time = mid, 0
        self.key = (codec.payloadType, mid, self._map.set(probe))
        self._closed = asyncio.get_running_loop().create_future()
        self.ready = True
        self._on_ready()
        try:
            await self._closed
        except asyncio.CancelledError:
            pass
        finally:
            self.ready = False
            if sender.track is not None:
                sender.track.stop()
            getattr(sender, _SENDER + "rtp_exited").set()

    def send_direct(self, packets: list[bytes], timestamp: int, ntp: int, octets: int) -> bool:
        """This display's copy of one frame's RTP packets (``packets``, as
        serialised for its ``key`` with zeros in ``_FIELDS``), SRTP-protected
        and written straight to its socket. False, and nothing sent, when
        there is no such way now: then :meth:`send`, through aiortc."""
        direct = self._direct_path()
        if direct is None:
            return False
        protect, sock, address = direct
        sender = self.sender
        ts = (self._origin + timestamp) & 0xFFFFFFFF
        ssrc = sender._ssrc
        history = self._history
        seq = self.seq
        for template in packets:
            data = template[:2] + _FIELDS.pack(seq, ts, ssrc) + template[12:]
            history[seq % RTP_HISTORY_SIZE] = (seq, ts, template)
            seq = (seq + 1) & 0xFFFF
            sock.sendto(protect(data), address)
        self.seq = seq
        self._count(len(packets), octets, ntp, ts)
        return True

    async def send(self, packets: list[bytes], timestamp: int, ntp: int, octets: int) -> None:
        """As :meth:`send_direct`, the way aiortc sends (four coroutines a
        packet): before the display is connected, or when these libraries
        hold their socket differently."""
        sender = self.sender
        ts = (self._origin + timestamp) & 0xFFFFFFFF
        ssrc = sender._ssrc
        history = self._history
        sent = 0
        for template in packets:
            seq = self.seq
            data = template[:2] + _FIELDS.pack(seq, ts, ssrc) + template[12:]
            history[seq % RTP_HISTORY_SIZE] = (seq, ts, template)
            self.seq = (seq + 1) & 0xFFFF
            sent += 1
            try:
                await sender.transport._send_rtp(data)
            except ConnectionError:  # the display is going away
                break
        self._count(sent, octets, ntp, ts)

    def _direct_path(self) -> tuple[Callable[[bytes], bytes], Any, Any] | None:
        """``_path`` of this display's transport, looked up again every
        ``PATH_FOR`` seconds and whenever its socket is closing: a lookup
        (the DTLS state, the ICE pair) costs more than sending a packet."""
        now = time.monotonic()
        direct = self._direct
        if now >= self._direct_until or (direct is not None and direct[1].is_closing()):
            direct = self._direct = _path(self.sender.transport)
            self._direct_until = now + PATH_FOR
        return direct

    def _count(self, packets: int, octets: int, ntp: int, ts: int) -> None:
        """What aiortc's RTCP sender reports say."""
        sender = self.sender
        setattr(sender, _NTP, ntp)
        setattr(sender, _RTP_TIMESTAMP, ts)
        setattr(sender, _PACKETS, getattr(sender, _PACKETS) + packets)
        setattr(sender, _OCTETS, getattr(sender, _OCTETS) + octets)

    async def _retransmit(self, sequence_number: int) -> None:
        """A packet the display reported lost, again (as RTX when negotiated)."""
        entry = self._history.get(sequence_number % RTP_HISTORY_SIZE)
        if entry is None or entry[0] != sequence_number:
            return
        seq, ts, template = entry
        sender = self.sender
        data = template[:2] + _FIELDS.pack(seq, ts, sender._ssrc) + template[12:]
        if self._rtx_type is not None:
            field = _SENDER + "rtx_sequence_number"
            rtx_seq = getattr(sender, field)
            setattr(sender, field, (rtx_seq + 1) & 0xFFFF)
            packet = RtpPacket.parse(data, self._map)
            data = wrap_rtx(packet, self._rtx_type, rtx_seq, sender._rtx_ssrc).serialize(self._map)
        with contextlib.suppress(ConnectionError):
            await sender.transport._send_rtp(data)

    def close(self) -> None:
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)


def _path(transport: Any) -> tuple[Callable[[bytes], bytes], Any, Any] | None:
    """The display's SRTP session and the socket and address of its ICE
    pair in use: what ``RTCDtlsTransport._send_rtp`` reaches through four
    coroutines a packet (aiortc, then aioice). None when not connected, or
    when these libraries hold them differently: the packets then take
    aiortc's way."""
    try:
        if transport.state != "connected":
            return None
        pair = transport.transport._connection._nominated.get(1)
        if pair is None:
            return None
        return transport._tx_srtp.protect, pair.protocol.transport, pair.remote_addr
    except AttributeError:
        return None


async def send_to(outlets: Iterable[Outlet], payloads: list[bytes], timestamp: int) -> int:
    """One frame's payloads (packetised once) to every ready outlet; returns
    how many outlets it went to."""
    ntp = clock.current_ntp_time()
    abs_send_time = (ntp >> 14) & 0x00FFFFFF
    octets = sum(len(p) for p in payloads)
    serialised: dict[tuple[Any, ...], list[bytes]] = {}
    sent = 0
    last = len(payloads) - 1
    for outlet in list(outlets):
        if not outlet.ready:
            continue
        packets = serialised.get(outlet.key)
        if packets is None:
            payload_type, mid, _ = outlet.key
            packets = []
            for i, payload in enumerate(payloads):
                packet = RtpPacket(payload_type=payload_type, marker=int(i == last))
                packet.payload = payload
                packet.extensions.mid = mid
                packet.extensions.abs_send_time = abs_send_time
                packets.append(packet.serialize(outlet._map))
            serialised[outlet.key] = packets
        try:
            if not outlet.send_direct(packets, timestamp, ntp, octets):
                await outlet.send(packets, timestamp, ntp, octets)
        except Exception:  # one display's failure is its own, as with a task each
            if not outlet._failed:
                outlet._failed = True
                logger.exception("sending the programme to a display failed")
            continue
        sent += 1
    return sent
