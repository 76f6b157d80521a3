"""``apply(state, event) -> state``: fold one event into the state.

``apply`` updates ``state`` in place and returns it: a dialogue's state can
hold thousands of questions and an event touches a handful, so copying it
per event would cost more than the rest of the work. Callers that need the
state before an event copy it first (``copy.deepcopy``). ``apply`` trusts its
events: ``decide`` validated them, and the log holds only what ``decide``
made.

Each event's fold lives in the slice that owns it (``core/deciders/``);
this module combines them.
"""

from __future__ import annotations

from session_server.core import events as e
from session_server.core.deciders import SLICES
from session_server.core.deciders.registry import merged
from session_server.core.model import State

__all__ = ["apply", "apply_all"]

_FOLDS = merged("fold", (s.folds for s in SLICES))


def apply(state: State, event: e.Event) -> State:
    _FOLDS[type(event)](state, event)
    if event.command_id:
        state.applied_commands.add(event.command_id)
    return state


def apply_all(state: State, events: list[e.Event]) -> State:
    for event in events:
        apply(state, event)
    return state


_missing = set(e.EVENT_TYPES.values()) ^ set(_FOLDS)
if _missing:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"events without a fold: {_missing}")
