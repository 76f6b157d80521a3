"""Which bridge points' feeds the programme decodes: a pure rule.

Decoding a 640×360 camera costs about 2.5 % of a core; a national dialogue
has 63 bridge points publishing at once, and the programme shows one of
them. So only the feeds the programme may need *next* are decoded:

- the **floor holder**: on every display now;
- the **main venue**: on the displays when nobody holds the floor, and in
  every mix of the sound (a district that asks hears the hall answer);
- the bridge point at the **head of the floor-request queue** (the oldest
  pending request of a bridge point other than the holder): the one the
  moderator most likely grants next, so that switch needs no keyframe.
  Its picture only: sound needs no keyframe, and the programme decodes a
  microphone only while it is in the mix (``Program.set_decoding``).

Every other feed's packets keep arriving (health, statistics, NACKs) but are
not decoded. When the floor goes to one of them, its decoding starts and a
keyframe is asked of the publisher (``media/gate.py``): the switch lands
within a round trip and a frame.

No I/O, no clock: a function of the dialogue's state.
"""

from __future__ import annotations

from session_server.core.model import State

__all__ = ["feeds_to_decode"]


def feeds_to_decode(state: State) -> frozenset[str]:
    """The bridge points whose camera the programme decodes (and microphone,
    while in the mix)."""
    wanted: set[str] = set()
    if state.floor.holder is not None:
        wanted.add(state.floor.holder)
    main = state.main_bridge()
    if main is not None:
        wanted.add(main.bridge_id)
    for request in state.pending_floor_requests():  # in the order they came
        if request.bridge_id != state.floor.holder:
            wanted.add(request.bridge_id)
            break
    return frozenset(wanted)
