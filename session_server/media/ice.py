"""ICE settings for the media server's peer connections."""

from __future__ import annotations

from collections.abc import Sequence

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

from session_server.config import IceServer

__all__ = ["configuration", "restrict_host_addresses"]

_original = aioice.ice.get_host_addresses


def restrict_host_addresses(addresses: Sequence[str]) -> None:
    """Offer only these local addresses as host candidates (``MEDIA_ADDRESSES``).

    aioice otherwise offers every non-loopback address of the machine; a
    server with several network cards names the LAN one, and tests name
    127.0.0.1 (which aioice leaves out by default). Process-wide, as aioice
    reads it for every connection; an empty list restores the default."""
    wanted = [a for a in addresses if a]
    if not wanted:
        aioice.ice.get_host_addresses = _original
        return

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in wanted if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def configuration(servers: Sequence[IceServer]) -> RTCConfiguration:
    """aiortc's configuration for the configured STUN/TURN servers (none: host
    candidates only, as on an offline LAN)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(
                urls=list(s.urls), username=s.username or None, credential=s.credential or None
            )
            for s in servers
        ]
    )
