"""Key rotation: re-encrypt every encrypted value under the first key, bound to its place.

Keys come from TSUNAGU_KEYS (the operator puts the new key first) or from the key
file, where `add_key_to_file` writes a new key in first place and keeps the old
ones so that existing values can still be read. A value is rewritten when it is
under an older key or not yet bound to its row and field ("v1"); values already
current are left alone, so a second run changes nothing. A value that does not
decrypt in its place (moved there, or under a lost key) is counted and left as it
is. Plaintext is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection, transaction

from tsunagu.core import crypto
from tsunagu.core.checks import encrypted_columns
from tsunagu.core.fields import bound_aad

BATCH = 500


def add_key_to_file(path: Path) -> str:
    """Put a newly generated key (unique id) first in the key file; return its id."""
    lines = []
    if path.exists():
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    key_id = crypto.new_key_id()
    crypto.write_private(path, "\n".join([crypto.new_key_line(key_id), *lines]) + "\n")
    return key_id


def _rewrite(token: str, aad: str, primary: str) -> str | None:
    """The new stored form of `token`, or None when it is already current."""
    if crypto.is_bound(token) and crypto.key_id_of(token) == primary:
        return None
    return crypto.encrypt(crypto.decrypt(token, aad), aad)


def rotate(stdout: Any = None) -> dict[str, dict[str, int]]:
    """Re-encrypt every value not current under the primary key. Returns counts per column."""
    primary = crypto.keyring().primary_id
    counts: dict[str, dict[str, int]] = {}
    quote = connection.ops.quote_name
    for model, field in encrypted_columns():
        table, pk, column = model._meta.db_table, model._meta.pk.column, field.column
        ref_col = model._meta.get_field(field.bound_by).column
        label = f"{model._meta.label}.{column}"
        tally = {"rotated": 0, "current": 0, "empty": 0, "unreadable": 0}
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                sql = f"SELECT {quote(pk)}, {quote(column)}, {quote(ref_col)} FROM {quote(table)}"  # noqa: S608
                params: list[Any] = []
                if last is not None:
                    sql += f" WHERE {quote(pk)} > %s"
                    params.append(last)
                sql += f" ORDER BY {quote(pk)} LIMIT {BATCH}"
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                for row_pk, value, ref in rows:
                    if not value:
                        tally["empty"] += 1
                        continue
                    try:
                        new = _rewrite(value, bound_aad(table, column, ref), primary)
                    except crypto.CannotDecrypt:
                        tally["unreadable"] += 1
                        continue
                    if new is None:
                        tally["current"] += 1
                        continue
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote(pk)} = %s",  # noqa: S608
                        [new, row_pk],
                    )
                    tally["rotated"] += 1
            if not rows:
                break
            last = rows[-1][0]
        counts[label] = tally
        if stdout is not None:
            stdout.write(
                f"{label}: {tally['rotated']} re-encrypted, {tally['current']} already "
                f"under {primary}, {tally['empty']} empty, {tally['unreadable']} cannot be "
                f"decrypted (left as they are)\n"
            )
    return counts
