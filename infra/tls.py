"""A private certificate authority for one city hall, made with `cryptography`.

`madoguchi tls init` writes under `--data/tls`: the CA (ca.crt, ca.key), a server certificate
for the bus and the web app (server.crt/.key, for localhost and the given host names), and
the service's own client certificate. `madoguchi tls client NAME --zone SJ` issues a
terminal's client certificate: its OU names the network zone, which the web app trusts over
the client address. A city with its own CA points `[tls]` at its files instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from schemas.settings import TlsSettings

CA_YEARS = 10
CERT_DAYS = 825  # the longest leaf lifetime browsers still accept
ZONES = ("SA", "SJ", "MN")


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path
    client_cert: Path | None = None  # the service's own, for buses that require client certs
    client_key: Path | None = None


def default_files(tls_dir: Path) -> TlsFiles:
    return TlsFiles(
        tls_dir / "ca.crt",
        tls_dir / "server.crt",
        tls_dir / "server.key",
        tls_dir / "clients" / "madoguchi.crt",
        tls_dir / "clients" / "madoguchi.key",
    )


def _write(path: Path, data: bytes, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ca(tls_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = tls_dir / "ca.crt", tls_dir / "ca.key"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "madoguchi"),
            x509.NameAttribute(NameOID.COMMON_NAME, "madoguchi private CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return cert, key


def _issue(
    tls_dir: Path,
    subject: x509.Name,
    names: list[x509.GeneralName],
    server: bool,
    cert_path: Path,
    key_path: Path,
) -> None:
    ca_cert, ca_key = _ca(tls_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)


def init(tls_dir: Path, hosts: Iterable[str] = ()) -> TlsFiles:
    """The CA (kept if present), a fresh server certificate, the service's client certificate."""
    files = default_files(tls_dir)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for host in ("127.0.0.1", "::1", *hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "madoguchi server")])
    _issue(tls_dir, subject, names, True, files.cert_file, files.key_file)
    assert files.client_cert is not None and files.client_key is not None
    _issue(tls_dir, _client_name("madoguchi", None), [], False, files.client_cert, files.client_key)
    return files


BUS_DOMAIN = "madoguchi.bus"


def bus_identity(user: str) -> str:
    """The e-mail SAN a NATS user's certificate carries; nats-server maps it to the user."""
    return f"{user}@{BUS_DOMAIN}"


def bus_client_files(tls_dir: Path, user: str) -> tuple[Path, Path]:
    """The certificate of a NATS user (issued on first use), for buses that map certificates."""
    cert_path = tls_dir / "clients" / f"bus-{user}.crt"
    key_path = tls_dir / "clients" / f"bus-{user}.key"
    if not cert_path.exists() or not key_path.exists():
        _issue(
            tls_dir,
            _client_name(user, None),
            [x509.RFC822Name(bus_identity(user))],
            False,
            cert_path,
            key_path,
        )
    return cert_path, key_path


def _client_name(name: str, zone: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if zone is not None:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, zone))
    return x509.Name(parts)


def issue_client(tls_dir: Path, name: str, zone: str | None) -> tuple[Path, Path]:
    """A terminal's (or program's) client certificate; OU = its network zone."""
    if zone is not None and zone not in ZONES:
        raise ValueError(f"unknown zone {zone!r}: use one of {', '.join(ZONES)}")
    cert_path = tls_dir / "clients" / f"{name}.crt"
    key_path = tls_dir / "clients" / f"{name}.key"
    _issue(tls_dir, _client_name(name, zone), [], False, cert_path, key_path)
    return cert_path, key_path


def client_context(files: TlsFiles, with_client_cert: bool = True) -> ssl.SSLContext:
    """For our own clients (bus, web): trust the CA; present the service certificate."""
    context = ssl.create_default_context(cafile=str(files.ca_file))
    if with_client_cert and files.client_cert and files.client_cert.exists():
        context.load_cert_chain(str(files.client_cert), str(files.client_key))
    return context


def zone_of_certificate(peer: dict[str, Any] | None) -> str | None:
    """The zone a verified client certificate names (its OU), from `SSLSocket.getpeercert()`."""
    if not peer:
        return None
    for rdn in peer.get("subject", ()):
        for key, value in rdn:
            if key == "organizationalUnitName" and value in ZONES:
                return str(value)
    return None


def files_for(settings: TlsSettings, data_dir: Path) -> TlsFiles:
    """The files `[tls]` names, or those `tls init` made under `--data/tls`."""
    made = default_files(settings.dir or data_dir / "tls")
    return TlsFiles(
        ca_file=settings.ca_file or made.ca_file,
        cert_file=settings.cert_file or made.cert_file,
        key_file=settings.key_file or made.key_file,
        client_cert=made.client_cert,
        client_key=made.client_key,
    )


def check_files(files: TlsFiles) -> None:
    """The service's CA, certificate and key are there and load (else the bus server would
    only say it exited); the message names the file."""
    missing = [str(p) for p in (files.ca_file, files.cert_file, files.key_file) if not p.exists()]
    if missing:
        raise FileNotFoundError(
            f"TLS is on but {', '.join(missing)} is missing: run `madoguchi tls init`"
        )
    try:
        context = ssl.create_default_context(cafile=str(files.ca_file))
    except ssl.SSLError:
        raise ValueError(f"{files.ca_file} is not a PEM CA certificate") from None
    try:
        context.load_cert_chain(str(files.cert_file), str(files.key_file))
    except ssl.SSLError:
        raise ValueError(
            f"{files.cert_file} and {files.key_file} are not a PEM certificate and its key"
        ) from None


def save_client_config(nats_dir: Path, files: TlsFiles, mapped: bool) -> None:
    """Where command-line tools find the CA and the service certificate for a TLS bus, and
    whether the bus identifies clients by certificate (`mapped`) rather than password."""
    config = {
        "ca_file": str(files.ca_file),
        "client_cert": str(files.client_cert),
        "client_key": str(files.client_key),
        "mapped": mapped,
    }
    _write(nats_dir / "tls.json", json.dumps(config).encode(), private=True)


def load_client_context(nats_dir: Path) -> tuple[ssl.SSLContext | None, bool]:
    """The TLS context command-line tools use, and whether certificates name the user."""
    path = nats_dir / "tls.json"
    if not path.exists():
        return None, False
    config = json.loads(path.read_text())
    files = TlsFiles(
        Path(config["ca_file"]),
        Path(),
        Path(),
        Path(config["client_cert"]),
        Path(config["client_key"]),
    )
    return client_context(files), bool(config.get("mapped"))


def forget_client_config(nats_dir: Path) -> None:
    (nats_dir / "tls.json").unlink(missing_ok=True)


def bus_tls_dir(nats_dir: Path) -> Path | None:
    """The CA's folder when the bus maps certificates to users, else None."""
    path = nats_dir / "tls.json"
    if not path.exists():
        return None
    config = json.loads(path.read_text())
    return Path(config["ca_file"]).parent if config.get("mapped") else None
