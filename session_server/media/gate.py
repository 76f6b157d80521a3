"""A gate between an aiortc receiver and its decoder: a publisher's feed
keeps arriving, and is decoded only while the programme may need it.

aiortc's ``RTCRtpReceiver`` reassembles every encoded frame from the RTP
packets (on the event loop: SRTP, statistics, NACKs, the jitter buffer) and
puts it on a queue that its decoder thread drains, whether anyone reads the
track or not. Not reading the track would not save the decoding, and the
decoded frames would pile up in the track's unbounded queue. So the gate
*is* that queue: installed before the receiver starts, it hands a frame to
the decoder only while open, and drops it otherwise. Everything before it
still runs, so the link's health (packets, loss, bitrate, a frame arriving)
stays measured for every bridge point, decoded or not.

Opening a video gate waits for a keyframe (a decoder cannot start from the
middle of a group, and one with stale references would show a smeared
picture) and asks the publisher for one at once with an RTCP PLI, again
every ``PLI_EVERY`` until it comes, so a switch lands within a round trip
and a frame instead of at the publisher's next periodic keyframe.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rate import RemoteBitrateEstimator

__all__ = ["PLI_EVERY", "DecodeGate", "is_keyframe"]

logger = logging.getLogger(__name__)

PLI_EVERY = 0.25
"""Seconds between keyframe requests while an opened video gate waits."""
_QUEUE = "_RTCRtpReceiver__decoder_queue"
_STARTED = "_RTCRtpReceiver__started"
_RTX = "_RTCRtpReceiver__rtx_ssrc"
_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """Whether an encoded frame (as aiortc's jitter buffer completes it)
    starts a picture on its own. Sound, and codecs not known here, always do."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        # RFC 6386 §9.1: the frame tag's lowest bit is 0 on a key frame
        return len(data) > 0 and not data[0] & 0x01
    if mime == "video/h264":
        # Annex B NAL units: an IDR slice (5) or the parameter set before it (7)
        at = data.find(b"\x00\x00\x01")
        while 0 <= at < len(data) - 3:
            if data[at + 3] & 0x1F in (5, 7):
                return True
            at = data.find(b"\x00\x00\x01", at + 3)
        return False
    return True


class DecodeGate(queue.Queue[Any]):
    """Stands in for one receiver's decoder queue. Used on the event loop's
    thread only (``put`` is called by the receiver's RTP handler; the
    decoder thread only takes from it)."""

    def __init__(self, receiver: RTCRtpReceiver, kind: str) -> None:
        super().__init__()
        self.receiver = receiver
        self.kind = kind
        self.decoding = False
        self.waiting_keyframe = kind == "video"
        self.arrived = 0.0
        """When the last complete frame arrived (``time.monotonic()``)."""
        self.received = 0
        self.decoded = 0
        """Frames handed to the decoder."""
        self.keyframe_requests = 0
        self._asked_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def install(cls, receiver: RTCRtpReceiver, kind: str) -> DecodeGate | None:
        """Put a (closed) gate before the receiver's decoder; call it from the
        peer connection's ``track`` event, before the receiver starts. None if
        this aiortc has no such queue or already started: it then decodes
        everything, as without a gate."""
        if getattr(receiver, _STARTED, True) or not isinstance(
            getattr(receiver, _QUEUE, None), queue.Queue
        ):
            logger.warning("cannot gate aiortc's %s decoder: every frame is decoded", kind)
            return None
        gate = cls(receiver, kind)
        setattr(receiver, _QUEUE, gate)
        return gate

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stopping its decoder thread
            super().put(item, block, timeout)
            return
        codec, frame = item
        self.received += 1
        self.arrived = time.monotonic()
        if not self.decoding:
            return
        if self.waiting_keyframe:
            if not is_keyframe(codec.mimeType, frame.data):
                if self.arrived - self._asked_at >= PLI_EVERY:
                    self.request_keyframe()
                return
            self.waiting_keyframe = False
        self.decoded += 1
        super().put(item, block, timeout)

    def open(self) -> None:
        """Decode from now on (from the next keyframe, for a picture)."""
        self._estimate(True)
        if self.decoding:
            return
        self.decoding = True
        if self.kind == "video":
            self.waiting_keyframe = True
            self.request_keyframe()

    def close(self) -> None:
        """Drop every frame from now on; what waits for the decoder is kept."""
        self.decoding = False
        self._estimate(False)

    def _estimate(self, on: bool) -> None:
        """Whether aiortc estimates the publisher's bandwidth (what it sends
        back as REMB) from this picture. Not while the feed is not decoded:
        the publisher then sends its standby picture, capped well below any
        estimate, and aiortc's estimator walks every millisecond between two
        packets (200 steps a packet at 5 frames a second: the costliest part
        of receiving 60 standby feeds). A feed decoded again starts a fresh
        estimate."""
        if self.kind != "video" or not hasattr(self.receiver, _ESTIMATOR):
            return
        current = getattr(self.receiver, _ESTIMATOR)
        if on and current is None:
            setattr(self.receiver, _ESTIMATOR, RemoteBitrateEstimator())
        elif not on and current is not None:
            setattr(self.receiver, _ESTIMATOR, None)

    def request_keyframe(self) -> None:
        """An RTCP PLI to the publisher, for each stream it sends (not RTX)."""
        self._asked_at = time.monotonic()
        rtx = getattr(self.receiver, _RTX, {})
        ssrcs = [s.source for s in self.receiver.getSynchronizationSources() if s.source not in rtx]
        if not ssrcs:
            return  # nothing arrived yet: its first frame is a keyframe anyway
        self.keyframe_requests += 1
        for ssrc in ssrcs:
            task = asyncio.get_running_loop().create_task(self.receiver._send_rtcp_pli(ssrc))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
