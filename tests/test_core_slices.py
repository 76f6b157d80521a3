"""The four slices of the rules (``core/deciders/``) combine into one:
every command has one rule and one permission, every event one fold, each
in exactly one slice, and nothing is registered twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from session_server import core
from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import commands_registration as rc
from session_server.core import events as e
from session_server.core.decide import PERMISSIONS
from session_server.core.deciders import SLICES
from session_server.core.deciders.floor import FLOOR
from session_server.core.deciders.registry import Decider, merged
from session_server.core.model import Conditions, Role, State


def command_classes() -> set[type[c.Command]]:
    found: set[type[c.Command]] = set()
    todo = list(c.Command.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_command_has_exactly_one_rule_and_one_permission_in_one_slice() -> None:
    commands = command_classes()
    assert commands == {
        cls
        for module in (c, rc, cp)
        for name in module.__all__
        if isinstance(cls := getattr(module, name), type) and issubclass(cls, c.Command)
    } - {c.Command}
    for cls in commands:
        rules = [s.name for s in SLICES if cls in s.rules]
        permissions = [s.name for s in SLICES if cls in s.permissions]
        assert len(rules) == 1, (cls.__name__, rules)
        assert permissions == rules, (cls.__name__, permissions, rules)
        assert PERMISSIONS[cls], cls.__name__
    assert set(PERMISSIONS) == commands


def test_every_event_has_exactly_one_fold_in_one_slice() -> None:
    for cls in e.EVENT_TYPES.values():
        folds = [s.name for s in SLICES if cls in s.folds]
        assert len(folds) == 1, (cls.__name__, folds)


def test_a_slices_condition_rules_are_for_its_own_commands() -> None:
    for s in SLICES:
        assert set(s.conditions) <= set(s.rules), s.name
    # the floor's picture rule
    assert {c.GiveFloor, c.GrantFloorRequest} <= set(FLOOR.conditions)


def test_a_slice_refuses_a_second_registration() -> None:
    decider = Decider("test", {c.Vote: frozenset({Role.ATTENDEE})})

    def rule(state: State, cmd: c.Vote, now: datetime) -> list[e.Event]:
        return []

    def condition(state: State, cmd: c.Vote, conditions: Conditions) -> None:
        return None

    def fold(state: State, ev: e.VoteCast) -> None:
        return None

    decider.rule(c.Vote)(rule)
    decider.condition(c.Vote)(condition)
    decider.fold(e.VoteCast)(fold)
    with pytest.raises(RuntimeError, match="two rules for Vote"):
        decider.rule(c.Vote)(rule)
    with pytest.raises(RuntimeError, match="two condition rules for Vote"):
        decider.condition(c.Vote)(condition)
    with pytest.raises(RuntimeError, match="two folds for VoteCast"):
        decider.fold(e.VoteCast)(fold)


def test_two_slices_may_not_claim_the_same_command() -> None:
    one = {c.Vote: frozenset({Role.ATTENDEE})}
    other = {c.Vote: frozenset({Role.MODERATOR})}
    with pytest.raises(RuntimeError, match="two slices hold a permission"):
        merged("permission", [one, other])


def test_no_module_of_the_core_is_over_500_lines() -> None:
    root = Path(core.__file__).parent
    sizes = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
        for path in root.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 500} == {}
