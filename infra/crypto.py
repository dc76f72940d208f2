"""Envelope encryption of personal records: AES-256-GCM with a fresh data key per record,
the data key wrapped by a key-encryption key (KEK).

The ciphertext is bound to the record's kind and id (associated data), so a blob copied
under another id does not open. KEKs live under `--data/keys` (0600 files, one per
generation), or come from MADOGUCHI_KEK (base64) or MADOGUCHI_KEK_FILE; old generations
stay to open old records until `keys rewrap` has moved them to the current one.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"MG1"  # blob: FORMAT + 12-byte nonce + ciphertext-with-tag
NONCE = 12


class DecryptionError(ValueError):
    """A blob that does not open: altered, moved to another id, or its key is gone."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: Mapping[str, bytes]

    @classmethod
    def load(cls, keys_dir: Path, env: Mapping[str, str] | None = None) -> KeyRing:
        env = os.environ if env is None else env
        if env.get("MADOGUCHI_KEK"):
            return cls("env", {"env": _decode_key(env["MADOGUCHI_KEK"])})
        if env.get("MADOGUCHI_KEK_FILE"):
            return cls("file", {"file": _decode_key(Path(env["MADOGUCHI_KEK_FILE"]).read_text())})
        keys = {p.stem: _decode_key(p.read_text()) for p in sorted(keys_dir.glob("*.kek"))}
        current_file = keys_dir / "current"
        if not keys or not current_file.exists():  # the first start: make the first KEK
            rotate(keys_dir)
            return cls.load(keys_dir, env)
        return cls(current_file.read_text().strip(), keys)

    def key(self, kek_id: str) -> bytes:
        try:
            return self.keys[kek_id]
        except KeyError:
            raise DecryptionError(f"key-encryption key {kek_id!r} is not available") from None


def _decode_key(text: str) -> bytes:
    key = base64.b64decode(text.strip())
    if len(key) != 32:
        raise ValueError("a key-encryption key must be 32 bytes (base64)")
    return key


def rotate(keys_dir: Path) -> str:
    """Start a new KEK generation for new writes; the old ones stay to open old records."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    kek_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)
    path = keys_dir / f"{kek_id}.kek"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
    current = keys_dir / "current"
    tmp = keys_dir / "current.tmp"
    tmp.write_text(kek_id)
    os.chmod(tmp, 0o600)
    os.replace(tmp, current)
    return kek_id


def seal(plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(data key, blob): a fresh key for this record alone."""
    data_key = AESGCM.generate_key(bit_length=256)
    return data_key, seal_with(data_key, plaintext, aad)


def seal_with(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """A new version of a record under the data key it already has (a fresh nonce)."""
    nonce = os.urandom(NONCE)
    return FORMAT + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def open_blob(data_key: bytes, blob: bytes, aad: bytes) -> bytes:
    if not blob.startswith(FORMAT):
        raise DecryptionError("not an encrypted record")
    nonce = blob[len(FORMAT) : len(FORMAT) + NONCE]
    try:
        return AESGCM(data_key).decrypt(nonce, blob[len(FORMAT) + NONCE :], aad)
    except InvalidTag:
        raise DecryptionError("the record does not open (altered, or not this record)") from None


def wrap(ring: KeyRing, data_key: bytes, aad: bytes) -> bytes:
    """The data key under the current KEK: `<kek id>:` + nonce + ciphertext."""
    nonce = os.urandom(NONCE)
    sealed = AESGCM(ring.key(ring.current)).encrypt(nonce, data_key, aad)
    return ring.current.encode() + b":" + nonce + sealed


def unwrap(ring: KeyRing, wrapped: bytes, aad: bytes) -> bytes:
    kek_id, _, rest = wrapped.partition(b":")
    try:
        return AESGCM(ring.key(kek_id.decode())).decrypt(rest[:NONCE], rest[NONCE:], aad)
    except InvalidTag:
        raise DecryptionError("the data key does not open") from None


def kek_of(wrapped: bytes) -> str:
    return wrapped.partition(b":")[0].decode()
