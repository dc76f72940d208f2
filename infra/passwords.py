"""Password hashing: scrypt from `cryptography`, at OWASP's parameters, off the event loop."""

from __future__ import annotations

import asyncio
import base64
import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (about 128 MiB and a few hundred ms).
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_LENGTH = 32


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_KEY_LENGTH, n=n, r=r, p=p).derive(password.encode("utf-8"))


def hash_password_sync(password: str) -> str:
    salt = os.urandom(16)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    encoded = [base64.b64encode(x).decode() for x in (salt, key)]
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password_sync(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key_b64)
        actual = _derive(password, base64.b64decode(salt_b64), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, stored)
