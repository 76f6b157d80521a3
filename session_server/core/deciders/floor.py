"""The floor: giving it (directly or by granting a bridge point's request)
and taking it back, the question on it, its timers, and marking a question
answered, forwarded or deferred; the picture rule (a remote bridge point
takes the floor only while its picture is live).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders.common import (
    bridge_label,
    check_bridge,
    check_date,
    check_live,
    check_not_closed,
    check_own_bridge,
    check_speaker,
    clean_label,
    get_question,
    unqueue,
)
from session_server.core.deciders.lifecycle import floor_taken_back, transition
from session_server.core.deciders.registry import MOD, OPR, ORG, Decider
from session_server.core.errors import IllegalTransition, InvalidInput, NotFound, RateLimited
from session_server.core.model import (
    LOCAL_TZ,
    MAIN_KINDS,
    Actor,
    AnswerRecord,
    Conditions,
    Floor,
    FloorRequest,
    FloorRequestStatus,
    Forwarding,
    Question,
    QuestionStatus,
    Role,
    State,
    TimerKind,
)
from session_server.core.text import clean_text
from session_server.core.views import proposed_speaker

__all__ = ["FLOOR"]

FLOOR_REQUEST_GAP = timedelta(seconds=10)
"""A bridge point asks for the floor at most once in this time (a request
cancelled and made again in a loop would flood the moderator's screen)."""

FLOOR = Decider(
    "floor",
    {
        c.GiveFloor: frozenset({MOD}),
        c.SetFloorQuestion: frozenset({MOD}),
        c.ReleaseFloor: frozenset({MOD}),
        c.StartTimer: frozenset({MOD}),
        c.ExtendTimer: frozenset({MOD}),
        c.StopTimer: frozenset({MOD}),
        c.MarkAnswered: frozenset({MOD}),
        c.ForwardQuestion: frozenset({MOD, ORG}),
        c.DeferQuestion: frozenset({MOD, ORG}),
        c.RequestFloor: frozenset({OPR}),
        c.CancelFloorRequest: frozenset({OPR, MOD}),
        c.GrantFloorRequest: frozenset({MOD}),
        c.DeclineFloorRequest: frozenset({MOD}),
    },
)
rule, fold = FLOOR.rule, FLOOR.fold


# --- rules: what this slice's commands do ----------------------------------


def _seconds(state: State, seconds: int) -> int:
    if not 1 <= seconds <= state.limits.timer_max_seconds:
        raise InvalidInput("timer.bad_seconds", limit=state.limits.timer_max_seconds)
    return seconds


def _floor_events(
    state: State,
    now: datetime,
    bridge_id: str,
    request_id: int | None,
    question_id: int | None,
    speaker_id: str | None,
    question_seconds: int,
    without_feed: bool = False,
) -> list[e.Event]:
    check_live(state)
    check_bridge(state, bridge_id)
    check_speaker(state, speaker_id)
    if state.floor.holder is not None:
        raise IllegalTransition("floor.busy", holder=bridge_label(state, state.floor.holder))
    ends_at = None
    if question_seconds:
        ends_at = now + timedelta(seconds=_seconds(state, question_seconds))
    events: list[e.Event] = [
        e.FloorGiven(
            at=now,
            bridge_id=bridge_id,
            request_id=request_id,
            question_ends_at=ends_at,
            without_feed=without_feed,
        )
    ]
    if question_id is not None:
        question = get_question(state, question_id)
        transition(question, QuestionStatus.ON_FLOOR)
        events.append(
            e.FloorQuestionSet(
                at=now,
                question_id=question.question_id,
                speaker_id=speaker_id or proposed_speaker(state, question),
            )
        )
    return events


@FLOOR.condition(c.GiveFloor)
@FLOOR.condition(c.GrantFloorRequest)
def _feed_live(
    state: State, cmd: c.GiveFloor | c.GrantFloorRequest, conditions: Conditions
) -> None:
    """The floor goes to a remote bridge point only while its picture is
    live, unless the moderator confirmed without it (``without_feed``); the
    main venue is in the hall and needs none. No rule when media is off.
    Runs after the command's rule, which found the bridge point or request."""
    if conditions.feeds is None or cmd.without_feed:
        return
    if isinstance(cmd, c.GiveFloor):
        bridge_id = cmd.bridge_id
    else:
        bridge_id = state.floor_requests[cmd.request_id].bridge_id
    bridge = state.bridges[bridge_id]
    if bridge.kind in MAIN_KINDS:
        return
    link = conditions.feeds.get(bridge_id, "none")
    if link != "live":
        raise IllegalTransition(
            "floor.no_feed",
            bridge=bridge.name,
            status=f"media.state.{link}",
            confirm="without_feed",  # the screen offers to give it anyway
        )


@rule(c.GiveFloor)
def _give_floor(state: State, cmd: c.GiveFloor, now: datetime) -> list[e.Event]:
    pending = next(
        (r for r in state.pending_floor_requests() if r.bridge_id == cmd.bridge_id), None
    )
    return _floor_events(
        state,
        now,
        cmd.bridge_id,
        pending.request_id if pending else None,
        cmd.question_id,
        cmd.speaker_id,
        cmd.question_seconds,
        cmd.without_feed,
    )


@rule(c.GrantFloorRequest)
def _grant(state: State, cmd: c.GrantFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    return _floor_events(
        state,
        now,
        request.bridge_id,
        request.request_id,
        cmd.question_id,
        cmd.speaker_id,
        cmd.question_seconds,
        cmd.without_feed,
    )


@rule(c.SetFloorQuestion)
def _set_floor_question(state: State, cmd: c.SetFloorQuestion, now: datetime) -> list[e.Event]:
    check_live(state)
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")
    if state.floor.question_id is not None:
        raise IllegalTransition("floor.has_question", question=state.floor.question_id)
    question = get_question(state, cmd.question_id)
    check_speaker(state, cmd.speaker_id)
    transition(question, QuestionStatus.ON_FLOOR)
    speaker_id = cmd.speaker_id or proposed_speaker(state, question)
    return [e.FloorQuestionSet(at=now, question_id=question.question_id, speaker_id=speaker_id)]


@rule(c.ReleaseFloor)
def _release(state: State, cmd: c.ReleaseFloor, now: datetime) -> list[e.Event]:
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")
    return [floor_taken_back(state, now)]


def _timer_base(state: State) -> None:
    check_live(state)
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")


@rule(c.StartTimer)
def _start_timer(state: State, cmd: c.StartTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    if cmd.kind is TimerKind.ANSWER and state.floor.question_id is None:
        raise IllegalTransition("floor.no_question")
    ends_at = now + timedelta(seconds=_seconds(state, cmd.seconds))
    return [e.TimerStarted(at=now, kind=cmd.kind, ends_at=ends_at)]


@rule(c.ExtendTimer)
def _extend_timer(state: State, cmd: c.ExtendTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    ends_at = state.floor.ends_at(cmd.kind)
    if ends_at is None:
        raise IllegalTransition("timer.not_running", kind=cmd.kind.value)
    seconds = _seconds(state, cmd.seconds)
    base = max(ends_at, now)
    new_end = base + timedelta(seconds=seconds)
    if new_end - now > timedelta(seconds=state.limits.timer_max_seconds):
        raise InvalidInput("timer.bad_seconds", limit=state.limits.timer_max_seconds)
    return [e.TimerExtended(at=now, kind=cmd.kind, ends_at=new_end)]


@rule(c.StopTimer)
def _stop_timer(state: State, cmd: c.StopTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    if state.floor.ends_at(cmd.kind) is None:
        raise IllegalTransition("timer.not_running", kind=cmd.kind.value)
    return [e.TimerStopped(at=now, kind=cmd.kind)]


def _closing_floor(state: State, question: Question, now: datetime) -> list[e.Event]:
    """Marking the question on the floor ends the floor segment."""
    if state.floor.question_id == question.question_id:
        return [e.FloorReleased(at=now, returned_question_id=None)]
    return []


@rule(c.MarkAnswered)
def _answered(state: State, cmd: c.MarkAnswered, now: datetime) -> list[e.Event]:
    check_live(state)
    question = get_question(state, cmd.question_id)
    transition(question, QuestionStatus.ANSWERED)
    return [
        e.QuestionAnswered(at=now, question_id=question.question_id),
        *_closing_floor(state, question, now),
    ]


def _check_fate_phase(state: State, actor: Actor) -> None:
    """Who may give a question its fate when: the moderator until the
    dialogue closes; the organiser in every phase (after closing too, for
    the approved questions the day ran out of time for)."""
    if actor.role is not Role.ORGANISER:
        check_not_closed(state)


def _answer_deadline(deadline: date | None, now: datetime) -> None:
    if deadline is not None and deadline < now.astimezone(LOCAL_TZ).date():
        raise InvalidInput("forward.deadline_past")
    check_date(deadline, "deadline")


@rule(c.ForwardQuestion)
def _forward(state: State, cmd: c.ForwardQuestion, now: datetime) -> list[e.Event]:
    _check_fate_phase(state, cmd.actor)
    question = get_question(state, cmd.question_id)
    transition(question, QuestionStatus.FORWARDED)
    agency = clean_label(state, cmd.agency, "agency")
    _answer_deadline(cmd.deadline, now)
    note = clean_text(
        cmd.note, field="note", max_chars=state.limits.reason_max_chars, required=False
    )
    return [
        e.QuestionForwarded(
            at=now,
            question_id=question.question_id,
            agency=agency,
            deadline=cmd.deadline,
            note=note,
        ),
        *_closing_floor(state, question, now),
    ]


@rule(c.DeferQuestion)
def _defer(state: State, cmd: c.DeferQuestion, now: datetime) -> list[e.Event]:
    _check_fate_phase(state, cmd.actor)
    question = get_question(state, cmd.question_id)
    transition(question, QuestionStatus.DEFERRED)
    _answer_deadline(cmd.deadline, now)
    note = clean_text(
        cmd.note, field="note", max_chars=state.limits.reason_max_chars, required=False
    )
    return [
        e.QuestionDeferred(
            at=now, question_id=question.question_id, note=note, deadline=cmd.deadline
        ),
        *_closing_floor(state, question, now),
    ]


def _pending_request(state: State, request_id: int) -> FloorRequest:
    request = state.floor_requests.get(request_id)
    if request is None:
        raise NotFound("floor_request.not_found", request=request_id)
    if request.status is not FloorRequestStatus.PENDING:
        raise IllegalTransition(
            "floor_request.not_pending", request=request_id, status=request.status.value
        )
    return request


@rule(c.RequestFloor)
def _request_floor(state: State, cmd: c.RequestFloor, now: datetime) -> list[e.Event]:
    check_own_bridge(cmd.actor, cmd.bridge_id)
    check_live(state)
    check_bridge(state, cmd.bridge_id)
    if any(r.bridge_id == cmd.bridge_id for r in state.pending_floor_requests()):
        raise IllegalTransition(
            "floor_request.already_pending", bridge=bridge_label(state, cmd.bridge_id)
        )
    if state.floor.holder == cmd.bridge_id:
        raise IllegalTransition(
            "floor_request.already_holds", bridge=bridge_label(state, cmd.bridge_id)
        )
    last = max(
        (r.requested_at for r in state.floor_requests.values() if r.bridge_id == cmd.bridge_id),
        default=None,
    )
    if last is not None and now - last < FLOOR_REQUEST_GAP:
        wait = (FLOOR_REQUEST_GAP - (now - last)).total_seconds()
        raise RateLimited("floor_request.too_soon", seconds=max(1, int(wait + 0.999)))
    note = clean_label(state, cmd.note, "note", required=False)
    return [
        e.FloorRequested(
            at=now, request_id=state.next_request_id, bridge_id=cmd.bridge_id, note=note
        )
    ]


@rule(c.CancelFloorRequest)
def _cancel_request(state: State, cmd: c.CancelFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    check_own_bridge(cmd.actor, request.bridge_id)
    return [e.FloorRequestCancelled(at=now, request_id=request.request_id)]


@rule(c.DeclineFloorRequest)
def _decline_request(state: State, cmd: c.DeclineFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    reason = clean_text(
        cmd.reason, field="reason", max_chars=state.limits.reason_max_chars, required=False
    )
    return [e.FloorRequestDeclined(at=now, request_id=request.request_id, reason=reason)]


# --- folds: how this slice's events change the state -------------------------


@fold(e.FloorGiven)
def _floor_given(state: State, ev: e.FloorGiven) -> None:
    state.floor = Floor(holder=ev.bridge_id, since=ev.at, question_ends_at=ev.question_ends_at)
    if ev.request_id is not None:
        state.floor_requests[ev.request_id].status = FloorRequestStatus.GRANTED


@fold(e.FloorQuestionSet)
def _floor_question_set(state: State, ev: e.FloorQuestionSet) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.ON_FLOOR
    question.speaker_id = ev.speaker_id
    if question.floor_at is None:
        question.floor_at = ev.at
    unqueue(state, question.question_id)
    state.floor.question_id = question.question_id
    state.floor.speaker_id = ev.speaker_id
    record = state.answers.setdefault(
        question.question_id, AnswerRecord(question_id=question.question_id)
    )
    record.speaker_id = ev.speaker_id
    record.started_at = ev.at
    record.ended_at = None


@fold(e.FloorReleased)
def _floor_released(state: State, ev: e.FloorReleased) -> None:
    """The floor's return (``lifecycle.RETURN_TO_QUEUE``): a question still
    on the floor goes back to the head of the queue."""
    if ev.returned_question_id is not None:
        question = state.questions[ev.returned_question_id]
        question.status = QuestionStatus.APPROVED
        state.queue.insert(0, question.question_id)
        record = state.answers.get(question.question_id)
        if record is not None:
            record.ended_at = ev.at
    state.floor = Floor()


@fold(e.TimerStarted)
def _timer_started(state: State, ev: e.TimerStarted) -> None:
    _set_timer(state, ev.kind, ev)


@fold(e.TimerExtended)
def _timer_extended(state: State, ev: e.TimerExtended) -> None:
    _set_timer(state, ev.kind, ev)


def _set_timer(state: State, kind: TimerKind, ev: e.TimerStarted | e.TimerExtended) -> None:
    if kind is TimerKind.QUESTION:
        state.floor.question_ends_at = ev.ends_at
    else:
        state.floor.answer_ends_at = ev.ends_at


@fold(e.TimerStopped)
def _timer_stopped(state: State, ev: e.TimerStopped) -> None:
    if ev.kind is TimerKind.QUESTION:
        state.floor.question_ends_at = None
    else:
        state.floor.answer_ends_at = None


def _close(state: State, question: Question, status: QuestionStatus, at: datetime) -> None:
    question.status = status
    question.closed_at = at
    unqueue(state, question.question_id)
    record = state.answers.get(question.question_id)
    if record is not None and record.ended_at is None:
        record.ended_at = at


@fold(e.QuestionAnswered)
def _question_answered(state: State, ev: e.QuestionAnswered) -> None:
    _close(state, state.questions[ev.question_id], QuestionStatus.ANSWERED, ev.at)


@fold(e.QuestionForwarded)
def _question_forwarded(state: State, ev: e.QuestionForwarded) -> None:
    question = state.questions[ev.question_id]
    question.forwarding = Forwarding(agency=ev.agency, deadline=ev.deadline, note=ev.note)
    _close(state, question, QuestionStatus.FORWARDED, ev.at)


@fold(e.QuestionDeferred)
def _question_deferred(state: State, ev: e.QuestionDeferred) -> None:
    question = state.questions[ev.question_id]
    question.deferral_note = ev.note
    question.deferral_deadline = ev.deadline
    _close(state, question, QuestionStatus.DEFERRED, ev.at)


@fold(e.FloorRequested)
def _floor_requested(state: State, ev: e.FloorRequested) -> None:
    state.floor_requests[ev.request_id] = FloorRequest(
        request_id=ev.request_id, bridge_id=ev.bridge_id, note=ev.note, requested_at=ev.at
    )
    state.next_request_id = max(state.next_request_id, ev.request_id + 1)


@fold(e.FloorRequestCancelled)
def _floor_request_cancelled(state: State, ev: e.FloorRequestCancelled) -> None:
    state.floor_requests[ev.request_id].status = FloorRequestStatus.CANCELLED


@fold(e.FloorRequestDeclined)
def _floor_request_declined(state: State, ev: e.FloorRequestDeclined) -> None:
    request = state.floor_requests[ev.request_id]
    request.status = FloorRequestStatus.DECLINED
    request.reason = ev.reason
