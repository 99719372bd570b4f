"""AES-GCM encryption of personal fields at rest, bound to their place, with key rotation.

Keys come from TSUNAGU_KEYS ("id:base64key,id:base64key", the first encrypts), or
from the key file named by TSUNAGU_KEYS_FILE (default: `keys` in the data folder).
A key file is created on first use only while the database holds no encrypted
value: a database restored without its keys refuses to start (see checks.py)
rather than silently gaining a second, unrelated key.

Key ids are unique: the date and random hex (`20261202-9f3ac1e2`), never a fixed
name, so a key made on another machine can never collide with the real one.

A stored value is "v2:<key id>:<base64 nonce+ciphertext>", sealed with associated
data naming its table, column and row (see fields.EncryptedTextField): the same
ciphertext copied to another field or row fails to decrypt. "v1:" values are the
older unbound form; they still decrypt, and `tsunagu rotate-keys` rebinds them.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v2"
UNBOUND_PREFIX = "v1"


class CannotDecrypt(ValueError):
    """The value does not decrypt here: wrong key, wrong place, or damaged."""


@dataclass(frozen=True)
class Keyring:
    """The keys in force: the first one encrypts, all decrypt."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def primary_id(self) -> str:
        return self.keys[0][0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(kid for kid, _ in self.keys)

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise CannotDecrypt(f"key {key_id!r} is not configured")


def parse_keys(raw: str, what: str = "encryption") -> Keyring:
    """Parse "id:base64key,..." into a keyring; refuse malformed, short or repeated keys."""
    keys: list[tuple[str, bytes]] = []
    for item in raw.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, b64 = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured(f"each {what} key must be written id:base64key")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ImproperlyConfigured(f"{what} key {kid!r} must be 32 bytes")
        if kid in {k for k, _ in keys}:
            raise ImproperlyConfigured(f"{what} key id {kid!r} is listed twice")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured(f"no {what} key configured")
    return Keyring(tuple(keys))


def new_key_id() -> str:
    """A unique key id: today's date and 8 random hex digits."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"


def new_key_line(key_id: str | None = None) -> str:
    key = base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
    return f"{key_id or new_key_id()}:{key}"


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)


def load_ring(raw: str, path: Path, what: str, may_create: bool) -> Keyring:
    """The keyring from `raw` (an environment value) or the key file at `path`.

    A missing file is created with a fresh key only when `may_create` holds.
    """
    if raw:
        return parse_keys(raw, what)
    if not path.exists():
        if not may_create:
            raise ImproperlyConfigured(
                f"The {what} key file {path} is missing, but the database already holds "
                f"values that need it. Put the key file back (from the key backup), or set "
                f"the keys in the environment. No new key was created."
            )
        write_private(path, new_key_line() + "\n")
    return parse_keys(path.read_text(encoding="utf-8"), what)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    from tsunagu.core.checks import database_holds_ciphertext

    path = Path(settings.ENCRYPTION_KEY_FILE)
    may_create = bool(settings.ENCRYPTION_KEYS) or path.exists() or not database_holds_ciphertext()
    return load_ring(settings.ENCRYPTION_KEYS, path, "encryption", may_create)


def encrypt(plaintext: str, aad: str | None) -> str:
    """Seal `plaintext` under the primary key, bound to `aad` (its table, column and row)."""
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.key(ring.primary_id)).encrypt(
        nonce, plaintext.encode(), aad.encode() if aad is not None else None
    )
    prefix = PREFIX if aad is not None else UNBOUND_PREFIX
    return f"{prefix}:{ring.primary_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, aad: str | None) -> str:
    """The plaintext of `token` sealed at `aad`; CannotDecrypt otherwise.

    An unbound ("v1") value is read without associated data; `rotate-keys` rebinds it.
    """
    try:
        prefix, kid, b64 = token.split(":", 2)
        if prefix not in (PREFIX, UNBOUND_PREFIX):
            raise CannotDecrypt("not an encrypted value")
        blob = base64.b64decode(b64)
        data = aad.encode() if prefix == PREFIX and aad is not None else None
        return AESGCM(keyring().key(kid)).decrypt(blob[:12], blob[12:], data).decode()
    except CannotDecrypt:
        raise
    except (InvalidTag, ValueError, TypeError) as exc:
        raise CannotDecrypt("the value cannot be decrypted here") from exc


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def is_bound(token: str) -> bool:
    return token.startswith(PREFIX + ":")
