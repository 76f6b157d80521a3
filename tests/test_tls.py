"""HTTPS for the LAN: the generated certificates, the given ones, and a real
``session-server serve --https`` checked with a client that trusts only the
generated CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import stat
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server import cli
from session_server.config import load_settings
from session_server.tls import (
    check_certificate_pair,
    ensure_lan_certificate,
    fingerprint,
    first_lan_ipv4,
    lan_names,
)
from session_server.web import tls_routes
from tests._server import start_server

NAMES = ["localhost", "127.0.0.1", "::1", "hall.example.org"]


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sans(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return dns, ips


# --- the machine's names -------------------------------------------------------


def test_lan_names_cover_loopback_without_duplicates_or_link_local() -> None:
    names = lan_names()
    assert names[0] == "localhost"
    assert "127.0.0.1" in names and "::1" in names
    assert len(names) == len(set(names))
    for name in names:
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            continue
        assert not (address.version == 6 and address.is_link_local), name
    assert names == lan_names()  # deterministic
    first = first_lan_ipv4()
    assert first is None or (first in names and not ipaddress.ip_address(first).is_loopback)
    assert first_lan_ipv4(["localhost", "127.0.0.1", "169.254.1.2", "10.0.0.7"]) == "10.0.0.7"


# --- the generated certificates -------------------------------------------------


def test_ensure_lan_certificate_makes_a_ca_and_a_server_certificate(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    files = ensure_lan_certificate(folder, NAMES)
    assert files.ca_cert == folder / "ca.crt"
    assert files.cert == folder / "server.crt" and files.key == folder / "server.key"
    assert _mode(folder) == 0o700
    assert _mode(folder / "ca.key") == 0o600
    assert _mode(files.key) == 0o600

    ca, server = _cert(files.ca_cert), _cert(files.cert)
    server.verify_directly_issued_by(ca)
    ca_constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert ca_constraints.ca and ca_constraints.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert "session-server LAN CA" in ca.subject.rfc4514_string()
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= dt.timedelta(days=3650)

    dns, ips = _sans(server)
    assert "localhost" in dns and "hall.example.org" in dns
    assert "127.0.0.1" in ips and "::1" in ips
    assert server.not_valid_after_utc - server.not_valid_before_utc <= dt.timedelta(days=825)
    assert server.not_valid_before_utc <= dt.datetime.now(dt.UTC)
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ExtendedKeyUsageOID.SERVER_AUTH in eku
    server.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    check_certificate_pair(files.cert, files.key)
    check_certificate_pair(files.ca_cert, folder / "ca.key")


def test_ensure_lan_certificate_reuses_and_reissues_with_the_same_ca(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    files = ensure_lan_certificate(folder, NAMES)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    again = ensure_lan_certificate(folder, ["127.0.0.1", "localhost"])  # a subset: covered
    assert again == files
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    ensure_lan_certificate(folder, [*NAMES, "192.0.2.77"])  # a new LAN address
    assert (folder / "ca.crt").read_bytes() == before["ca.crt"]
    assert (folder / "ca.key").read_bytes() == before["ca.key"]
    assert (folder / "server.crt").read_bytes() != before["server.crt"]
    assert (folder / "server.key").read_bytes() != before["server.key"]
    server = _cert(folder / "server.crt")
    server.verify_directly_issued_by(_cert(folder / "ca.crt"))
    assert "192.0.2.77" in _sans(server)[1]
    check_certificate_pair(folder / "server.crt", folder / "server.key")


def test_a_broken_server_certificate_is_issued_again(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    ensure_lan_certificate(folder, NAMES)
    ca = (folder / "ca.crt").read_bytes()
    (folder / "server.crt").write_text("not a certificate")
    files = ensure_lan_certificate(folder, NAMES)
    assert files.ca_cert.read_bytes() == ca
    _cert(files.cert).verify_directly_issued_by(_cert(files.ca_cert))


def test_fingerprint_is_the_sha256_of_the_der_certificate(tmp_path: Path) -> None:
    files = ensure_lan_certificate(tmp_path / "tls", NAMES)
    expected = _cert(files.ca_cert).fingerprint(hashes.SHA256()).hex().upper()
    assert fingerprint(files.ca_cert).replace(":", "") == expected
    assert len(fingerprint(files.ca_cert).split(":")) == 32


# --- given certificates -------------------------------------------------------------


def test_check_certificate_pair_refuses_a_key_of_another_certificate(tmp_path: Path) -> None:
    one = ensure_lan_certificate(tmp_path / "one", NAMES)
    other = ensure_lan_certificate(tmp_path / "other", NAMES)
    with pytest.raises(ValueError, match="does not belong"):
        check_certificate_pair(one.cert, other.key)


def test_check_certificate_pair_refuses_missing_or_unreadable_files(tmp_path: Path) -> None:
    files = ensure_lan_certificate(tmp_path / "tls", NAMES)
    with pytest.raises(ValueError, match="not found"):
        check_certificate_pair(tmp_path / "missing.crt", files.key)
    with pytest.raises(ValueError, match="not found"):
        check_certificate_pair(files.cert, tmp_path / "missing.key")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    with pytest.raises(ValueError, match="not a PEM certificate"):
        check_certificate_pair(garbage, files.key)
    with pytest.raises(ValueError, match="not a PEM private key"):
        check_certificate_pair(files.cert, garbage)


# --- settings and the command line ----------------------------------------------------


def test_settings_read_https_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS", "TLS_CERT", "TLS_KEY"):
        monkeypatch.delenv(name, raising=False)
    plain = load_settings(None)
    assert (plain.https, plain.tls_cert, plain.tls_key, plain.tls_ca_cert) == (False, "", "", "")
    monkeypatch.setenv("HTTPS", "1")
    monkeypatch.setenv("TLS_CERT", "/etc/ss/cert.pem")
    monkeypatch.setenv("TLS_KEY", "/etc/ss/key.pem")
    settings = load_settings(None)
    assert settings.https is True
    assert (settings.tls_cert, settings.tls_key) == ("/etc/ss/cert.pem", "/etc/ss/key.pem")


@pytest.fixture
def clean_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("HTTPS", "TLS_CERT", "TLS_KEY", "SESSION_STORE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _serve_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_cert_without_key_is_a_clear_error(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = ensure_lan_certificate(clean_cwd / "given", NAMES)
    err = _serve_error(["serve", "--cert", str(files.cert)], capsys)
    assert "--cert and --key go together" in err
    err = _serve_error(["serve", "--key", str(files.key)], capsys)
    assert "--cert and --key go together" in err


def test_a_mismatched_given_key_is_refused_before_serving(
    clean_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = ensure_lan_certificate(clean_cwd / "one", NAMES)
    other = ensure_lan_certificate(clean_cwd / "other", NAMES)
    err = _serve_error(["serve", "--cert", str(one.cert), "--key", str(other.key)], capsys)
    assert "does not belong" in err
    err = _serve_error(
        ["serve", "--cert", str(one.cert), "--key", str(clean_cwd / "nope.key")], capsys
    )
    assert "not found" in err


def test_tls_names_are_checked(clean_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _serve_error(["serve", "--tls-name", "not a name!"], capsys)
    assert "not a usable host name" in err
    files = ensure_lan_certificate(clean_cwd / "given", NAMES)
    err = _serve_error(
        ["serve", "--cert", str(files.cert), "--key", str(files.key), "--tls-name", "x.org"],
        capsys,
    )
    assert "--tls-name is for the generated certificate" in err


def test_data_folder_is_beside_the_sqlite_database() -> None:
    assert cli._data_folder("sqlite:///var/ss/session.db?mode=rwc") == Path("var/ss")
    assert cli._data_folder("sqlite:////srv/ss/session.db") == Path("/srv/ss")
    assert cli._data_folder("redis://127.0.0.1:6379/0") == Path("data")


# --- /ca.crt ----------------------------------------------------------------------------


def _routes_app(ca_cert: str) -> Starlette:
    app = Starlette(routes=tls_routes.routes)
    app.state.registry = SimpleNamespace(settings=SimpleNamespace(tls_ca_cert=ca_cert))
    return app


def test_ca_route_serves_the_generated_ca_or_404(tmp_path: Path) -> None:
    files = ensure_lan_certificate(tmp_path / "tls", NAMES)
    with TestClient(_routes_app(str(files.ca_cert))) as client:
        response = client.get("/ca.crt")
        assert response.status_code == 200
        assert response.content == files.ca_cert.read_bytes()
        assert response.headers["content-type"] == "application/x-x509-ca-cert"
        assert response.headers["content-disposition"] == (
            'attachment; filename="session-server-ca.crt"'
        )
    with TestClient(_routes_app("")) as client:
        assert client.get("/ca.crt").status_code == 404
    with TestClient(_routes_app(str(tmp_path / "gone.crt"))) as client:
        assert client.get("/ca.crt").status_code == 404


# --- a real server ----------------------------------------------------------------------


def _get(url: str, context: ssl.SSLContext) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10, context=context) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_serve_https_with_a_generated_certificate(tmp_path: Path) -> None:
    env = {
        "SESSION_STORE": f"sqlite:///{tmp_path / 's.db'}",
        "ORGANISER_PASSWORD": "pw",
        "MEDIA": "0",
        "HTTPS": "0",
        "TLS_CERT": "",
        "TLS_KEY": "",
        "PUBLIC_URL": "",
    }
    server = start_server(
        tmp_path,
        env=env,
        demo=False,
        https=True,
        timeout=60.0,
        store=f"sqlite:///{tmp_path / 's.db'}",
    )
    try:
        ca_path = tmp_path / "tls" / "ca.crt"
        assert ca_path.is_file()
        log = server.log()
        assert str(ca_path.resolve()) in log
        assert f"https://127.0.0.1:{server.port}/ca.crt" in log
        assert fingerprint(ca_path) in log
        assert server.password == "pw"

        trusting = ssl.create_default_context(cafile=str(ca_path))
        assert trusting.check_hostname and trusting.verify_mode == ssl.CERT_REQUIRED
        status, _ = _get(f"https://127.0.0.1:{server.port}/healthz", trusting)
        assert status == 200
        status, body = _get(f"https://127.0.0.1:{server.port}/ca.crt", trusting)
        assert status == 200 and body == ca_path.read_bytes()
        assert body.startswith(b"-----BEGIN CERTIFICATE-----")

        # the system's CAs (a tablet that has not trusted ours), and none at all
        for plain in (ssl.create_default_context(), ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)):
            with pytest.raises(urllib.error.URLError) as refused:
                _get(f"https://127.0.0.1:{server.port}/healthz", plain)
            assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    finally:
        assert server.stop(timeout=10) is not None
