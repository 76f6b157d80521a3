"""HTTPS for the LAN: a local certificate authority and a server certificate.

Browsers give a page the camera (``getUserMedia``, which the bridge console
needs to publish a district hall's camera) only in a secure context: HTTPS,
or ``http://localhost``. Tablets in the district halls reach the server over
the LAN by IP address, so the server must speak HTTPS with a certificate they
trust.

:func:`ensure_lan_certificate` makes, once, a small certificate authority
(``ca.crt``/``ca.key``) and a server certificate it signs for every name and
address of this machine (``server.crt``/``server.key``). A tablet trusts the
CA once (``docs/https.md``); when the server's addresses change, only the
server certificate is issued again, by the same CA, so the tablets keep
trusting it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_VALIDITY",
    "RENEW_BEFORE",
    "SERVER_VALIDITY",
    "TlsFiles",
    "check_certificate_pair",
    "ensure_lan_certificate",
    "fingerprint",
    "first_lan_ipv4",
    "lan_names",
]

CA_VALIDITY = dt.timedelta(days=3650)
"""How long the local certificate authority is valid (10 years)."""
SERVER_VALIDITY = dt.timedelta(days=825)
"""The longest a server certificate may be valid for iOS/macOS to accept it."""
RENEW_BEFORE = dt.timedelta(days=30)
"""A server certificate that expires sooner than this is issued again."""
BACKDATE = dt.timedelta(days=1)
"""Certificates start a day early: a tablet's clock may be a little behind."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_HOST_NAME = re.compile(r"(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*")
"""A DNS name (labels of letters, digits, ``-`` and ``_``), a wildcard allowed."""


@dataclass(frozen=True)
class TlsFiles:
    """Where the generated certificate authority and server certificate are."""

    ca_cert: Path
    cert: Path
    key: Path


# --- the machine's names -----------------------------------------------------


def _hostnames() -> list[str]:
    """The machine's hostname and its mDNS name (``<short>.local``)."""
    name = socket.gethostname().strip().rstrip(".").lower()
    if not _HOST_NAME.fullmatch(name) or _as_ip(name) is not None:
        return []
    short = name.split(".", 1)[0]
    return [name, f"{short}.local"]


def _interface_addresses() -> list[IpAddress]:
    """Every address of the machine's interfaces, in the order the OS gives."""
    try:
        import ifaddr
    except ImportError:  # pragma: no cover - ifaddr comes with aioice
        return _resolved_addresses()
    found: list[IpAddress] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            raw = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            address = _as_ip(raw)
            if address is not None:
                found.append(address)
    return found


def _resolved_addresses() -> list[IpAddress]:  # pragma: no cover - fallback only
    found: list[IpAddress] = []
    with contextlib.suppress(OSError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None):
            address = _as_ip(str(sockaddr[0]))
            if address is not None:
                found.append(address)
    return found


def _as_ip(text: str) -> IpAddress | None:
    """``text`` as an IP address (an IPv6 zone such as ``%eth0`` dropped), else None."""
    try:
        return ipaddress.ip_address(text.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def lan_names() -> list[str]:
    """The names a LAN client may use to reach this machine.

    ``localhost``, the hostname and ``<hostname>.local``, then ``127.0.0.1``
    and ``::1``, then every IPv4 and every IPv6 address of the machine's
    interfaces in the order the system lists them (link-local IPv6 addresses
    are left out: a browser cannot open a URL with one). No duplicates."""
    names: list[str] = ["localhost", *_hostnames()]
    addresses: list[IpAddress] = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    found = _interface_addresses()
    addresses += [a for a in found if a.version == 4]
    addresses += [a for a in found if a.version == 6 and not a.is_link_local]
    names += [str(a) for a in addresses]
    return list(dict.fromkeys(names))


def first_lan_ipv4(names: Sequence[str] | None = None) -> str | None:
    """The first IPv4 address of ``names`` (default :func:`lan_names`) that
    another machine on the LAN can use: not loopback, not link-local."""
    for name in lan_names() if names is None else names:
        address = _as_ip(name)
        if (
            address is not None
            and address.version == 4
            and not address.is_loopback
            and not address.is_link_local
            and not address.is_unspecified
        ):
            return str(address)
    return None


# --- files -------------------------------------------------------------------


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode``, atomically (never half a key)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        temporary.chmod(mode)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_der(item: x509.Certificate | PrivateKeyTypes) -> bytes:
    """The public key of a certificate or of a private key, as DER."""
    return item.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _load_ec_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def fingerprint(cert: Path) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as ``AB:CD:…`` (the
    form phones and browsers show)."""
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    digest = hashlib.sha256(loaded.public_bytes(serialization.Encoding.DER)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper()


# --- certificates ------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _subject_alt_names(names: Sequence[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in names:
        address = _as_ip(name)
        entry: x509.GeneralName = (
            x509.IPAddress(address) if address is not None else x509.DNSName(_dns_name(name))
        )
        if entry not in entries:
            entries.append(entry)
    return entries


def _dns_name(name: str) -> str:
    """``name`` as a certificate's DNS name: lower case, no trailing dot,
    an internationalised name in its ASCII (``xn--``) form."""
    name = name.strip().rstrip(".").lower()
    if not name:
        raise ValueError("an empty name cannot go in a certificate")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"not a usable host name: {name!r}") from exc
    if not _HOST_NAME.fullmatch(name):
        raise ValueError(f"not a usable host name: {name!r}")
    return name


def _new_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname() or "localhost"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"session-server LAN CA {host}"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "session-server"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(folder / "ca.key", _key_pem(key), 0o600)
    _write(folder / "ca.crt", cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def _issue_server(
    folder: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, names: Sequence[str]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names = _subject_alt_names(names)
    first_dns = next((n.value for n in alt_names if isinstance(n, x509.DNSName)), "localhost")
    now = _now()
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, str(first_dns)[:64]),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "session-server"),
                ]
            )
        )
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now - BACKDATE + SERVER_VALIDITY, ca.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(folder / "server.key", _key_pem(key), 0o600)
    _write(folder / "server.crt", cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _usable_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The kept CA, if both files load, match, and it can still sign."""
    cert = _load_cert(folder / "ca.crt")
    key = _load_ec_key(folder / "ca.key")
    if cert is None or key is None or _public_der(cert) != _public_der(key):
        return None
    try:
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    if cert.not_valid_after_utc - _now() < RENEW_BEFORE:
        return None  # at its end (after ten years): a new CA, to be trusted again
    return cert, key


def _server_ok(folder: Path, ca: x509.Certificate, names: Sequence[str]) -> bool:
    """Whether the kept server certificate can be used for ``names``."""
    cert = _load_cert(folder / "server.crt")
    key = _load_ec_key(folder / "server.key")
    if cert is None or key is None or _public_der(cert) != _public_der(key):
        return False
    try:
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
        return False
    now = _now()
    if cert.not_valid_before_utc > now or cert.not_valid_after_utc - now < RENEW_BEFORE:
        return False
    return all(name in san for name in _subject_alt_names(names))


def ensure_lan_certificate(folder: Path, names: Sequence[str]) -> TlsFiles:
    """The LAN certificate in ``folder``, made or renewed as needed.

    Keeps ``ca.crt``/``ca.key`` (a local certificate authority, made once)
    and ``server.crt``/``server.key`` (signed by it, for every one of
    ``names``: IP addresses and DNS names). The server certificate is re-used
    while it is valid for at least 30 more days and covers every name;
    otherwise it is issued again by the same CA, so clients that trusted the
    CA keep working. The folder is private to its owner (0700), the keys 0600.
    """
    if not names:
        raise ValueError("a certificate needs at least one name")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    ca = _usable_ca(folder)
    if ca is None:
        ca = _new_ca(folder)
        ok = False
    else:
        ok = _server_ok(folder, ca[0], names)
    if not ok:
        _issue_server(folder, ca[0], ca[1], names)
    return TlsFiles(
        ca_cert=folder / "ca.crt", cert=folder / "server.crt", key=folder / "server.key"
    )


def check_certificate_pair(cert: Path, key: Path) -> None:
    """Raise :class:`ValueError` unless ``cert`` (PEM, a chain allowed: its
    first certificate is the server's) and ``key`` (PEM, unencrypted) can be
    read and belong together."""
    for label, path in (("certificate", cert), ("key", key)):
        if not path.is_file():
            raise ValueError(f"TLS {label} file not found: {path}")
    try:
        cert_bytes = cert.read_bytes()
        key_bytes = key.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read TLS files: {exc}") from exc
    try:
        certificates = x509.load_pem_x509_certificates(cert_bytes)
    except ValueError as exc:
        raise ValueError(f"{cert} is not a PEM certificate: {exc}") from exc
    try:
        private_key = serialization.load_pem_private_key(key_bytes, password=None)
    except TypeError as exc:
        raise ValueError(f"{key} is encrypted; give an unencrypted private key") from exc
    except ValueError as exc:
        raise ValueError(f"{key} is not a PEM private key: {exc}") from exc
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"{key} uses an unsupported key type: {exc}") from exc
    if _public_der(certificates[0]) != _public_der(private_key):
        raise ValueError(f"the key {key} does not belong to the certificate {cert}")
