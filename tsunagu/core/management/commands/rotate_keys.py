"""`tsunagu rotate-keys`: re-encrypt every encrypted field with the first key.

Keys come from TSUNAGU_KEYS (the operator puts the new key first) or from the
key file in the data folder, where `--new-key` writes a new key in first place
and keeps the old ones so that existing values can still be read. Values
already under the first key are left alone, so running it twice changes
nothing the second time. Plaintext is never printed.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from tsunagu.core import crypto
from tsunagu.core.fields import EncryptedTextField

BATCH = 500


def encrypted_columns() -> list[tuple[Any, str]]:
    """(model, column) of every EncryptedTextField of every installed model."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field.column))
    return found


def add_key_to_file(path: Any) -> str:
    """Put a newly generated key first in the key file; return its id."""
    lines = []
    if path.exists():
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    used = {ln.split(":", 1)[0] for ln in lines}
    numbers = [int(m.group(1)) for kid in used if (m := re.fullmatch(r"k(\d+)", kid))]
    number = max(numbers, default=0) + 1
    while f"k{number}" in used:
        number += 1
    key_id = f"k{number}"
    path.write_text("\n".join([crypto.new_key_line(key_id), *lines]) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key_id


def rotate(stdout: Any = None) -> dict[str, dict[str, int]]:
    """Re-encrypt every value not under the primary key. Returns counts per column."""
    ring = crypto.keyring()
    primary = ring.primary_id
    counts: dict[str, dict[str, int]] = {}
    quote = connection.ops.quote_name
    for model, column in encrypted_columns():
        table, pk = model._meta.db_table, model._meta.pk.column
        label = f"{model._meta.label}.{column}"
        tally = {"rotated": 0, "current": 0, "empty": 0}
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                sql = f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)}"  # noqa: S608
                params: list[Any] = []
                if last is not None:
                    sql += f" WHERE {quote(pk)} > %s"
                    params.append(last)
                sql += f" ORDER BY {quote(pk)} LIMIT {BATCH}"
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                for row_pk, value in rows:
                    if not value:
                        tally["empty"] += 1
                    elif crypto.key_id_of(value) == primary:
                        tally["current"] += 1
                    else:
                        cursor.execute(
                            f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                            f"WHERE {quote(pk)} = %s",
                            [crypto.encrypt(crypto.decrypt(value)), row_pk],
                        )
                        tally["rotated"] += 1
            if not rows:
                break
            last = rows[-1][0]
        counts[label] = tally
        if stdout is not None:
            stdout.write(
                f"{label}: {tally['rotated']} re-encrypted, {tally['current']} already "
                f"under {primary}, {tally['empty']} empty\n"
            )
    return counts


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of the key ring."

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
                    "Keys come from TSUNAGU_KEYS: put a new key first there yourself, e.g. "
                    "k2:<32 random bytes in base64>, keep the old one after it, then run "
                    "rotate-keys without --new-key."
                )
            crypto.keyring()  # creates the key file on a first run
            key_id = add_key_to_file(settings.ENCRYPTION_KEY_FILE)
            crypto.keyring.cache_clear()
            self.stdout.write(f"New key {key_id} put first in {settings.ENCRYPTION_KEY_FILE}.\n")
        ring = crypto.keyring()
        self.stdout.write(f"Encrypting with key {ring.primary_id}.\n")
        counts = rotate(self.stdout)
        total = sum(t["rotated"] for t in counts.values())
        self.stdout.write(f"Done: {total} values re-encrypted.\n")
        if total == 0:
            self.stdout.write("Nothing to do: every value is already under the first key.\n")
        else:
            self.stdout.write(
                "The old keys can be removed once every copy of the data is rotated.\n"
            )
