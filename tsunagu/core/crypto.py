"""AES-GCM encryption of personal fields at rest, with key rotation.

Keys come from TSUNAGU_KEYS ("id:base64key,id:base64key", the first encrypts) or
from a key file in the data folder, created on first use. A stored value is
"v1:<key id>:<base64 nonce+ciphertext>", so any listed key can still decrypt it
after a new key has been put first.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


@dataclass(frozen=True)
class Keyring:
    """The encryption keys in force: the first one encrypts, all decrypt."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def primary_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise ImproperlyConfigured(f"encryption key {key_id!r} is not configured")


def parse_keys(raw: str) -> Keyring:
    """Parse "id:base64key,..." into a keyring; refuse malformed or short keys."""
    keys: list[tuple[str, bytes]] = []
    for item in raw.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, b64 = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured("each encryption key must be written id:base64key")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ImproperlyConfigured(f"encryption key {kid!r} must be 32 bytes")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured("no encryption key configured")
    return Keyring(tuple(keys))


def new_key_line(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    if settings.ENCRYPTION_KEYS:
        return parse_keys(settings.ENCRYPTION_KEYS)
    path = settings.ENCRYPTION_KEY_FILE
    if not path.exists():
        path.write_text(new_key_line("k1") + "\n", encoding="utf-8")
        path.chmod(0o600)
    return parse_keys(path.read_text(encoding="utf-8"))


def encrypt(plaintext: str) -> str:
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.key(ring.primary_id)).encrypt(nonce, plaintext.encode(), None)
    return f"{PREFIX}:{ring.primary_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    prefix, kid, b64 = token.split(":", 2)
    if prefix != PREFIX:
        raise ValueError("not an encrypted value")
    blob = base64.b64decode(b64)
    return AESGCM(keyring().key(kid)).decrypt(blob[:12], blob[12:], None).decode()


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]
