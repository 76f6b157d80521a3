"""The programme on air, on the web: the public page's player and the
programme's files (``screens/onair.py``), and a hall display link's
broadcast overlay and JSON feed (``screens/overlay.py``)."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from session_server.catalogue import MESSAGES
from session_server.core.model import QuestionStatus, State
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.app import create_app
from session_server.web.screens.overlay import feed_url, overlay_url
from tests.recorddemo import record_log
from tests.test_web_screens import hello, ws_send
from tests.webapp import SECRET, build_app, settings, token

DEMO = DEMO_DIALOGUE_ID
PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nindex0.ts\n"
VIDEO = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "recordings"


@pytest.fixture
def app(folder: Path) -> Starlette:
    return build_app(recordings_dir=str(folder), frame_ancestors=("https://studio.example",))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def closed(folder: Path) -> Iterator[TestClient]:
    app = create_app(settings(recordings_dir=str(folder)), record_log(), SECRET)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def live_stream(folder: Path) -> Path:
    live = folder / DEMO / "live"
    live.mkdir(parents=True, exist_ok=True)
    (live / "index.m3u8").write_text(PLAYLIST)
    (live / "index0.ts").write_bytes(b"G" * 188 * 4)
    return live


def bilingual_404(response: object) -> None:
    """A 404 that says why in Vietnamese and in English."""
    assert response.status_code == 404  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    code = re.search(r"<code>([a-z_.]+)</code>", text)
    assert code, text[:300]
    vi, en = MESSAGES[code.group(1)]
    assert html.escape(vi) in text and html.escape(en) in text


def state(app: Starlette) -> State:
    result: State = app.state.registry.hubs[DEMO].session.state
    return result


# --- the public page's player ---------------------------------------------------------------


def test_no_player_while_the_live_stream_is_not_there(client: TestClient, folder: Path) -> None:
    page = client.get(f"/r/{DEMO}")
    assert page.status_code == 200
    assert 'id="live-player"' not in page.text and "hls.light.min.js" not in page.text
    live_stream(folder)
    page = client.get(f"/r/{DEMO}")
    assert 'id="live-video"' in page.text
    assert f'data-hls="/r/{DEMO}/live/index.m3u8"' in page.text
    assert '<script src="/static/vendor/hls.light.min.js" defer></script>' in page.text
    assert '<script src="/static/js/player.js" defer></script>' in page.text
    assert "<script>" not in page.text  # the page's CSP runs no inline script
    assert "Đang phát trực tiếp" in page.text
    assert "Live now" in client.get(f"/r/{DEMO}?lang=en").text
    # a video file of the day is not offered while live: the live stream is
    (folder / DEMO / "programme.mp4").write_bytes(VIDEO)
    assert 'id="recording-video"' not in client.get(f"/r/{DEMO}").text


def test_the_recording_is_offered_once_the_dialogue_ended(closed: TestClient, folder: Path) -> None:
    live_stream(folder)  # left over from the day: not shown once closed
    page = closed.get(f"/r/{DEMO}")
    assert page.status_code == 200 and 'id="live-player"' not in page.text
    (folder / DEMO / "programme.mp4").write_bytes(VIDEO)
    page = closed.get(f"/r/{DEMO}")
    assert f'src="/r/{DEMO}/video.mp4"' in page.text and 'id="live-video"' not in page.text
    assert 'kind="chapters"' not in page.text and "hls.light.min.js" not in page.text
    (folder / DEMO / "programme.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:10.000\nCâu hỏi 1\n")
    page = closed.get(f"/r/{DEMO}")
    assert f'<track kind="chapters" src="/r/{DEMO}/chapters.vtt"' in page.text
    chapters = closed.get(f"/r/{DEMO}/chapters.vtt")
    assert chapters.status_code == 200 and chapters.headers["content-type"].startswith("text/vtt")
    assert chapters.text.startswith("WEBVTT")


# --- the programme's files ------------------------------------------------------------------


def test_the_live_files_have_their_types_and_cache(client: TestClient, folder: Path) -> None:
    live_stream(folder)
    playlist = client.get(f"/r/{DEMO}/live/index.m3u8")
    assert playlist.status_code == 200 and playlist.text == PLAYLIST
    assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["cache-control"] == "no-store"
    assert playlist.headers["referrer-policy"] == "no-referrer"
    segment = client.get(f"/r/{DEMO}/live/index0.ts")
    assert segment.status_code == 200 and segment.content == b"G" * 188 * 4
    assert segment.headers["content-type"] == "video/mp2t"
    assert segment.headers["cache-control"] == "public, max-age=600"
    (folder / DEMO / "live" / "init.mp4").write_bytes(b"\0\0\0\x08ftyp")
    (folder / DEMO / "live" / "seg-1.m4s").write_bytes(b"\0\0\0\x08moof")
    assert client.get(f"/r/{DEMO}/live/init.mp4").headers["content-type"] == "video/mp4"
    assert client.get(f"/r/{DEMO}/live/seg-1.m4s").headers["content-type"] == "video/iso.segment"
    bilingual_404(client.get(f"/r/{DEMO}/live/index9.ts"))  # not written (yet)
    # the report page itself keeps its minute
    assert client.get(f"/r/{DEMO}").headers["cache-control"] == "public, max-age=60"


def test_names_outside_the_live_folder_are_refused(client: TestClient, folder: Path) -> None:
    live = live_stream(folder)
    secret = folder / "secret.m3u8"
    secret.write_text("#EXTM3U secret")
    (live / ".hidden.m3u8").write_text("#EXTM3U hidden")
    (live / "notes.txt").write_text("notes")
    os.symlink(secret, live / "linked.m3u8")
    (live / "folder.ts").mkdir()
    for name in (
        "..%2F..%2Fsecret.m3u8",
        "..%2Fsecret.m3u8",
        "%2E%2E%2Fsecret.m3u8",
        "..\\secret.m3u8",
        ".hidden.m3u8",
        "notes.txt",
        "linked.m3u8",
        "folder.ts",
        "index.m3u8%00.ts",
        "a" * 200 + ".ts",
        "index.M3U8",
    ):
        response = client.get(f"/r/{DEMO}/live/{name}")
        assert response.status_code == 404, name
        assert "secret" not in response.text and "hidden" not in response.text, name
    bilingual_404(client.get(f"/r/{DEMO}/live/linked.m3u8"))
    for path in (
        f"/r/..%2F{DEMO}/live/index.m3u8",
        f"/r/{DEMO}/..%2F..%2Fsecret.m3u8/video.mp4",
        "/r/no-such-dialogue/live/index.m3u8",
        "/r/no-such-dialogue/video.mp4",
    ):
        assert client.get(path).status_code == 404, path


def test_the_video_answers_byte_ranges(closed: TestClient, folder: Path) -> None:
    bilingual_404(closed.get(f"/r/{DEMO}/video.mp4"))  # no file yet
    bilingual_404(closed.get(f"/r/{DEMO}/chapters.vtt"))
    (folder / DEMO).mkdir(parents=True)
    (folder / DEMO / "programme.mp4").write_bytes(VIDEO)
    whole = closed.get(f"/r/{DEMO}/video.mp4")
    assert whole.status_code == 200 and whole.content == VIDEO
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["cache-control"] == "no-cache"
    part = closed.get(f"/r/{DEMO}/video.mp4", headers={"Range": "bytes=1000-1099"})
    assert part.status_code == 206 and part.content == VIDEO[1000:1100]
    assert part.headers["content-range"] == f"bytes 1000-1099/{len(VIDEO)}"
    tail = closed.get(f"/r/{DEMO}/video.mp4", headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == VIDEO[-16:]
    beyond = closed.get(f"/r/{DEMO}/video.mp4", headers={"Range": f"bytes={len(VIDEO) + 5}-"})
    assert beyond.status_code == 416
    # the file grows while the dialogue is live: a later request sees more of it
    with open(folder / DEMO / "programme.mp4", "ab") as grown:
        grown.write(b"more")
    later = closed.get(f"/r/{DEMO}/video.mp4", headers={"Range": f"bytes={len(VIDEO)}-"})
    assert later.status_code == 206 and later.content == b"more"


def test_nothing_is_served_before_the_day(folder: Path) -> None:

    log = MemoryEventLog()

    async def seed() -> None:
        session = DialogueSession(log, DEMO)
        await session.load()
        now = datetime.now(UTC)
        await session.execute_all(demo_commands(now, live=False), now)

    asyncio.run(seed())
    live_stream(folder)
    (folder / DEMO / "programme.mp4").write_bytes(VIDEO)
    with TestClient(create_app(settings(recordings_dir=str(folder)), log, SECRET)) as client:
        for path in ("live/index.m3u8", "video.mp4", "chapters.vtt"):
            bilingual_404(client.get(f"/r/{DEMO}/{path}"))


# --- the broadcast overlay ---------------------------------------------------------------------


def test_the_overlay_is_a_display_links_and_frameable(app: Starlette, client: TestClient) -> None:
    page = client.get(f"/s/{token(app, 'display0001')}/overlay")
    assert page.status_code == 200
    assert 'id="overlay"' in page.text and "/static/css/overlay.css" in page.text
    assert f'ws-connect="/ws/{token(app, "display0001")}?view=overlay"' in page.text
    assert "frame-ancestors https://studio.example" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    assert "<script>" not in page.text
    for link_id in ("moderator01", "opchaudoc01", "speaker0001"):
        refused = client.get(f"/s/{token(app, link_id)}/overlay")
        assert refused.status_code == 403, link_id
        assert "frame-ancestors 'none'" in refused.headers["content-security-policy"]
    assert client.get("/s/forged-token/overlay").status_code in (403, 404)


def _questions(app: Starlette) -> tuple[int, int]:
    """An approved question whose asker agreed to be named, and one whose did not."""
    approved = [
        q
        for q in state(app).questions.values()
        if q.status is QuestionStatus.APPROVED and q.asker.name
    ]
    named = next(q for q in approved if q.asker.public)
    unnamed = next(q for q in approved if not q.asker.public)
    return named.question_id, unnamed.question_id


def test_the_overlay_and_its_feed_follow_the_floor(app: Starlette, client: TestClient) -> None:
    display = token(app, "display0001")
    with (
        client.websocket_connect(f"/ws/{token(app, 'moderator01')}") as moderator,
        client.websocket_connect(f"/ws/{display}?view=overlay") as overlay,
        client.websocket_connect(f"/ws/{display}?view=feed") as feed,
    ):
        hello(moderator)
        first = hello(overlay)
        assert 'id="overlay"' in first and "lower-third" not in first
        assert 'id="display"' not in first  # the hall display's own fragments are not sent
        feed.send_json({"type": "hello", "epoch": "", "seq": -1})
        message = json.loads(feed.receive_text())
        assert message["type"] == "overlay" and message["on_air"] is False
        assert message["floor"] is None and isinstance(message["seq"], int)

        named, unnamed = _questions(app)
        asker = state(app).questions[named].asker
        speaker = next(iter(state(app).speakers))
        reply = ws_send(
            moderator,
            {
                "action": "give_floor",
                "bridge_id": state(app).questions[named].bridge_id,
                "question_id": named,
                "speaker_id": speaker,
                "question_seconds": 120,
            },
        )
        assert "flash-ok" in reply, reply
        shown = overlay.receive_text()
        assert "lower-third" in shown and state(app).questions[named].text[:40] in shown
        assert asker.name in shown and 'data-ends-at="' in shown
        assert state(app).speakers[speaker].name in shown
        message = json.loads(feed.receive_text())
        floor = message["floor"]
        assert message["on_air"] is True
        assert message["seq"] == app.state.registry.hubs[DEMO].session.seq
        assert floor["question_id"] == named and floor["asker"].startswith(asker.name)
        assert floor["question"] == state(app).questions[named].text
        assert floor["speaker_id"] == speaker and floor["question_ends_at"]
        assert set(floor) == {
            "bridge_id",
            "bridge",
            "question_id",
            "question",
            "asker",
            "speaker_id",
            "speaker",
            "item",
            "question_ends_at",
            "answer_ends_at",
        }

        # an asker who did not agree to be named is not named
        ws_send(moderator, {"action": "release_floor"})
        overlay.receive_text()
        assert json.loads(feed.receive_text())["on_air"] is False
        ws_send(
            moderator,
            {
                "action": "give_floor",
                "bridge_id": state(app).questions[unnamed].bridge_id,
                "question_id": unnamed,
            },
        )
        shown = overlay.receive_text()
        hidden = state(app).questions[unnamed].asker.name
        assert state(app).questions[unnamed].text[:40] in shown and hidden not in shown
        floor = json.loads(feed.receive_text())["floor"]
        assert floor["asker"] == "" and floor["question_id"] == unnamed


def test_other_views_of_a_link_are_refused(app: Starlette, client: TestClient) -> None:
    for link_id, view in (
        ("display0001", "moderator"),
        ("display0001", "x" * 5000),
        ("moderator01", "feed"),
        ("phchaudoc01", "overlay"),
    ):
        with (
            pytest.raises(WebSocketDisconnect),
            client.websocket_connect(f"/ws/{token(app, link_id)}?view={view}") as ws,
        ):
            ws.receive_text()


def test_the_links_page_lists_the_overlay_and_its_feed(app: Starlette, client: TestClient) -> None:
    response = client.post("/o/login", data={"password": "organiser-pw"}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(f"/o/{DEMO}/links")
    display = f"http://testserver/s/{token(app, 'display0001')}"
    assert f'href="{display}/overlay"' in page.text
    assert f"ws://testserver/ws/{token(app, 'display0001')}?view=feed" in page.text
    assert "Đồ họa phát sóng (OBS, vMix)" in page.text
    assert page.text.count("?view=feed") == 1  # the hall display's only


def test_the_feed_and_overlay_urls_follow_the_links_scheme() -> None:
    assert overlay_url("https://d.example/s/TOKEN") == "https://d.example/s/TOKEN/overlay"
    assert feed_url("https://d.example/s/TOKEN") == "wss://d.example/ws/TOKEN?view=feed"
    assert feed_url("http://10.0.0.2:8000/s/T") == "ws://10.0.0.2:8000/ws/T?view=feed"
    assert feed_url("https://d.example/app/s/T") == "wss://d.example/app/ws/T?view=feed"
