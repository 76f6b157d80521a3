"""A decider: one slice of the day's rules, and how the slices combine.

Each slice (``setup``, ``questions``, ``floor``, ``record``) builds one
:class:`Decider` holding, for the commands it owns, who may issue each
(``permissions``) and the rule that decides it (``rules``); for some, a rule
on what the server knows outside the log (``conditions``); and, for the
events it owns, how each folds into the state (``folds``). ``core/decide.py``
and ``core/apply.py`` combine the slices with :func:`merged`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from session_server.core.commands import Command
from session_server.core.events import Event
from session_server.core.model import Conditions, Role, State

__all__ = [
    "ATT",
    "MOD",
    "OPR",
    "ORG",
    "SEC",
    "ConditionRule",
    "Decider",
    "Fold",
    "Rule",
    "merged",
]

ORG, MOD, SEC, OPR, ATT = (
    Role.ORGANISER,
    Role.MODERATOR,
    Role.SECRETARY,
    Role.BRIDGE_OPERATOR,
    Role.ATTENDEE,
)

C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=Event)
K = TypeVar("K")
V = TypeVar("V")

Rule = Callable[[State, Any, datetime], list[Event]]
"""``rule(state, command, now) -> events``, or a ``SessionError``."""
ConditionRule = Callable[[State, Any, Conditions], None]
"""Refuses a command the world outside the log does not allow (after its rule)."""
Fold = Callable[[State, Any], None]
"""Folds one event into the state, in place."""
_CR = TypeVar("_CR", bound=ConditionRule)
_RuleOf = Callable[[State, C, datetime], list[Event]]
_FoldOf = Callable[[State, E], None]


class Decider:
    """One slice of the rules. Registering a second rule, condition rule or
    fold for the same class is a programming error, refused at import."""

    def __init__(self, name: str, permissions: Mapping[type[Command], frozenset[Role]]) -> None:
        self.name = name
        self.permissions: dict[type[Command], frozenset[Role]] = dict(permissions)
        """Which roles may issue each of this slice's commands."""
        self.rules: dict[type[Command], Rule] = {}
        self.conditions: dict[type[Command], ConditionRule] = {}
        self.folds: dict[type[Event], Fold] = {}

    def rule(self, cls: type[C]) -> Callable[[_RuleOf[C]], _RuleOf[C]]:
        def register(fn: _RuleOf[C]) -> _RuleOf[C]:
            if cls in self.rules:
                raise RuntimeError(f"{self.name}: two rules for {cls.__name__}")
            self.rules[cls] = fn
            return fn

        return register

    def condition(self, cls: type[Command]) -> Callable[[_CR], _CR]:
        def register(fn: _CR) -> _CR:
            if cls in self.conditions:
                raise RuntimeError(f"{self.name}: two condition rules for {cls.__name__}")
            self.conditions[cls] = fn
            return fn

        return register

    def fold(self, cls: type[E]) -> Callable[[_FoldOf[E]], _FoldOf[E]]:
        def register(fn: _FoldOf[E]) -> _FoldOf[E]:
            if cls in self.folds:
                raise RuntimeError(f"{self.name}: two folds for {cls.__name__}")
            self.folds[cls] = fn
            return fn

        return register


def merged(what: str, tables: Iterable[Mapping[K, V]]) -> dict[K, V]:
    """One table from the slices' tables; a key two slices claim is a
    programming error, refused at import."""
    combined: dict[K, V] = {}
    for table in tables:
        for key, value in table.items():
            if key in combined:
                raise RuntimeError(f"two slices hold a {what} for {key!r}")
            combined[key] = value
    return combined
