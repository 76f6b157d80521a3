"""The rules of a dialogue day, sans I/O.

``decide(state, command, now)`` returns the events a command causes or raises
a :class:`SessionError`; ``apply(state, event)`` folds an event into the
state. No clock, no randomness, no I/O: time and ids come in as arguments.
"""

from session_server.core.apply import apply, apply_all
from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.decide import LEGAL_TRANSITIONS, PERMISSIONS, decide
from session_server.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
    RateLimited,
    SessionError,
    StaleSequence,
    Unavailable,
)
from session_server.core.events import EVENT_TYPES, Event
from session_server.core.model import Actor, Limits, Role, State

__all__ = [
    "EVENT_TYPES",
    "LEGAL_TRANSITIONS",
    "PERMISSIONS",
    "Actor",
    "Event",
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "Limits",
    "NotFound",
    "PhaseRefused",
    "RateLimited",
    "Role",
    "SessionError",
    "StaleSequence",
    "State",
    "Unavailable",
    "apply",
    "apply_all",
    "decide",
    "event_from_dict",
    "event_to_dict",
]
