"""The organiser's sign-in, sessions and secrets, as an attacker meets them.

- Wrong passwords are throttled per *real* client address: a forged
  ``X-Forwarded-For`` changes nothing unless the peer is a proxy named in
  ``TRUSTED_PROXIES`` (a real server, since the forwarded address is
  uvicorn's business); one address's wrong passwords never stop the right
  one from another; each wrong password beyond the free ones doubles the
  wait.
- A session lives on the server: signing out (or a password rotation, or
  12 hours) makes the old cookie worth nothing; a restart keeps it.
- No link's token reaches the log; the password is printed on the start
  that made it only; the server's files are its owner's only.
"""

from __future__ import annotations

import dataclasses
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient
from websockets.sync.client import connect

from session_server import cli
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.store import open_log
from session_server.web.access import ORGANISER_COOKIE, ORGANISER_MAX_AGE
from session_server.web.app import create_app
from session_server.web.redact import fingerprint, redact
from session_server.web.screens.organiser.auth import LOGIN_FREE, LOGIN_MAX_WAIT, address_key
from tests._server import LINK_LINE, RunningServer, start_server
from tests.webapp import SECRET, build_app, settings

PASSWORD = "organiser-pw"
STATE = f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state"


def sign_in(client: TestClient, password: str = PASSWORD) -> httpx.Response:
    response: httpx.Response = client.post(
        "/o/login", data={"password": password}, follow_redirects=False
    )
    return response


def signed_in_page(client: TestClient, cookie: str) -> int:
    """The status of the organiser's home page with ``cookie`` (200, or 303
    to the sign-in page)."""
    client.cookies.clear()
    client.cookies.set(ORGANISER_COOKIE, cookie)
    status: int = client.get("/o/", follow_redirects=False).status_code
    return status


@dataclasses.dataclass
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
    with TestClient(app) as client:
        yield client


def from_address(app: Starlette, host: str) -> TestClient:
    """A client whose requests come from ``host`` (the app's lifespan is
    the ``client`` fixture's)."""
    return TestClient(app, client=(host, 40000))


# --- the throttle, per real address -------------------------------------------------


def test_wrong_passwords_from_one_address_never_stop_the_right_one_from_another(
    app: Starlette, client: TestClient
) -> None:
    attacker = from_address(app, "203.0.113.7")
    organiser = from_address(app, "198.51.100.20")
    answers = [sign_in(attacker, "guess").status_code for _ in range(LOGIN_FREE.count + 1)]
    assert answers == [401] * LOGIN_FREE.count + [429]
    assert sign_in(attacker).status_code == 429  # the attacker's address waits, right or not
    right = sign_in(organiser)
    assert right.status_code == 303
    assert signed_in_page(organiser, right.cookies[ORGANISER_COOKIE]) == 200


def test_an_ipv6_subscriber_is_one_address(app: Starlette, client: TestClient) -> None:
    for n in range(LOGIN_FREE.count):  # a new address of the same /64 for every guess
        assert sign_in(from_address(app, f"2001:db8:1:2::{n + 1}"), "guess").status_code == 401
    assert sign_in(from_address(app, "2001:db8:1:2::99"), "guess").status_code == 429
    assert sign_in(from_address(app, "2001:db8:1:3::1")).status_code == 303  # another /64
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_each_further_wrong_password_doubles_the_wait(
    app: Starlette, client: TestClient, clock: Clock
) -> None:
    attacker = from_address(app, "203.0.113.9")
    for _ in range(LOGIN_FREE.count):
        assert sign_in(attacker, "guess").status_code == 401
    waits = []
    for _ in range(12):
        refused = sign_in(attacker, "guess")
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert f"vui lòng đợi {wait} giây" in refused.text
        assert f"please wait {wait} seconds" in refused.text
        waits.append(wait)
        clock.now += wait - 0.5
        early = sign_in(attacker)  # the right password, half a second early
        assert early.status_code == 429 and early.headers["retry-after"] == "1"
        clock.now += 0.5
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600, 600]
    assert LOGIN_MAX_WAIT == 600
    # after the wait, the right password from that very address works
    assert sign_in(attacker).status_code == 303
    # and a signed-in organiser starts again with free mistakes
    assert sign_in(attacker, "typo").status_code == 401


# --- sessions on the server ------------------------------------------------------------


def test_signing_out_revokes_the_cookie(client: TestClient) -> None:
    cookie = sign_in(client).cookies[ORGANISER_COOKIE]
    assert signed_in_page(client, cookie) == 200
    assert client.get(STATE).status_code == 200
    assert "dialogues" in client.get("/healthz").json()
    assert client.get("/o/logout", follow_redirects=False).status_code == 303
    # the cookie as an attacker kept it, replayed after the sign-out
    replayed = signed_in_page(client, cookie)
    assert replayed == 303
    assert client.get("/o/", follow_redirects=False).headers["location"].startswith("/o/login")
    assert client.get(STATE).status_code == 401
    assert "dialogues" not in client.get("/healthz").json()
    assert "Đăng nhập ban tổ chức" in client.get("/o/").text


def test_a_session_ends_after_twelve_hours(
    app: Starlette, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cookie = sign_in(client).cookies[ORGANISER_COOKIE]
    later = time.time() + ORGANISER_MAX_AGE - 60
    monkeypatch.setattr(app.state.registry, "wall_clock", lambda: later)
    assert signed_in_page(client, cookie) == 200
    monkeypatch.setattr(app.state.registry, "wall_clock", lambda: later + 120)
    assert signed_in_page(client, cookie) == 303


def test_a_forged_or_unknown_session_id_is_refused(app: Starlette, client: TestClient) -> None:
    made_up = app.state.registry.access.organiser_cookie("a-session-never-opened")
    assert signed_in_page(client, made_up) == 303
    assert signed_in_page(client, "forged.value.sig") == 303


def _sqlite_app(folder: Path, password: str) -> Starlette:
    password_file = folder / "organiser.password"
    password_file.write_text(password, encoding="ascii")
    return create_app(
        settings(organiser_password=Secret(password), organiser_password_file=str(password_file)),
        open_log(f"sqlite:///{folder}/session.db"),
        SECRET,
    )


def test_a_session_survives_a_restart(tmp_path: Path) -> None:
    with TestClient(_sqlite_app(tmp_path, "first-password")) as before:
        cookie = sign_in(before, "first-password").cookies[ORGANISER_COOKIE]
    with TestClient(_sqlite_app(tmp_path, "first-password")) as after:
        assert signed_in_page(after, cookie) == 200


def test_rotating_the_password_revokes_it_and_every_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORGANISER_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)
    with TestClient(_sqlite_app(tmp_path, "old-password")) as client:
        cookies = [sign_in(client, "old-password").cookies[ORGANISER_COOKIE] for _ in range(2)]
        assert signed_in_page(client, cookies[0]) == 200
        capsys.readouterr()
        store = f"sqlite:///{tmp_path}/session.db"
        assert cli.main(["--store", store, "password", "--rotate"]) == 0  # while it runs
        printed = capsys.readouterr().out
        new = re.search(r"new organiser password: (\S+)", printed)
        assert new, printed
        assert "organiser sessions closed: 2" in printed
        assert (tmp_path / "organiser.password").read_text("ascii") == new.group(1)
        assert stat.S_IMODE((tmp_path / "organiser.password").stat().st_mode) == 0o600
        for cookie in cookies:
            assert signed_in_page(client, cookie) == 303
        client.cookies.clear()
        assert sign_in(client, "old-password").status_code == 401
        assert sign_in(client, new.group(1)).status_code == 303
    # asking again says where it is, never what it is
    assert cli.main(["--store", store, "password"]) == 0
    told = capsys.readouterr().out
    assert new.group(1) not in told and str(tmp_path / "organiser.password") in told


# --- the log ------------------------------------------------------------------------------


def test_redaction_keeps_the_route_and_a_fingerprint_only() -> None:
    line = 'GET /s/WyJkZW1vIiwibW9kIl0.sig/act?x=1 "WebSocket /ws/Tok.en" /a/ans.wer /j/ph.one'
    redacted = redact(line)
    for token in ("WyJkZW1vIiwibW9kIl0.sig", "Tok.en", "ans.wer", "ph.one"):
        assert token not in redacted
    fp = fingerprint("WyJkZW1vIiwibW9kIl0.sig")
    assert f"/s/<link {fp}>/act?x=1" in redacted
    assert redact("/static/app.js /r/demo /o/demo/links") == "/static/app.js /r/demo /o/demo/links"


# --- a real server -------------------------------------------------------------------------


def _login(server: RunningServer, password: str, forwarded: str | None = None) -> int:
    headers = {"Origin": server.base_url}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    response = httpx.post(
        f"{server.base_url}/o/login", data={"password": password}, headers=headers
    )
    return response.status_code


@pytest.mark.slow
def test_a_forged_forwarded_address_is_not_believed(tmp_path: Path) -> None:
    server = start_server(tmp_path / "direct", env={"ORGANISER_PASSWORD": "right-password"})
    try:
        started = time.monotonic()
        answers = [
            _login(server, "guess", forwarded=f"10.{n // 250}.{n % 250}.1") for n in range(100)
        ]
        elapsed = time.monotonic() - started
        assert answers.count(401) == LOGIN_FREE.count, (answers, elapsed)
        assert answers.count(429) == 100 - LOGIN_FREE.count
    finally:
        server.stop()


@pytest.mark.slow
def test_a_trusted_proxys_forwarded_address_is_the_clients(tmp_path: Path) -> None:
    server = start_server(
        tmp_path / "proxied",
        env={"ORGANISER_PASSWORD": "right-password", "TRUSTED_PROXIES": "127.0.0.1"},
    )
    try:
        attacker, organiser = "203.0.113.50", "198.51.100.60"
        answers = [_login(server, "guess", attacker) for _ in range(LOGIN_FREE.count + 1)]
        assert answers == [401] * LOGIN_FREE.count + [429]
        assert _login(server, "right-password", attacker) == 429
        assert _login(server, "right-password", organiser) == 303 or (
            _login(server, "right-password", organiser) == 200  # followed to /o/
        )
    finally:
        server.stop()


@pytest.mark.slow
def test_tokens_password_and_files_of_a_real_server(tmp_path: Path) -> None:
    folder = tmp_path / "srv"
    store = f"sqlite:///{folder}/data/session.db"  # the server makes data/
    first = start_server(folder, store=store, env={"ORGANISER_PASSWORD": ""})
    try:
        password = first.password
        assert password and any(password in line for line in first.output)
        tokens = [link.path.split("/")[2] for link in first.links if link.path.count("/") >= 2]
        tokens = [t for t in tokens if len(t) > 20]
        assert len(tokens) >= 5
        for link in first.links:
            httpx.get(link.url)
        moderator = first.link("moderator").path.split("/")[2]
        with connect(f"ws://127.0.0.1:{first.port}/ws/{moderator}", origin=first.base_url):  # type: ignore[arg-type]
            pass
        httpx.get(f"{first.base_url}/a/made.up-agency-token")
        data = folder / "data"
        for name in ("session.db", "session.db-wal", "session.db-shm"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
        for name in ("secret.key", "organiser.password"):
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        first.stop()
    # what the server logged: every line but the screens' links it prints on start
    log = "\n".join(line for line in first.output if not LINK_LINE.match(line))
    assert '"WebSocket /ws/<link ' in log and "GET /s/<link " in log and "GET /j/<link " in log
    for token in [*tokens, "made.up-agency-token"]:
        assert token not in log, token

    again = start_server(folder, store=store, env={"ORGANISER_PASSWORD": ""})
    try:
        assert not any(password in line for line in again.output), again.log()
        assert any("organiser password: kept in" in line for line in again.output)
        assert again.password == password  # read from its file, as an operator would
        assert _login(again, password) in (200, 303)
    finally:
        again.stop()
