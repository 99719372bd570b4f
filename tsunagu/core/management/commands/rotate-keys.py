"""`tsunagu rotate-keys`: re-encrypt every encrypted field with the first key, bound to its place.

See tsunagu/core/rotation.py. `--new-key` first puts a new key (unique id) at the
top of the key file; with TSUNAGU_KEYS the operator does that in the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core import crypto
from tsunagu.core.rotation import add_key_to_file, rotate


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key, bound to its row and field."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="generate a new key and put it first in the key file (not with TSUNAGU_KEYS)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            if settings.ENCRYPTION_KEYS:
                raise CommandError(
                    "Keys come from TSUNAGU_KEYS: put a new key first there yourself (an id "
                    "such as 20260401-a1b2c3d4 and 32 random bytes in base64), keep the old "
                    "one after it, then run rotate-keys without --new-key."
                )
            crypto.keyring()  # creates the key file on a first run, or refuses
            key_id = add_key_to_file(Path(settings.ENCRYPTION_KEY_FILE))
            crypto.keyring.cache_clear()
            self.stdout.write(f"New key {key_id} put first in {settings.ENCRYPTION_KEY_FILE}.\n")
        ring = crypto.keyring()
        self.stdout.write(f"Encrypting with key {ring.primary_id}.\n")
        counts = rotate(self.stdout)
        total = sum(t["rotated"] for t in counts.values())
        self.stdout.write(f"Done: {total} values re-encrypted.\n")
        if total == 0:
            self.stdout.write("Nothing to do: every value is already current.\n")
        else:
            self.stdout.write(
                "The old keys can be removed once every copy of the data is rotated.\n"
            )
