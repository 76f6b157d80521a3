"""Media with real aiortc peer connections on loopback: bridge points
publish synthetic cameras and microphones, the floor (core commands)
switches what the hall displays get, each floor segment is recorded."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import pytest

from session_server.core import commands as c
from session_server.core.errors import Forbidden, IllegalTransition, InvalidInput
from session_server.core.model import Actor, Conditions, QuestionStatus, Role
from session_server.demo import DEMO_DIALOGUE_ID, MAIN_BRIDGE, demo_commands
from session_server.media.manager import MediaManager
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from tests.conftest import MODERATOR
from tests.media_peers import Display, Publisher, loopback_only, wait_for

pytestmark = pytest.mark.slow

DISTRICT = "long-xuyen"
OTHER = "chau-doc"
BRIGHT, DARK = 200, 60
DISTRICT_HZ, HALL_HZ = 440.0, 1500.0


def operator(bridge: str) -> Actor:
    return Actor(Role.BRIDGE_OPERATOR, bridge_id=bridge)


def display(bridge: str) -> Actor:
    return Actor(Role.DISPLAY, bridge_id=bridge)


class Day:
    def __init__(self, session: DialogueSession, manager: MediaManager) -> None:
        self.session = session
        self.media = manager
        self.changes = 0
        self.peers: list[Publisher | Display] = []

    async def run(self, command: c.Command) -> None:
        conditions = Conditions(feeds=self.media.feeds())
        await self.session.execute(command, datetime.now(UTC), lambda: conditions)

    def signal(self, actor: Actor) -> Any:
        async def send(message: dict[str, Any]) -> dict[str, Any]:
            return await self.media.signal(actor, None, message)

        return send

    async def publish(self, bridge: str, luma: int, hz: float) -> Publisher:
        peer = Publisher(luma, hz)
        self.peers.append(peer)
        await peer.start(self.signal(operator(bridge)))
        await wait_for(
            lambda: self.media.health.get(bridge) is not None and self.media.health[bridge].live,
            10,
            f"{bridge} live",
        )
        return peer

    async def view(self, bridge: str) -> Display:
        peer = Display()
        self.peers.append(peer)
        await peer.start(self.signal(display(bridge)))
        await wait_for(lambda: len(peer.frames) > 3, 10, f"pictures on the display at {bridge}")
        return peer


@contextlib.asynccontextmanager
async def media_day(recordings: Path) -> AsyncIterator[Day]:
    """The demo dialogue, live, with its media started (recordings kept in
    ``recordings``); every peer a test adds to it is closed at the end."""
    loopback_only()
    session = DialogueSession(MemoryEventLog(), DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all(demo_commands(now), now)
    holder: dict[str, Day] = {}

    async def execute(command: c.Command) -> None:
        await session.execute(command, datetime.now(UTC))

    def changed() -> None:
        if "day" in holder:
            holder["day"].changes += 1

    manager = MediaManager(
        DEMO_DIALOGUE_ID, recordings_dir=recordings, execute=execute, changed=changed
    )
    session.listeners.append(
        lambda records, rebuilt: manager.on_records(records, rebuilt, session.state)
    )
    manager.start(session.state)
    the_day = holder["day"] = Day(session, manager)
    try:
        yield the_day
    finally:
        for peer in the_day.peers:
            await peer.close()
        await manager.stop()


@pytest.fixture
async def day(tmp_path: Path) -> AsyncIterator[Day]:
    async with media_day(tmp_path) as the_day:
        yield the_day


def mostly(values: list[float], low: float, high: float) -> bool:
    inside = [v for v in values if low <= v <= high]
    return len(values) >= 3 and len(inside) >= 0.9 * len(values)


async def test_the_floor_switches_every_display_to_its_holder(day: Day) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    screen = await day.view(OTHER)
    # nobody holds the floor: the displays show the main venue
    await wait_for(
        lambda: mostly(screen.brightness_since(time.monotonic() - 0.5), 40, 80),
        5,
        "the main venue's picture",
    )

    question = day.session.state.queue[0]
    given = time.monotonic()
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, question_id=question))
    await wait_for(
        lambda: any(v > 180 for v in screen.brightness_since(given)), 5, "the district's picture"
    )
    first_bright = next(at for at, luma, _, _ in screen.frames if at >= given and luma > 180)
    assert first_bright - given < 1.0, "the switch took a second or more"
    await asyncio.sleep(1.0)
    assert mostly(screen.brightness_since(first_bright + 0.2), 180, 220)

    back = time.monotonic()
    await day.run(c.MarkAnswered(MODERATOR, question))  # the floor comes back with it
    await day.run(c.GiveFloor(MODERATOR, MAIN_BRIDGE))
    await wait_for(
        lambda: any(v < 80 for v in screen.brightness_since(back)),
        5,
        "the main venue's picture again",
    )
    first_dark = next(at for at, luma, _, _ in screen.frames if at >= back and luma < 80)
    assert first_dark - back < 1.0

    # steady timestamps across both switches: increasing, no jump beyond the gap in time
    pts = [p for _, _, _, p in screen.frames]
    assert all(b > a for a, b in itertools.pairwise(pts)), "timestamps went backwards"
    arrivals = [at for at, _, _, _ in screen.frames]
    for (a, pa), (b, pb) in itertools.pairwise(zip(arrivals, pts, strict=True)):
        assert (pb - pa) / 90000 < (b - a) + 0.5, "a timestamp jump at a switch"
    assert {w for _, _, w, _ in screen.frames} == {640}
    assert day.media.program is not None and day.media.program.switches >= 2


async def test_a_bridge_point_hears_the_floor_but_never_itself(day: Day) -> None:
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    in_district = await day.view(DISTRICT)
    in_hall = await day.view(MAIN_BRIDGE)
    elsewhere = await day.view(OTHER)
    await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    await asyncio.sleep(2.5)
    # the district hears the hall answering, not its own microphone
    assert in_district.audio_power(HALL_HZ) > 10 * in_district.audio_power(DISTRICT_HZ)
    # the hall hears the district, not itself
    assert in_hall.audio_power(DISTRICT_HZ) > 10 * in_hall.audio_power(HALL_HZ)
    # everyone else hears both
    assert elsewhere.audio_power(DISTRICT_HZ) > 50
    assert elsewhere.audio_power(HALL_HZ) > 50


async def test_each_floor_segment_is_recorded_and_linked_to_its_question(
    day: Day, tmp_path: Path
) -> None:
    await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    state = day.session.state
    first, second = state.queue[0], state.queue[1]
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, question_id=first))
    await asyncio.sleep(2.0)
    await day.run(c.MarkAnswered(MODERATOR, first))  # segment 1 ends, the floor is free
    await day.run(c.GiveFloor(MODERATOR, DISTRICT))  # segment 2: no question yet…
    await day.run(c.SetFloorQuestion(MODERATOR, second))  # …segment 3: the second question
    await asyncio.sleep(3.0)
    await day.run(c.ReleaseFloor(MODERATOR))
    await wait_for(lambda: len(state.recordings) == 2, 5, "two saved recordings")

    by_question = {r.question_id: r for r in state.recordings.values()}
    assert set(by_question) == {first, second}
    for question_id, expected in ((first, 2.0), (second, 3.0)):
        recording = by_question[question_id]
        assert recording.bridge_id == DISTRICT
        assert abs(recording.duration_ms / 1000 - expected) < 0.4, recording
        path = tmp_path / DEMO_DIALOGUE_ID / recording.file
        assert path.stat().st_size == recording.size
        with av.open(str(path)) as container:
            assert container.format.name == "ogg"
            stream = container.streams.audio[0]
            assert stream.codec_context.name in ("opus", "libopus")
            decoded = sum(frame.samples for frame in container.decode(stream)) / 48000
        assert abs(decoded - expected) < 0.4
    assert state.questions[second].status is QuestionStatus.APPROVED  # back in the queue
    assert not list((tmp_path / DEMO_DIALOGUE_ID).glob("*.part"))


async def test_floor_not_given_to_a_bridge_without_a_live_feed_unless_confirmed(
    day: Day,
) -> None:
    seq = day.session.seq
    with pytest.raises(IllegalTransition) as refused:
        await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    assert refused.value.code == "floor.no_feed"
    assert "TP. Long Xuyên" in refused.value.messages()["vi"]
    assert day.session.seq == seq and day.session.state.floor.holder is None
    # the main venue is in the room: no picture needed
    await day.run(c.GiveFloor(MODERATOR, MAIN_BRIDGE))
    await day.run(c.ReleaseFloor(MODERATOR))
    # confirmed by the moderator
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, without_feed=True))
    assert day.session.state.floor.holder == DISTRICT
    await day.run(c.ReleaseFloor(MODERATOR))

    publisher = await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    await day.run(c.ReleaseFloor(MODERATOR))

    # the link fails: flagged at once, and the floor is refused again
    before = day.changes
    lost = time.monotonic()
    await publisher.close()
    await wait_for(lambda: not day.media.health[DISTRICT].live, 5, "the link flagged")
    assert time.monotonic() - lost < 2.5
    assert day.changes > before
    with pytest.raises(IllegalTransition):
        await day.run(c.GiveFloor(MODERATOR, DISTRICT))


async def test_link_health_is_measured(day: Day) -> None:
    publisher = await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    await wait_for(
        lambda: (
            day.media.health[DISTRICT].rtt_ms is not None
            and day.media.health[DISTRICT].kbps is not None
        ),
        6,
        "measured health",
    )
    health = day.media.health[DISTRICT]
    assert 0 <= (health.rtt_ms or 0) < 200, health
    assert (health.kbps or 0) > 50, health
    assert health.loss_pct == 0.0
    assert publisher.pings >= 1
    assert day.media.health.get(OTHER) is None  # never published


async def test_media_signaling_checks_the_role_and_the_offer(day: Day) -> None:
    offer = {"type": "media", "op": "publish", "sdp": "v=0"}
    with pytest.raises(Forbidden):
        await day.media.signal(display(OTHER), None, offer)
    with pytest.raises(Forbidden):
        await day.media.signal(operator(OTHER), None, {**offer, "op": "view"})
    with pytest.raises(Forbidden):
        await day.media.signal(Actor(Role.ATTENDEE, OTHER, device_id="d"), None, offer)
    for bad in (
        {**offer, "sdp": ""},
        {**offer, "sdp": "x" * 20_000},
        {**offer, "sdp": 5},
        {**offer, "op": "hack"},
        {**offer, "sdp": "not an sdp at all"},
    ):
        with pytest.raises(InvalidInput):
            await day.media.signal(operator(OTHER), None, bad)
    assert day.media.publishers == {}
    assert day.media.viewers == {}


async def test_a_display_is_not_asked_for_remb_a_console_is(day: Day) -> None:
    """Every display gets the same encode, at the programme's bitrate: a
    display's bandwidth estimate (REMB) would change nothing, so its offer of
    one is not accepted, and a browser then sends none."""
    console = await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    screen = await day.view(OTHER)
    for peer in (console, screen):  # both offer it, as browsers do
        assert "goog-remb" in peer.pc.localDescription.sdp
    # the console's camera follows the server's estimate of its uplink
    assert "goog-remb" in console.pc.remoteDescription.sdp
    answer = screen.pc.remoteDescription.sdp
    assert "goog-remb" not in answer
    # its keyframe requests and retransmissions stay negotiated
    assert " nack pli\r\n" in answer and " nack\r\n" in answer
    await wait_for(lambda: len(screen.frames) > 10, 5, "the display's pictures")


def gate_of(day: Day, bridge: str, kind: str = "video") -> Any:
    """The gate before that bridge point's decoder of ``kind``."""
    program = day.media.program
    assert program is not None
    gates = [g for g in program.sources[bridge].gates if g.kind == kind]
    assert len(gates) == 1, f"no gate before {bridge}'s {kind} decoder"
    return gates[0]


def decoded(day: Day, bridge: str, kind: str = "video") -> int:
    """Frames of that bridge point's feed handed to its decoder so far."""
    return int(gate_of(day, bridge, kind).decoded)


async def test_only_the_feeds_the_programme_may_need_are_decoded(day: Day) -> None:
    third, fourth = "tan-chau", "an-phu"
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    await day.publish(DISTRICT, 130, DISTRICT_HZ)
    await day.publish(OTHER, 100, 660.0)
    await day.publish(third, BRIGHT, 880.0)
    screen = await day.view(fourth)
    await asyncio.sleep(2.0)  # the publishers' first keyframes are long gone
    program = day.media.program
    assert program is not None
    # nobody holds the floor and nobody asks: the main venue alone is decoded,
    # and every feed's frames keep arriving (the others' links are live)
    assert decoded(day, MAIN_BRIDGE) > 15 and decoded(day, MAIN_BRIDGE, "audio") > 50
    for bridge in (DISTRICT, OTHER, third):
        assert decoded(day, bridge) == 0 and decoded(day, bridge, "audio") == 0, bridge
        assert all(g.received > 15 for g in program.sources[bridge].gates), bridge
        assert day.media.health[bridge].live, bridge

    # a district asks for the floor: the head of the queue's picture is
    # decoded ahead; its sound, not in the mix, is not (it needs no keyframe)
    await day.run(c.RequestFloor(operator(OTHER), OTHER))
    await wait_for(lambda: decoded(day, OTHER) > 5, 2, "the head of the queue decoded")
    assert decoded(day, DISTRICT) == 0 and decoded(day, third) == 0
    assert decoded(day, OTHER, "audio") == 0

    # the floor goes to a bridge point that was not decoded: its picture is
    # on the display within a second (a keyframe asked for, not waited for:
    # aiortc's publisher sends one only every 200 s on its own)
    given = time.monotonic()
    await day.run(c.GiveFloor(MODERATOR, third, without_feed=False))
    await wait_for(
        lambda: any(v > 180 for v in screen.brightness_since(given)), 5, "the new floor's picture"
    )
    first = next(at for at, luma, _, _ in screen.frames if at >= given and luma > 180)
    assert first - given < 1.0, f"the switch took {first - given:.2f} s"
    gate = next(g for g in program.sources[third].gates if g.kind == "video")
    assert gate.keyframe_requests >= 1
    await asyncio.sleep(0.5)
    assert mostly(screen.brightness_since(first + 0.2), 180, 220)
    assert decoded(day, DISTRICT) == 0
    assert decoded(day, third, "audio") > 20  # in the mix now

    # the floor moves on: that feed is no longer decoded
    await day.run(c.ReleaseFloor(MODERATOR))
    await asyncio.sleep(0.3)  # what was already on its way to the decoder
    before = decoded(day, third)
    await asyncio.sleep(1.0)
    assert decoded(day, third) == before
    assert day.media.health[third].live


async def test_a_change_that_moves_no_feed_leaves_every_gate_alone(
    day: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change of the dialogue (a question, a vote) reaches the media
    node; the gates are set again only when the floor, the main venue or the
    feeds to decode move."""
    await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    await day.publish(DISTRICT, 130, DISTRICT_HZ)
    program = day.media.program
    assert program is not None
    gates = [g for source in program.sources.values() for g in source.gates]
    assert len(gates) == 4
    calls: list[str] = []
    for gate in gates:
        for name in ("open", "close"):
            original = getattr(gate, name)

            def counted(original: Any = original, name: str = name) -> None:
                calls.append(name)
                original()

            monkeypatch.setattr(gate, name, counted)
    for _ in range(3):
        day.media.follow(day.session.state)
    assert calls == []
    # the floor moves: the district's gates open, and only then
    await day.run(c.GiveFloor(MODERATOR, DISTRICT, without_feed=False))
    assert "open" in calls and gate_of(day, DISTRICT, "audio").decoding
    calls.clear()
    day.media.follow(day.session.state)
    assert calls == []


async def test_a_publisher_the_programme_does_not_need_is_told_to_stand_by(day: Day) -> None:
    third = "tan-chau"  # asks for the floor, never publishes
    hall = await day.publish(MAIN_BRIDGE, DARK, HALL_HZ)
    district = await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    other = await day.publish(OTHER, 100, 660.0)
    # told when each health channel opens: the main venue is wanted, the others not
    await wait_for(
        lambda: hall.told == ["full"] and district.told == ["standby"] == other.told,
        3,
        "each publisher told its quality",
    )
    # the moderator's link panel reads it from the next measurement
    await wait_for(
        lambda: day.media.health[DISTRICT].standby and day.media.health[OTHER].standby,
        3,
        "the districts' links marked standby",
    )
    assert not day.media.health[MAIN_BRIDGE].standby

    # a district asks for the floor: the head of the queue is wanted next
    await day.run(c.RequestFloor(operator(OTHER), OTHER))
    await wait_for(lambda: other.told == ["standby", "full"], 2, "the queue's head told full")
    # a second request: not the head, and nobody publishing is told anything
    await day.run(c.RequestFloor(operator(third), third))

    # the floor to a district on standby: told at once, and its mark goes at
    # once (not at the next measurement), the moderator's screen told
    changes = day.changes
    await day.run(c.GiveFloor(MODERATOR, DISTRICT))
    assert not day.media.health[DISTRICT].standby and day.changes > changes
    await wait_for(lambda: district.told == ["standby", "full"], 2, "the floor told full")

    # the floor comes back: standby again; the head declined: standby too
    await day.run(c.ReleaseFloor(MODERATOR))
    await wait_for(
        lambda: district.told == ["standby", "full", "standby"], 2, "the released floor told"
    )
    request = next(r for r in day.session.state.pending_floor_requests() if r.bridge_id == OTHER)
    await day.run(c.DeclineFloorRequest(MODERATOR, request.request_id))
    await wait_for(
        lambda: other.told == ["standby", "full", "standby"], 2, "the declined head told"
    )
    await wait_for(
        lambda: day.media.health[DISTRICT].standby and day.media.health[OTHER].standby,
        3,
        "both links standby again",
    )

    # records that change nothing the programme decodes tell nobody anything
    question = day.session.state.queue[0]
    await day.run(c.GiveFloor(MODERATOR, MAIN_BRIDGE, question_id=question))
    await day.run(c.ReleaseFloor(MODERATOR))
    await asyncio.sleep(0.3)
    assert hall.told == ["full"]
    assert district.told == ["standby", "full", "standby"]
    assert other.told == ["standby", "full", "standby"]

    # the district's console reconnects: its new channel is told again
    again = await day.publish(DISTRICT, BRIGHT, DISTRICT_HZ)
    await wait_for(lambda: again.told == ["standby"], 3, "the new publication told standby")
    assert district.replaced
    assert district.told == ["standby", "full", "standby"]
