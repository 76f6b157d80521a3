"""The layered limits (``web/limits.py``) as a prankster with only the QR
code meets them, on the real app with a clock the test moves.

- The NAT constraint: 300 phones behind one address (a district hall's
  Wi-Fi) each ask once and upvote twice at a realistic pace over ten
  minutes, resending after a refusal as the browser's outbox does: every one
  is accepted. A client on the same address making a new cookie for every
  question at the same time is held back: it runs out of cookies, its
  questions stay within the network's share, and the moderator is warned.
- Fresh cookies per request: one question no longer collects 60 votes, and
  60 questions are no longer all accepted in a few seconds.
- A vote needs a cookie issued by the phone's page, not the API's.
- A refusal charges no layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.core.commands import SetBridgePoint, SubmitQuestion
from session_server.core.errors import RateLimited
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.web.limits import Limits, Traffic
from tests.webapp import build_app, token

ORGANISER = Actor(Role.ORGANISER)


@dataclass
class Clock:
    now: float = 1000.0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Starlette:
    app = build_app()
    app.state.registry.clock = lambda: clock.now
    return app


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def new_phone(client: TestClient, link: str) -> str | None:
    """Open the phone page with no cookie: the device cookie it sets."""
    client.cookies.clear()
    page = client.get(f"/j/{link}")
    if page.status_code != 200:
        return None
    cookie = page.cookies.get("ssd")
    return str(cookie) if cookie else None


def ask(client: TestClient, link: str, cookie: str, key: str) -> Any:
    return client.post(
        "/api/v1/questions",
        headers={"Authorization": f"Bearer {link}", "Cookie": f"ssd={cookie}"},
        json={"text": f"Câu hỏi {key} về việc làm?", "idempotency_key": key},
    )


def vote(client: TestClient, link: str, cookie: str, question: int) -> Any:
    return client.post(
        "/api/v1/votes",
        headers={"Authorization": f"Bearer {link}", "Cookie": f"ssd={cookie}"},
        json={"question_id": question},
    )


def open_public_list(app: Starlette, client: TestClient) -> list[int]:
    moderator = token(app, "moderator01")
    client.post(
        "/api/v1/commands",
        headers={"Authorization": f"Bearer {moderator}"},
        json={"action": "set_public_list", "open": True},
    )
    return list(app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state.queue)


def set_capacity(app: Starlette, client: TestClient, bridge_id: str, capacity: int) -> None:
    """The organiser says how many people the hall holds."""
    state = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state
    bridge = state.bridges[bridge_id]
    hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
    command = SetBridgePoint(
        ORGANISER, bridge_id, bridge.name, bridge.kind, bridge.operator, capacity
    )
    client.portal.call(hub.execute, command)  # type: ignore[union-attr]


def test_a_hall_on_one_address_is_served_while_a_cookie_maker_is_held_back(
    app: Starlette, client: TestClient, clock: Clock
) -> None:
    link = token(app, "phchaudoc01")  # the hall of TP. Châu Đốc, for 300 this time
    set_capacity(app, client, "chau-doc", 300)
    queue = open_public_list(app, client)
    phones = [new_phone(client, link) for _ in range(300)]  # they arrive, scan, open the page
    assert all(phones), "a hall of 300 gets its cookies"
    registry = app.state.registry
    # ten minutes: each phone asks once and upvotes two questions, spread out;
    # a refusal is sent again when it says (the browser's outbox does so)
    plan: list[tuple[float, str, int]] = []
    for i in range(300):
        plan.append((i * 2.0, "ask", i))
        plan.append((i * 2.0 + 0.7, "vote", i))
        plan.append((i * 2.0 + 1.3, "vote", i))
    plan.sort()
    pending = list(plan)
    accepted = {"ask": 0, "vote": 0}
    retried = 0
    prankster = {"cookies": 0, "asked": 0, "refused": 0}
    start = clock.now
    while pending:
        at, kind, i = pending.pop(0)
        clock.now = max(clock.now, start + at)
        cookie = phones[i]
        assert cookie is not None
        if kind == "ask":
            sent = ask(client, link, cookie, f"hall-{i:04d}-question")
        else:
            target = queue[(i * 7 + len(pending)) % len(queue)]
            sent = vote(client, link, cookie, target)
            if sent.status_code == 409:  # this phone upvoted that one already
                sent = vote(client, link, cookie, queue[(i * 11 + 3) % len(queue)])
        if sent.status_code in (200, 201):
            accepted[kind] += 1
        elif sent.status_code == 429:
            retried += 1
            wait = float(sent.headers.get("retry-after", "1"))
            pending.append((at + wait, kind, i))
            pending.sort()
        else:
            assert sent.status_code == 409, sent.text  # a second vote for the same question
            accepted[kind] += 1
        # meanwhile, on the same network: a new cookie and a question, every second
        if int(clock.now) != int(clock.now - 0.5) or kind == "ask":
            fresh = new_phone(client, link)
            if fresh is None:
                prankster["refused"] += 1
                continue
            prankster["cookies"] += 1
            junk = ask(client, link, fresh, f"junk-{prankster['cookies']:05d}")
            if junk.status_code in (200, 201):
                prankster["asked"] += 1
            else:
                prankster["refused"] += 1
    assert accepted == {"ask": 300, "vote": 600}, "every phone of the hall got through"
    minutes = (clock.now - start) / 60
    print(
        f"hall: 300 questions and 600 votes in {minutes:.1f} simulated minutes, "
        f"{retried} resent after a refusal; cookie maker: {prankster}"
    )
    assert prankster["refused"] > prankster["asked"], "the cookie maker is held back"
    assert prankster["cookies"] <= 300 + minutes * 10 + 1, "new cookies come at a bounded rate"
    alerts = registry.limits.traffic_of(DEMO_DIALOGUE_ID).alerts(clock.now)
    assert alerts or prankster["asked"] < 20 * minutes


def test_fresh_cookies_no_longer_stuff_a_question_or_the_inbox(
    app: Starlette, client: TestClient, clock: Clock
) -> None:
    """The attack of the live day: a new cookie per request gave one
    question 61 votes in 5.3 s and 60 of 60 questions in 4.7 s."""
    link = token(app, "phtriton001")
    queue = open_public_list(app, client)
    votes = 0
    for _ in range(200):
        clock.now += 0.025
        cookie = new_phone(client, link)
        if cookie is not None and vote(client, link, cookie, queue[0]).status_code == 201:
            votes += 1
    asked = 0
    for n in range(200):
        clock.now += 0.025
        cookie = new_phone(client, link)
        if cookie is not None and ask(client, link, cookie, f"flood-{n:05d}").status_code == 201:
            asked += 1
    capacity = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state.bridges["tri-ton"].capacity
    print(
        f"in 10 s with a new cookie each time: {votes} votes, {asked} questions "
        f"(the hall's capacity: {capacity})"
    )
    assert asked <= Limits.address_rate(capacity or 300, vote=False).count
    assert votes + asked <= max(50, capacity or 300), "cookies run out"


def test_a_vote_needs_a_cookie_from_the_phones_page(app: Starlette, client: TestClient) -> None:
    link = token(app, "phchaudoc01")
    queue = open_public_list(app, client)
    client.cookies.clear()
    issued = client.get("/api/v1/device", headers={"Authorization": f"Bearer {link}"})
    assert issued.json() == {"ok": True, "issued": True}
    api_cookie = str(issued.cookies.get("ssd"))
    refused = vote(client, link, api_cookie, queue[0])
    assert refused.status_code == 403 and refused.json()["error"] == "vote.page_device"
    page_cookie = new_phone(client, link)
    assert page_cookie and vote(client, link, page_cookie, queue[0]).status_code == 201


def test_a_refusal_charges_no_layer(app: Starlette, client: TestClient, clock: Clock) -> None:
    link = token(app, "phchaudoc01")
    cookie = new_phone(client, link)
    assert cookie
    for n in range(5):
        assert ask(client, link, cookie, f"mine-{n:05d}").status_code == 201
    assert ask(client, link, cookie, "mine-00006").status_code == 429  # the device's own limit
    limits: Limits = app.state.registry.limits
    address_key = "ask:chau-doc:testclient"
    state = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state
    capacity = state.bridges["chau-doc"].capacity or 300
    rate = Limits.address_rate(capacity, vote=False)
    assert limits.address._tokens(address_key, clock.now, rate) == rate.count - 5


def test_limit_scale_multiplies_every_layer_sized_by_the_hall() -> None:
    """A rehearsal with ``LIMIT_SCALE=3``: a hall's network takes three
    times as many questions (the benchmarks lift the limits this way)."""

    def accepted(scale: float) -> int:
        app = build_app(limit_scale=scale)
        with TestClient(app, base_url="http://testserver") as client:
            client.get(f"/j/{token(app, 'phchaudoc01')}")  # the dialogue is loaded
            state = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state
            limits: Limits = app.state.registry.limits
            for n in range(2000):
                phone = Actor(Role.ATTENDEE, bridge_id="chau-doc", device_id=f"phone-{n}")
                command = SubmitQuestion(phone, f"Câu hỏi {n}?", f"key-{n:06d}", "chau-doc")
                try:
                    limits.charge(DEMO_DIALOGUE_ID, state, command, "10.0.0.1", 1000.0)
                except RateLimited:
                    return n
        return 2000

    assert accepted(3.0) == 3 * accepted(1.0)


def test_traffic_flags_an_address_far_above_the_others() -> None:
    traffic = Traffic()
    for n in range(40):
        traffic.note(float(n), "chau-doc", "10.0.0.9")
    for n, address in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3"] * 2):
        traffic.note(float(n), "an-phu", address)
    (alert,) = traffic.alerts(50.0)
    assert (alert.bridge_id, alert.address, alert.per_minute) == ("chau-doc", "10.0.0.9", 40)
    assert traffic.alerts(200.0) == [], "a minute later, forgotten"


def test_the_hold_keeps_a_links_questions_apart(app: Starlette, client: TestClient) -> None:
    moderator = token(app, "moderator01")
    held = client.post(
        "/api/v1/commands",
        headers={"Authorization": f"Bearer {moderator}"},
        json={"action": "hold_submissions", "bridge_id": "chau-doc", "hold": True},
    )
    assert held.status_code == 200
    link = token(app, "phchaudoc01")
    cookie = new_phone(client, link)
    assert cookie
    sent = ask(client, link, cookie, "held-00001")
    question = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state.questions[
        sent.json()["question_id"]
    ]
    assert question.held
    page = client.get(f"/s/{moderator}").text
    inbox = page.split('id="mod-inbox"', 1)[1]
    main_list, held_list = inbox.split('class="held"', 1)
    assert f'data-question="{question.question_id}"' not in main_list
    assert f'data-question="{question.question_id}"' in held_list
    assert re.search(r"Đang giữ lại để duyệt: 1", page)
