"""On air, part by part: the stream keys' store (0600, masked, checked), the
backoff and the reasons that never carry a URL, the chapters as a pure
function of the log, the recorder's logged start, and the report's link to
each answered question's moment."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from session_server.config import load_settings
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.chapters import (
    Chapter,
    answer_moments,
    chapters,
    floor_segments,
    webvtt,
)
from session_server.core.errors import Forbidden, InvalidInput
from session_server.core.model import Actor, Floor, QuestionStatus, Role, State
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.media.destinations import MAX_DESTINATIONS, DestinationStore
from session_server.media.onair import backoff, reason_of
from session_server.runtime.session import DialogueSession
from session_server.web.app import create_app
from tests.recorddemo import DAY, record_log

RECORDER = Actor(Role.RECORDER)
T0 = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)


# --- stream keys -----------------------------------------------------------------------


def test_stream_keys_are_kept_private_and_shown_masked(tmp_path: Path) -> None:
    store = DestinationStore(tmp_path / "keys", "d1")
    assert store.load() == []
    key = "live_98765_abcdefXYZ"
    added = store.add("  YouTube   live ", "rtmp://a.rtmp.youtube.com/live2", key)
    assert added.label == "YouTube live"
    assert added.target() == f"rtmp://a.rtmp.youtube.com/live2/{key}"
    assert added.masked_key() == "••••fXYZ" and key not in added.masked_key()
    assert store.add("short", "rtmps://live-api-s.facebook.com:443/rtmp/", "abc").masked_key() == (
        "••••"
    )
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert store.load()[0].dest_id == added.dest_id
    assert store.get(added.dest_id) == added and store.get("00000000") is None
    assert store.remove(added.dest_id) and not store.remove(added.dest_id)
    assert len(store.load()) == 1
    # a hand-edited file with junk keeps only well-formed entries
    store.path.write_text(json.dumps([{"dest_id": "../x"}, "junk"]))
    assert store.load() == []


@pytest.mark.parametrize(
    ("label", "url", "key", "code"),
    [
        ("", "rtmp://h/app", "k", "onair.bad_label"),
        ("x" * 61, "rtmp://h/app", "k", "onair.bad_label"),
        ("a", "http://h/app", "k", "onair.bad_url"),
        ("a", "rtmp://user:pw@h/app", "k", "onair.bad_url"),
        ("a", "rtmp://h/app?key=1", "k", "onair.bad_url"),
        ("a", "rtmp://h/a pp", "k", "onair.bad_url"),
        ("a", "rtmp:///app", "k", "onair.bad_url"),
        ("a", "rtmp://h:99999/app", "k", "onair.bad_url"),
        ("a", "rtmp://hé/app", "k", "onair.bad_url"),
        ("a", "rtmp://h/app", "", "onair.bad_key"),
        ("a", "rtmp://h/app", "a key", "onair.bad_key"),
        ("a", "rtmp://h/app", "k" * 301, "onair.bad_key"),
    ],
)
def test_a_destination_that_is_not_rtmp_is_refused(
    tmp_path: Path, label: str, url: str, key: str, code: str
) -> None:
    store = DestinationStore(tmp_path, "d1")
    with pytest.raises(InvalidInput) as refused:
        store.add(label, url, key)
    assert refused.value.code == code
    assert not store.path.exists()


def test_a_dialogue_has_at_most_six_destinations(tmp_path: Path) -> None:
    store = DestinationStore(tmp_path, "d1")
    for n in range(MAX_DESTINATIONS):
        store.add(f"d{n}", "rtmp://127.0.0.1/live", f"key{n}")
    with pytest.raises(InvalidInput) as refused:
        store.add("one more", "rtmp://127.0.0.1/live", "key")
    assert refused.value.code == "onair.too_many"


def test_the_backoff_is_capped_and_reasons_carry_no_url() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [1, 2, 4, 8, 16, 30, 30, 30]
    with pytest.raises(av.FFmpegError) as caught:
        av.open("rtmp://127.0.0.1:1/live/SECRET-KEY", "w", format="flv").start_encoding()
    reason = reason_of(caught.value)
    assert reason and "SECRET" not in reason and "rtmp" not in reason
    assert reason_of(OSError(32, "Broken pipe: rtmp://x/y/KEY")) == "Broken pipe"
    assert reason_of(ValueError("rtmp://x/KEY")) == "ValueError"


# --- chapters --------------------------------------------------------------------------


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_chapters_are_the_floor_segments_from_the_videos_start() -> None:
    alone = floor_segments([e.FloorQuestionSet(at=_at(1), question_id=1, speaker_id=None)])
    assert alone == []  # nobody holds the floor: no segment
    events: list[e.Event] = [
        e.FloorQuestionSet(at=_at(5), question_id=1, speaker_id=None),  # the hall's question
        e.FloorGiven(at=_at(10), bridge_id="a", request_id=None, question_ends_at=None),
        e.FloorQuestionSet(at=_at(11), question_id=7, speaker_id="s"),
        e.FloorGiven(at=_at(20), bridge_id="b", request_id=None, question_ends_at=None),
        e.FloorReleased(at=_at(30), returned_question_id=None),
        e.FloorReleased(at=_at(31), returned_question_id=None),
        e.FloorGiven(at=_at(40), bridge_id="a", request_id=None, question_ends_at=None),
    ]
    held = Floor(holder="hall", question_id=None, since=_at(-5))
    segments = floor_segments(events, held)
    assert [(s.bridge_id, s.question_id, s.speaker_id) for s in segments] == [
        ("hall", 1, None),
        ("a", 7, "s"),
        ("b", None, None),
        ("a", None, None),
    ]
    assert segments[1].start == _at(10) and segments[1].end == _at(20)
    assert segments[-1].end is None
    state = State()
    marks = chapters(state, segments, _at(0), _at(45))
    assert [(m.start, m.end) for m in marks] == [(0, 10), (10, 20), (20, 30), (40, 45)]
    assert marks[1].title == "a"  # unknown question and bridge: the ids
    assert chapters(state, segments[:3], _at(50), _at(60)) == []  # all before the video


def test_webvtt_keeps_one_line_per_cue_and_escapes() -> None:
    text = webvtt([Chapter(0.0, 3725.5, "Câu 1: a < b && c --> d\n\nnext"), Chapter(5, 5, "x")])
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 01:02:05.500\n")
    assert "Câu 1: a &lt; b &amp;&amp; c --&gt; d next\n" in text
    assert "00:00:05.000 --> 00:00:05.001" in text


def test_the_recorder_logs_the_videos_start_and_nobody_else_may() -> None:
    log = record_log()

    async def check() -> None:
        session = DialogueSession(log, DEMO_DIALOGUE_ID)
        await session.load()
        now = datetime.now(UTC)
        with pytest.raises(InvalidInput):
            await session.execute(
                c.StartProgrammeRecording(RECORDER, started_at=now, file="../x.mp4"), now
            )
        with pytest.raises(InvalidInput):
            await session.execute(
                c.StartProgrammeRecording(
                    RECORDER, started_at=now.replace(tzinfo=None), file="p.mp4"
                ),
                now,
            )
        with pytest.raises(Forbidden):
            await session.execute(
                c.StartProgrammeRecording(Actor(Role.ORGANISER), started_at=now, file="p.mp4"), now
            )
        assert session.state.programme_started_at is None
        assert answer_moments(session.state) == {}
        started = DAY - timedelta(minutes=1)
        await session.execute(
            c.StartProgrammeRecording(RECORDER, started_at=started, file="programme.mp4"), now
        )
        state = session.state
        assert state.programme_started_at == started and state.programme_file == "programme.mp4"
        moments = answer_moments(state)
        answered = [q for q in state.questions.values() if q.status is QuestionStatus.ANSWERED]
        assert answered and set(moments) == {q.question_id for q in answered if q.floor_at}
        for question in answered:
            assert question.floor_at is not None
            assert moments[question.question_id] == int(
                (question.floor_at - started).total_seconds()
            )

    asyncio.run(check())


def test_the_public_report_links_each_answered_question_to_its_moment() -> None:
    log = record_log()

    async def start() -> None:
        session = DialogueSession(log, DEMO_DIALOGUE_ID)
        await session.load()
        started = DAY - timedelta(minutes=1)
        command = c.StartProgrammeRecording(RECORDER, started_at=started, file="programme.mp4")
        await session.execute(command, datetime.now(UTC))

    asyncio.run(start())
    settings = dataclasses.replace(
        load_settings(None), organiser_password=Secret("pw-123456"), media=False
    )
    with TestClient(create_app(settings, log, "s" * 32)) as client:
        text = client.get(f"/r/{DEMO_DIALOGUE_ID}").text
        state = client.app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state  # type: ignore[attr-defined]
    moments = answer_moments(state)
    assert moments
    for seconds in moments.values():
        assert f'href="/r/{DEMO_DIALOGUE_ID}/video.mp4#t={seconds}">xem lại câu trả lời</a>' in text
    assert text.count("xem lại câu trả lời") == len(moments)


def test_without_media_the_livestream_page_says_so_and_refuses() -> None:
    import re

    settings = dataclasses.replace(
        load_settings(None), organiser_password=Secret("pw-123456"), media=False
    )
    with TestClient(create_app(settings, record_log(), "s" * 32)) as client:
        assert client.get(f"/o/{DEMO_DIALOGUE_ID}/onair/status").status_code == 401
        signed = client.post("/o/login", data={"password": "pw-123456"}, follow_redirects=False)
        assert signed.status_code == 303
        page = client.get(f"/o/{DEMO_DIALOGUE_ID}/onair")
        assert page.status_code == 200 and "ONAIR=off" in page.text
        assert "/r/an-giang-2024/live/index.m3u8" in page.text
        links = client.get(f"/o/{DEMO_DIALOGUE_ID}/links").text  # a form's token
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', links)
        assert csrf is not None
        refused = client.post(
            f"/o/{DEMO_DIALOGUE_ID}/onair",
            data={
                "csrf": csrf.group(1),
                "action": "add",
                "label": "x",
                "url": "rtmp://h/a",
                "key": "SECRETKEY",
            },
        )
        assert refused.status_code == 400 and "MEDIA=0" in refused.text
        assert "SECRETKEY" not in refused.text
        status = client.get(f"/o/{DEMO_DIALOGUE_ID}/onair/status")
        assert status.status_code == 200 and 'id="onair-table"' in status.text


# --- a destination's relay process, its main run in this process ------------------------


def _flv(path: Path, url: str, *, audio: bool = True) -> int:
    """A file holding what the server sends a relay: the URL line, then FLV."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flv") as out:
        video = out.add_stream("libx264", rate=15)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        sound = out.add_stream("aac", rate=48000) if audio else None
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), i * 8, np.uint8), "rgb24")
            frame.pts = i
            out.mux(video.encode(frame.reformat(format="yuv420p")))
            if sound is not None:
                chunk = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for plane in chunk.planes:
                    plane.update(bytes(plane.buffer_size))
                chunk.sample_rate, chunk.pts = 48000, i * 1024
                out.mux(sound.encode(chunk))
        out.mux(video.encode(None))
    path.write_bytes(url.encode() + b"\n" + buffer.getvalue())
    return os.open(path, os.O_RDONLY)


def test_the_relay_copies_the_programme_to_its_destination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket
    import threading

    from session_server.media.relay import main

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    got: list[str] = []

    def receive() -> None:
        url = f"rtmp://127.0.0.1:{port}/live/RELAY-KEY"
        with (
            contextlib.suppress(av.FFmpegError),
            av.open(url, format="flv", options={"listen": "1"}) as c,
        ):
            got.extend(p.stream.type for p in c.demux() if p.size)

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    time.sleep(0.3)
    assert main(_flv(tmp_path / "in.flv", f"rtmp://127.0.0.1:{port}/live/RELAY-KEY")) == 0
    receiver.join(10)
    assert capsys.readouterr().out == "live\n"
    assert got.count("video") >= 25 and "audio" in got

    # a programme without its sound is refused; a server that is not there, said so
    assert main(_flv(tmp_path / "mute.flv", "rtmp://127.0.0.1:1/live/K", audio=False)) == 1
    assert capsys.readouterr().out == "error picture or sound missing from the programme\n"
    assert main(_flv(tmp_path / "gone.flv", f"rtmp://127.0.0.1:{port}/live/GONE-KEY")) == 1
    said = capsys.readouterr().out
    assert said.startswith("error ") and "GONE-KEY" not in said and "rtmp" not in said
