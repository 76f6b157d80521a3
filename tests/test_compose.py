"""The scale-out deployment: docker-compose.yml and deploy/ hold together.

The YAML is parsed and checked (Redis with AOF always and a volume, two or
more app replicas on ``redis://`` with one shared ``SECRET_KEY``, nginx with
WebSocket upgrade headers, coturn, health checks). ``docker compose config``
runs only where a Docker engine answers (``docker info``); elsewhere, CI
included, that part is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
NGINX = ROOT / "deploy" / "nginx.conf"
TURN = ROOT / "deploy" / "turnserver.conf"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_services(compose: dict[str, Any]) -> None:
    assert {"redis", "app", "proxy", "turn"} <= set(compose["services"])
    for name in ("redis", "app", "proxy", "turn"):
        assert "healthcheck" in compose["services"][name], name


def test_redis_is_durable_with_a_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync always" in command
    assert "noeviction" in command
    volumes = redis["volumes"]
    assert any(v.split(":")[1] == "/data" for v in volumes)
    assert volumes[0].split(":")[0] in compose["volumes"]


def test_app_replicas_share_redis_and_the_secret(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["deploy"]["replicas"] >= 2
    env = app["environment"]
    assert env["SESSION_STORE"].startswith("redis://redis:6379/")
    assert "SECRET_KEY" in env and "${SECRET_KEY" in env["SECRET_KEY"]
    assert "ports" not in app  # reached through the proxy only
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--demo" not in app["command"]  # the seed service makes it, once


def test_proxy_publishes_a_port_and_mounts_its_config(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert any(str(p).endswith(":80") for p in proxy["ports"])
    assert any("deploy/nginx.conf" in v for v in proxy["volumes"])
    turn = compose["services"]["turn"]
    assert any("deploy/turnserver.conf" in v for v in turn["volumes"])


def test_nginx_passes_websocket_upgrades_round_robin() -> None:
    conf = NGINX.read_text(encoding="utf-8")
    assert re.search(r"upstream\s+session_app\s*{[^}]*server\s+app:8000", conf)
    for block in re.findall(r"location\s+\S+\s*{([^}]*)}", conf):
        assert "proxy_http_version 1.1;" in block
        assert "proxy_set_header Upgrade $http_upgrade;" in block
        assert "proxy_set_header Connection $connection_upgrade;" in block
    assert "map $http_upgrade $connection_upgrade" in conf
    for sticky in ("ip_hash", "hash ", "sticky", "least_conn"):
        assert sticky not in conf


def test_turn_config() -> None:
    conf = TURN.read_text(encoding="utf-8")
    assert "listening-port=3478" in conf
    assert "lt-cred-mech" in conf and re.search(r"^user=session:", conf, re.M)


def test_media_node_takes_the_role_screens(compose: dict[str, Any]) -> None:
    """Pictures are relayed by one process: the media node (host network,
    so its UDP candidates are the machine's); the phone replicas relay none."""
    media = compose["services"]["media"]
    assert media["network_mode"] == "host"
    assert media["environment"]["MEDIA"] == "1"
    assert media["environment"]["ICE_SERVERS"].startswith("turn:session:")
    assert compose["services"]["app"]["environment"]["MEDIA"] == "0"
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"upstream\s+session_media\s*{[^}]*:8001", conf)
    assert "$arg_m" in conf
    assert re.search(r"location\s+~\s+\^/\(s\|o\|api\)/\s*{[^}]*session_media", conf)


def _engine() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        done = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def test_docker_compose_config() -> None:
    if not _engine():
        pytest.skip("no Docker engine answers here (`docker info` fails)")
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "k" * 32, "ORGANISER_PASSWORD": "p"},
    )
    assert done.returncode == 0, done.stderr


def test_only_nginx_is_a_trusted_proxy_and_it_names_the_real_client(
    compose: dict[str, Any],
) -> None:
    proxy = compose["services"]["proxy"]
    address = proxy["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert address.rsplit(".", 1)[0] == subnet.split("/")[0].rsplit(".", 1)[0]
    for name in ("app", "media"):
        assert compose["services"][name]["environment"]["TRUSTED_PROXIES"] == address, name
    nginx = NGINX.read_text(encoding="utf-8")
    forwarded = re.findall(r"proxy_set_header X-Forwarded-For (\S+);", nginx)
    assert forwarded and set(forwarded) == {"$remote_addr"}  # never the client's own header
