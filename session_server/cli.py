"""The ``session-server`` command."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Secret

from session_server.catalogue import term
from session_server.config import Settings, load_settings
from session_server.core.links import standard_links
from session_server.core.model import MAIN_KINDS, Actor, Role
from session_server.demo import (
    CAMERA_LABEL,
    DEMO_DIALOGUE_ID,
    before_the_day,
    demo_commands,
    main_camera_link,
)
from session_server.runtime.session import DialogueSession
from session_server.store import EventLog, open_log
from session_server.web.access import Access, new_link_id

__all__ = ["main"]

logger = logging.getLogger("session_server")


def _ensure_parent(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


async def _demo(settings: Settings, store_url: str) -> int:
    _ensure_parent(store_url)
    log = open_log(store_url)
    try:
        session = DialogueSession(log, DEMO_DIALOGUE_ID, settings.limits)
        await session.load()
        if session.state.created:
            print(f"demo dialogue already present: {DEMO_DIALOGUE_ID} (seq {session.seq})")
            return 0
        await session.execute_all(demo_commands(datetime.now(UTC)), datetime.now(UTC))
        print(f"demo dialogue created: {DEMO_DIALOGUE_ID} (seq {session.seq})")
        return 0
    finally:
        await log.close()


async def _check(settings: Settings, store_url: str) -> int:
    """Replay every dialogue in the log and print what it holds."""
    log = open_log(store_url)
    try:
        for dialogue_id in await log.dialogues():
            session = DialogueSession(log, dialogue_id, settings.limits)
            await session.load()
            statuses = Counter(q.status.value for q in session.state.questions.values())
            print(
                f"{dialogue_id}: epoch {session.epoch} seq {session.seq} "
                f"phase {session.state.dialogue.phase.value} "
                f"questions {len(session.state.questions)} {dict(sorted(statuses.items()))}"
            )
        return 0
    finally:
        await log.close()


def _data_folder(store_url: str) -> Path:
    """Where the server keeps its files: beside the SQLite database, else ``data/``."""
    if store_url.startswith("sqlite:///"):
        return Path(store_url.removeprefix("sqlite:///").split("?", 1)[0]).parent
    return Path("data")


def _write_private(path: Path, value: str) -> None:
    """Write ``value`` to ``path`` readable by its owner only, atomically (a
    rotation never leaves half a password)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value)
        temporary.chmod(0o600)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _kept(configured: str, store_url: str, filename: str) -> tuple[str, bool]:
    """A configured value, else one made once and kept in a file beside the
    SQLite database (readable by its owner only), so it survives restarts;
    and whether it was made now."""
    if configured:
        return configured, False
    path = _data_folder(store_url) / filename
    if path.is_file():
        return path.read_text(encoding="ascii").strip(), False
    value = secrets.token_urlsafe(32 if filename == "secret.key" else 9)
    _write_private(path, value)
    return value, True


_PASSWORD_FILE = "organiser.password"


def _secret(settings: Settings, store_url: str) -> str:
    """The key that signs links (SECRET_KEY)."""
    return _kept(str(settings.secret_key), store_url, "secret.key")[0]


def _organiser_password(settings: Settings, store_url: str) -> tuple[str, bool]:
    """The organiser's password (ORGANISER_PASSWORD), and whether it was made now."""
    return _kept(str(settings.organiser_password), store_url, _PASSWORD_FILE)


def _password_file(store_url: str) -> Path:
    return (_data_folder(store_url) / _PASSWORD_FILE).resolve()


_ROTATE = "session-server password --rotate"


async def _password(settings: Settings, store_url: str, rotate: bool) -> int:
    """Say where the organiser's password is; ``rotate``: make a new one,
    print it (the only time it is shown) and close every organiser session,
    so the old password and every cookie signed in with it are worth nothing
    (a running server reads the new password at the next sign-in)."""
    configured = bool(str(settings.organiser_password))
    path = _password_file(store_url)
    if not rotate:
        if configured:
            print("The organiser password is set by ORGANISER_PASSWORD (environment or .env).")
        else:
            print(f"The organiser password is kept in {path} (readable by its owner only).")
            print(f"`{_ROTATE}` makes a new one and signs every organiser out.")
        return 0
    log = open_log(store_url)
    try:
        if configured:
            closed = await log.close_sessions(time.time())
            print(
                "ORGANISER_PASSWORD is set (environment or .env): change it there and restart "
                f"the server. Every organiser session was closed ({closed}).",
                file=sys.stderr,
            )
            return 1
        _ensure_parent(store_url)
        password = secrets.token_urlsafe(9)
        _write_private(path, password)
        closed = await log.close_sessions(time.time())
    finally:
        await log.close()
    print(f"new organiser password: {password}")
    print(f"(shown this once; kept in {path}; organiser sessions closed: {closed})")
    return 0


async def _prepare(settings: Settings, store_url: str, demo: bool) -> list[tuple[str, str]]:
    """Seed the demo (once) and its role links; return the screens' paths."""
    _ensure_parent(store_url)
    log = open_log(store_url)
    try:
        if demo:
            session = DialogueSession(log, DEMO_DIALOGUE_ID, settings.limits)
            await session.load()
            now = datetime.now(UTC)
            if not session.state.created:
                await session.execute_all(demo_commands(now), now)
            await session.execute_all(
                standard_links(session.state, Actor(Role.ORGANISER), new_link_id), now
            )
            await session.execute_all(
                main_camera_link(session.state, Actor(Role.ORGANISER), new_link_id), now
            )
            await session.execute_all(
                before_the_day(session.state, Actor(Role.ORGANISER), new_link_id), now
            )
        return await _screens(settings, log, store_url)
    finally:
        await log.close()


_PREFIXES = {
    Role.ATTENDEE: "/j/",
    Role.AGENCY: "/a/",
    Role.UNIT_REGISTRAR: "/u/",
    Role.DRAFTER: "/g/",
}
"""The path of each role's links that is not a screen's ``/s/``."""


async def _screens(settings: Settings, log: EventLog, store_url: str) -> list[tuple[str, str]]:
    access = Access(_secret(settings, store_url))
    screens: list[tuple[str, str]] = []
    for dialogue_id in await log.dialogues():
        session = DialogueSession(log, dialogue_id, settings.limits)
        await session.load()
        state = session.state
        screens.append((f"organiser · {dialogue_id}", f"/o/{dialogue_id}"))
        if state.preparation.plan_published_at is not None:
            screens.append((f"published plan · {dialogue_id}", f"/p/{dialogue_id}"))
        screens.append((f"public report · {dialogue_id}", f"/r/{dialogue_id}"))
        order = [
            Role.MODERATOR,
            Role.SECRETARY,
            Role.DISPLAY,
            Role.BRIDGE_OPERATOR,
            Role.ATTENDEE,
            Role.SPEAKER,
            Role.CHECK_IN,
            Role.UNIT_REGISTRAR,
            Role.DRAFTER,
            Role.AGENCY,
        ]
        links = sorted(
            (link for link in state.links.values() if link.active),
            key=lambda link: (
                order.index(link.role) if link.role in order else len(order),
                link.bridge_id or "",
                link.speaker_id or "",
            ),
        )
        for link in links:
            token = access.link_token(dialogue_id, link.link_id)
            prefix = _PREFIXES.get(link.role, "/s/")
            label = term(link.role.value, "en")
            if link.label:
                label = f"{label} · {link.label}"
            bridge = state.bridges.get(link.bridge_id or "")
            if (
                link.role is Role.BRIDGE_OPERATOR
                and bridge is not None
                and link.label.startswith(f"{CAMERA_LABEL} · ")
            ):
                # the main venue's camera page: its own link, for the device by the camera
                screens.append((f"camera · {bridge.name}", f"/s/{token}/camera"))
                continue
            screens.append((label, prefix + token))
            if link.role is Role.DISPLAY and bridge is not None and bridge.kind in MAIN_KINDS:
                # the broadcast crew's overlay (OBS, vMix): the main venue's display link
                screens.append((f"broadcast overlay · {bridge.name}", f"/s/{token}/overlay"))
    return screens


@dataclasses.dataclass(frozen=True)
class _Tls:
    """The certificate ``serve`` speaks HTTPS with."""

    cert: Path
    key: Path
    ca_cert: Path | None = None
    """The generated LAN CA (for tablets to trust); None for a given certificate."""


_ANY_HOST = ("0.0.0.0", "::", "")
WS_HEADROOM = 4 * 1024
"""Bytes a WebSocket message may carry over the app's own bound
(``MAX_MESSAGE``, counted in characters) before the server closes it
unread (1009)."""


def _tls_choice(args: argparse.Namespace, settings: Settings, store_url: str) -> _Tls | None:
    """The certificate the ``serve`` options ask for, made if need be.

    ``--cert``/``--key`` (or ``TLS_CERT``/``TLS_KEY``): that certificate.
    ``--https`` (or ``HTTPS=1``) or ``--tls-name``: a LAN certificate, kept in
    ``<data folder>/tls/``. Neither: plain HTTP (None). Raises ValueError
    with a message for the operator when the options do not fit."""
    cert, key = args.cert or "", args.key or ""
    if bool(cert) != bool(key):
        raise ValueError(
            "--cert and --key go together (TLS_CERT and TLS_KEY in the environment): "
            "give both or neither"
        )
    if cert:
        if args.tls_name:
            raise ValueError(
                "--tls-name is for the generated certificate (--https), not with --cert"
            )
        from session_server.tls import check_certificate_pair

        check_certificate_pair(Path(cert), Path(key))
        return _Tls(Path(cert), Path(key))
    if not (args.https or args.tls_name):
        return None
    from session_server.tls import ensure_lan_certificate, lan_names

    names = lan_names()
    if args.host not in _ANY_HOST:
        names.append(args.host)
    public_host = urlsplit(settings.public_url).hostname if settings.public_url else None
    if public_host:
        names.append(public_host)
    names += [name for name in args.tls_name if name.strip()]
    files = ensure_lan_certificate(_data_folder(store_url) / "tls", list(dict.fromkeys(names)))
    return _Tls(files.cert, files.key, files.ca_cert.resolve())


def _shown_host(host: str) -> str:
    """``host`` as it goes in a printed link: for a server listening on every
    address, its first LAN IPv4 address (what another machine can open)."""
    if host in _ANY_HOST:
        from session_server.tls import first_lan_ipv4

        host = first_lan_ipv4() or "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _own_origins(scheme: str, host: str, port: int) -> tuple[str, ...]:
    """The addresses a browser may open this server by, as origins: the one
    it listens on, or every name of the machine when it listens on every
    address. The Origin check trusts these, never the request's Host header."""
    from session_server.tls import lan_names

    names = lan_names() if host in _ANY_HOST else [host, "localhost", "127.0.0.1"]
    return tuple(
        f"{scheme}://{f'[{name}]' if ':' in name else name}:{port}" for name in dict.fromkeys(names)
    )


def _serve(
    settings: Settings, store_url: str, demo: bool, host: str, port: int, tls: _Tls | None = None
) -> int:
    import uvicorn

    from session_server.web.app import create_app
    from session_server.web.connections import ConnectionLimits, protocols, raise_fd_limit
    from session_server.web.transport.socket import MAX_MESSAGE

    screens = asyncio.run(_prepare(settings, store_url, demo))
    secret = _secret(settings, store_url)
    configured = bool(str(settings.organiser_password))
    password, made = _organiser_password(settings, store_url)
    settings = dataclasses.replace(
        settings,
        organiser_password=Secret(password),
        organiser_password_file="" if configured else str(_password_file(store_url)),
    )
    if tls is not None and tls.ca_cert is not None:
        settings = dataclasses.replace(settings, tls_ca_cert=str(tls.ca_cert))
    scheme = "https" if tls is not None else "http"
    base = settings.public_url or f"{scheme}://{_shown_host(host)}:{port}"
    settings = dataclasses.replace(
        settings,
        public_url=base,
        trusted_origins=(*settings.trusted_origins, *_own_origins(scheme, host, port)),
    )
    print(f"\nsession-server on {base}  (store: {store_url})\n")
    for label, path in screens:
        print(f"  {label:<48} {base}{path}")
    if tls is not None:
        _print_tls(tls, base)
    # the password is shown once, when it is made; never again in a log
    if configured:
        print("\n  organiser password: set by ORGANISER_PASSWORD\n", flush=True)
    elif made:
        print(f"\n  organiser password: {password}")
        print(
            f"  (shown this once: kept in {_password_file(store_url)}; `{_ROTATE}`)\n", flush=True
        )
    else:
        print(
            f"\n  organiser password: kept in {_password_file(store_url)} "
            f"(`{_ROTATE}` makes a new one)\n",
            flush=True,
        )
    app = create_app(settings, open_log(store_url), secret)
    raise_fd_limit()
    http, ws = protocols(
        ConnectionLimits(
            header_timeout=settings.header_timeout,
            per_address=settings.connections_per_address,
            fd_reserve=settings.fd_reserve,
        )
    )
    app.state.gate = http.gate  # phones stop short of it (PHONE_RESERVE)
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=http,
        ws=ws,
        # a frame over the app's bound closes the socket (1009) before it is read
        ws_max_size=MAX_MESSAGE + WS_HEADROOM,
        timeout_keep_alive=settings.keepalive_timeout,
        ws_per_message_deflate=False,
        # one heartbeat: the screens' own (web/live/hub.py closes a silent one)
        ws_ping_interval=None,
        ws_ping_timeout=None,
        log_level=settings.log_level.lower(),
        proxy_headers=bool(settings.trusted_proxies),
        # nothing trusted unless named (uvicorn would trust 127.0.0.1); the
        # connection gate exempts the same proxies from its per-address cap
        forwarded_allow_ips=list(settings.trusted_proxies),
        ssl_certfile=str(tls.cert) if tls is not None else None,
        ssl_keyfile=str(tls.key) if tls is not None else None,
    )
    return 0


def _print_tls(tls: _Tls, base: str) -> None:
    """Tell the operator which certificate is served, and how tablets trust it."""
    if tls.ca_cert is None:
        print(f"\nHTTPS with the certificate {tls.cert}")
        return
    from session_server.tls import fingerprint

    print("\nHTTPS with a certificate made for this LAN (see docs/https.md).")
    print(f"Each tablet trusts it once: open {base}/ca.crt and install it as a CA certificate.")
    print(f"    CA certificate: {tls.ca_cert}  (keep ca.key beside it private)")
    print(f"    CA SHA-256 fingerprint: {fingerprint(tls.ca_cert)}")


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="session-server", description=__doc__)
    parser.add_argument("--store", default=settings.store_url, help="event log URL")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="create the demo dialogue in the store (once)")
    sub.add_parser("check", help="replay every dialogue in the store and summarise it")
    password_command = sub.add_parser(
        "password", help="say where the organiser's password is kept, or make a new one"
    )
    password_command.add_argument(
        "--rotate",
        action="store_true",
        help="make a new organiser password, print it once and sign every organiser out",
    )
    serve = sub.add_parser("serve", help="run the server and print the link to every screen")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument("--demo", action="store_true", help="create the demo dialogue if absent")
    serve.add_argument(
        "--https",
        action=argparse.BooleanOptionalAction,
        default=settings.https,
        help="serve HTTPS with a certificate made for the LAN, kept in <data folder>/tls/ "
        "(HTTPS=1); tablets trust its CA once, from /ca.crt",
    )
    serve.add_argument(
        "--cert",
        metavar="PATH",
        default=settings.tls_cert or None,
        help="serve HTTPS with this PEM certificate (chain) (TLS_CERT)",
    )
    serve.add_argument(
        "--key",
        metavar="PATH",
        default=settings.tls_key or None,
        help="the PEM private key of --cert (TLS_KEY)",
    )
    serve.add_argument(
        "--tls-name",
        metavar="NAME",
        action="append",
        default=[],
        help="another name or address for the generated certificate, e.g. a public IP "
        "or DNS name (repeatable; implies --https)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "demo":
        return asyncio.run(_demo(settings, args.store))
    if args.command == "check":
        return asyncio.run(_check(settings, args.store))
    if args.command == "password":
        return asyncio.run(_password(settings, args.store, args.rotate))
    if args.command == "serve":
        os.umask(0o077)  # whatever the server writes is its owner's only
        try:
            tls = _tls_choice(args, settings, args.store)
        except (ValueError, OSError) as exc:
            serve.error(str(exc))
        return _serve(settings, args.store, args.demo, args.host, args.port, tls)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
