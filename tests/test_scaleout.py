"""Two real server processes on one private ``redis-server``.

The first seeds the demo (``--demo``), the second starts on the same store
and the same ``SECRET_KEY`` without it. A phone on server 1 submits; the
moderator's screen on server 2 shows it. Two moderators, one on each
process, race approvals, rejections and the floor over the JSON API: every
command either succeeded once or was refused with a specific error, and
both processes end in the state a fresh replay of the log gives.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from websockets.asyncio.client import connect

from session_server.demo import DEMO_DIALOGUE_ID
from session_server.runtime.session import DialogueSession
from session_server.store import open_log
from session_server.web.transport.api_views import full_state
from tests._server import RunningServer, start_server
from tests.redis_fixture import RedisServer

pytestmark = pytest.mark.slow

ENV = {
    "SECRET_KEY": "scale-out-test-secret-" + "x" * 16,
    "ORGANISER_PASSWORD": "scale-out-organiser",
    "RATE_DEVICE": "100000/1",
    "RATE_BRIDGE": "100000/1",
    "RATE_SOCKET": "100000/1",
    "CONNECTIONS_PER_ADDRESS": "1000000",  # every phone comes from 127.0.0.1
    "SOCKET_SILENCE": "100000",  # its phones do not ping
    "LOG_LEVEL": "WARNING",
}


Cluster = tuple[RedisServer, RunningServer, RunningServer]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("scaleout")
    redis_server = RedisServer.start(folder / "redis")
    one = two = None
    try:
        one = start_server(folder / "one", store=redis_server.url, env=ENV, demo=True)
        two = start_server(folder / "two", store=redis_server.url, env=ENV, demo=False)
        yield redis_server, one, two
    finally:
        for server in (two, one):
            if server is not None:
                server.stop()
        redis_server.stop()


def token_of(server: RunningServer, role: str) -> str:
    return server.link(role).path.rsplit("/", 1)[1]


def ws_url(server: RunningServer, token: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/{token}"


def device_cookie(server: RunningServer) -> str:
    with urllib.request.urlopen(server.base_url + server.link("attendee").path) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "ssd":
                return rest.split(";", 1)[0]
    raise AssertionError("the phone page set no device cookie")


async def state_of(client: httpx.AsyncClient, server: RunningServer, token: str) -> dict[str, Any]:
    response = await client.get(
        f"{server.base_url}/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def command(
    client: httpx.AsyncClient, server: RunningServer, token: str, **body: Any
) -> tuple[int, str]:
    response = await client.post(
        f"{server.base_url}/api/v1/commands",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    data = response.json()
    return response.status_code, "ok" if response.status_code == 200 else data["error"]


def test_both_processes_serve_the_printed_links(
    cluster: Cluster,
) -> None:
    _redis, one, two = cluster
    assert "redis://" in one.log() and "redis://" in two.log()
    # the second process prints the links the first one made, signed with the same key
    assert token_of(one, "moderator") == token_of(two, "moderator")


async def test_a_phone_on_one_process_reaches_the_moderator_on_the_other(
    cluster: Cluster,
) -> None:
    _redis, one, two = cluster
    cookie = device_cookie(one)
    mark = f"xq{secrets.token_hex(4)}x"
    async with connect(ws_url(two, token_of(two, "moderator")), compression=None) as moderator:
        await moderator.send(json.dumps({"type": "hello", "epoch": None, "seq": 0}))
        await asyncio.wait_for(moderator.recv(), 10)  # the first render
        async with connect(
            ws_url(one, token_of(one, "attendee")),
            compression=None,
            additional_headers={"Cookie": f"ssd={cookie}"},
        ) as phone:
            await phone.send(json.dumps({"type": "hello", "epoch": None, "seq": 0}))
            await asyncio.wait_for(phone.recv(), 10)
            await phone.send(
                json.dumps(
                    {
                        "action": "submit_question",
                        "text": f"Câu hỏi từ điện thoại {mark}?",
                        "idempotency_key": f"k-{mark}",
                        "topic_id": "",
                    }
                )
            )

            async def seen() -> None:
                while True:
                    message = await moderator.recv()
                    text = message if isinstance(message, str) else message.decode()
                    if mark in text:
                        return

            await asyncio.wait_for(seen(), 10)


async def test_racing_moderators_on_two_processes_account_for_every_command(
    cluster: Cluster,
) -> None:
    redis_server, one, two = cluster
    mod_one, mod_two = token_of(one, "moderator"), token_of(two, "moderator")
    async with httpx.AsyncClient(timeout=30) as client:
        # more questions waiting, submitted through both processes
        operator = one.links_of("bridge operator")[0].path.rsplit("/", 1)[1]
        for n in range(20):
            server = (one, two)[n % 2]
            status, code = await command(
                client,
                server,
                operator,
                action="submit_question",
                text=f"Câu hỏi đua số {n}?",
                idempotency_key=f"race-{n:04d}",
                topic_id="",
            )
            assert status == 200, code
        state = await state_of(client, one, mod_one)
        waiting = [q["question_id"] for q in state["questions"] if q["status"] == "submitted"]
        assert len(waiting) >= 20
        bridges = [b["bridge_id"] for b in state["bridges"]]

        jobs: list[tuple[str, int | str, Any]] = []
        for qid in waiting:
            jobs.append(
                (
                    "approve",
                    qid,
                    command(client, one, mod_one, action="approve_question", question_id=qid),
                )
            )
            jobs.append(
                (
                    "reject",
                    qid,
                    command(
                        client,
                        two,
                        mod_two,
                        action="reject_question",
                        question_id=qid,
                        reason="Trùng lặp",
                    ),
                )
            )
        for i, bridge in enumerate(bridges[:6]):
            server, token = ((one, mod_one), (two, mod_two))[i % 2]
            jobs.append(
                (
                    "floor",
                    bridge,
                    command(client, server, token, action="give_floor", bridge_id=bridge),
                )
            )
        results = await asyncio.gather(*(job for _, _, job in jobs))

        outcomes: Counter[str] = Counter()
        for (kind, subject, _job), (status, code) in zip(jobs, results, strict=True):
            outcomes[code] += 1
            assert status in (200, 409), (kind, subject, status, code)
            if status == 409:  # refused with the reason, never silently dropped
                expected = "floor.busy" if kind == "floor" else "question.illegal_transition"
                assert code == expected, (kind, subject, code)
        winners: Counter[int] = Counter()
        for (kind, subject, _job), (status, _code) in zip(jobs, results, strict=True):
            if kind in ("approve", "reject") and status == 200:
                assert isinstance(subject, int)
                winners[subject] += 1
        assert all(winners[qid] == 1 for qid in waiting), winners  # exactly one decision each
        given = [
            subject
            for (kind, subject, _j), (st, _c) in zip(jobs, results, strict=True)
            if kind == "floor" and st == 200
        ]
        assert len(given) == 1  # one floor: the others were refused as busy

        # both processes converge on the log
        for _ in range(100):
            a, b = await state_of(client, one, mod_one), await state_of(client, two, mod_two)
            if a["seq"] == b["seq"]:
                break
            await asyncio.sleep(0.05)
        assert (a["epoch"], a["seq"]) == (b["epoch"], b["seq"])
        assert a == b
        assert a["floor"]["holder"] == given[0]
        for (kind, subject, _job), (status, _code) in zip(jobs, results, strict=True):
            if kind in ("approve", "reject") and status == 200:
                question = next(q for q in a["questions"] if q["question_id"] == subject)
                assert question["status"] == {"approve": "approved", "reject": "rejected"}[kind]

    log = open_log(redis_server.url)
    try:
        fresh = DialogueSession(log, DEMO_DIALOGUE_ID)
        await fresh.load()
        assert fresh.seq == a["seq"] and fresh.epoch == a["epoch"]
        replayed = msgspec.json.decode(
            msgspec.json.encode(
                full_state(fresh.state, DEMO_DIALOGUE_ID, epoch=fresh.epoch, seq=fresh.seq)
            )
        )
        assert a == replayed
    finally:
        await log.close()
