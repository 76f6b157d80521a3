"""The day's rules in five slices, each a small decider that owns its
commands (who may issue each, the rule that decides it) and its events (how
each folds into the state):

- ``setup``: the dialogue and its phases, bridge points, topics, speakers,
  the programme, role links;
- ``questions``: submitting, screening, the queue, topics and speakers of
  questions, the public list, votes;
- ``floor``: giving and taking back the floor, the question on it, timers,
  answered / forwarded / deferred, bridge points' floor requests, the
  picture rule;
- ``record``: answer summaries and commitments, the conclusion draft,
  written answers, recordings;
- ``attendance``: units and their quota rule, delegates and guests,
  check-ins and walk-ins;
- ``preparation``: before the day: the timeline, the plan's publication,
  suggested answers;
- ``onair``: when the day's video started.

Shared by the slices: ``registry`` (:class:`Decider` and :func:`merged`),
``lifecycle`` (a question's legal status changes), ``common`` (lookups and
checks). ``core/decide.py`` and ``core/apply.py`` combine the slices in
:data:`SLICES`.
"""

from __future__ import annotations

from session_server.core.deciders.attendance import ATTENDANCE
from session_server.core.deciders.floor import FLOOR
from session_server.core.deciders.onair import ONAIR
from session_server.core.deciders.preparation import PREPARATION
from session_server.core.deciders.questions import QUESTIONS
from session_server.core.deciders.record import RECORD
from session_server.core.deciders.registry import Decider
from session_server.core.deciders.setup import SETUP

__all__ = ["SLICES"]

SLICES: tuple[Decider, ...] = (SETUP, QUESTIONS, FLOOR, RECORD, ATTENDANCE, PREPARATION, ONAIR)
