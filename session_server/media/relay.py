"""One RTMP(S) destination's connection, in a process of its own.

``python -m session_server.media.relay`` reads the destination's URL (its
stream key included) as the first line of its standard input, never from
its arguments (which every local user can list), then FLV: the programme's
packets as the server muxed them. It copies them to the URL, nothing
re-encoded, and says on its standard output ``live`` once connected, or
``error <reason>`` (never the URL) before it exits.

Why a process: FFmpeg's RTMP handshake runs inside PyAV without releasing
Python's lock, so in the server's process a slow or silent destination would
stop everything, the event loop included. Here it stops only itself, and
the server kills it when it stops making progress.
"""

from __future__ import annotations

import os
import sys

import av

from session_server.media.onair import reason_of

__all__ = ["main"]

MAX_URL = 2048


def _read_url(fd: int) -> str:
    data = bytearray()
    while len(data) <= MAX_URL:
        byte = os.read(fd, 1)
        if not byte or byte == b"\n":
            break
        data += byte
    return data.decode("ascii", "replace")


def main(fd: int = 0) -> int:
    """Relay what comes on ``fd`` (standard input); 0 once it ended, 1 on a failure."""
    url = _read_url(fd)
    try:
        with (
            os.fdopen(fd, "rb", buffering=0) as pipe,
            av.open(
                pipe,
                "r",
                format="flv",
                options={"analyzeduration": "500000", "probesize": "8192", "fpsprobesize": "0"},
            ) as source,
        ):
            wanted = [s for s in source.streams if s.type in ("video", "audio")]
            if sorted(s.type for s in wanted) != ["audio", "video"]:
                print("error picture or sound missing from the programme", flush=True)
                return 1
            with av.open(
                url, "w", format="flv", container_options={"flvflags": "no_duration_filesize"}
            ) as target:
                streams = {s.index: target.add_stream_from_template(s) for s in wanted}
                target.start_encoding()  # connects
                print("live", flush=True)
                for packet in source.demux(*wanted):
                    if packet.dts is None:
                        continue
                    packet.stream = streams[packet.stream.index]
                    target.mux(packet)
    except Exception as error:
        print("error", reason_of(error), flush=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process
    sys.exit(main())
