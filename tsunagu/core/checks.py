"""Start-up checks for keys, files and the database role (Django system checks).

They run with every management command (`migrate`, `runserver`, `check`) and when
the WSGI application loads (`startup()`): the app refuses to start when the
database holds encrypted values or audit events that no configured key opens,
rather than creating a new key; it warns when a key file lives in the data
folder in production, and when it is connected to PostgreSQL as a superuser or
as the owner of its tables.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

log = logging.getLogger("tsunagu")
SAMPLE = 20


def encrypted_columns() -> list[tuple[Any, Any]]:
    """(model, field) of every EncryptedTextField of every installed model."""
    from tsunagu.core.fields import EncryptedTextField

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def _sample(model: Any, field: Any) -> list[tuple[str, str]]:
    """Up to SAMPLE (ciphertext, row ref) pairs of one encrypted column."""
    quote = connection.ops.quote_name
    ref_col = model._meta.get_field(field.bound_by).column
    sql = (
        f"SELECT {quote(field.column)}, {quote(ref_col)} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(field.column)} <> '' LIMIT {SAMPLE}"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [(value, ref) for value, ref in cursor.fetchall()]
    except DatabaseError:  # not migrated yet
        return []


def database_holds_ciphertext() -> bool:
    return any(_sample(model, field) for model, field in encrypted_columns())


def _key_errors() -> list[checks.CheckMessage]:
    from tsunagu.core import crypto
    from tsunagu.core.fields import bound_aad

    samples = [(m, f, _sample(m, f)) for m, f in encrypted_columns()]
    samples = [s for s in samples if s[2]]
    if not samples:
        return []
    try:
        crypto.keyring.cache_clear()
        crypto.keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tsunagu.E001")]
    messages: list[checks.CheckMessage] = []
    unbound = 0
    for model, field, rows in samples:
        opened = 0
        for token, ref in rows:
            unbound += not crypto.is_bound(token)
            try:
                crypto.decrypt(token, bound_aad(model._meta.db_table, field.column, ref))
                opened += 1
            except crypto.CannotDecrypt:
                pass
        if opened == 0:
            ids = sorted({crypto.key_id_of(t) for t, _ in rows if t.count(":") >= 2})
            messages.append(
                checks.Error(
                    f"No configured encryption key decrypts {model._meta.label}.{field.name} "
                    f"(stored under key {', '.join(ids)}). The keys of this database are "
                    f"missing or wrong: restore the key file (TSUNAGU_KEYS_FILE) or "
                    f"TSUNAGU_KEYS from the key backup. Refusing to start.",
                    id="tsunagu.E001",
                )
            )
    if unbound and not messages:
        messages.append(
            checks.Warning(
                "Some encrypted values are not yet bound to their row and field.",
                hint="Run `tsunagu rotate-keys` once.",
                id="tsunagu.W004",
            )
        )
    return messages


def _audit_key_errors() -> list[checks.CheckMessage]:
    from tsunagu.core import audit
    from tsunagu.core.models import AuditChainHead

    try:
        audit.keyring.cache_clear()
        ring = audit.keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tsunagu.E002")]
    # The chain's last link names the key it was signed with: a key file of another
    # data folder would sign on with a key nobody can verify the chain with.
    try:
        head = AuditChainHead.objects.filter(pk=1).values_list("mac", flat=True).first()
    except DatabaseError:  # no table yet (before migrate): nothing to protect
        return []
    key_id = (head or "").split(":", 1)[0]
    if key_id and key_id not in ring.ids:
        return [
            checks.Error(
                f"The audit log was last signed with key {key_id}, which is not among the "
                f"configured audit keys ({', '.join(ring.ids)}): these are the keys of "
                "another installation. Restore the audit key file (TSUNAGU_AUDIT_KEYS_FILE) "
                "or TSUNAGU_AUDIT_KEYS from the key backup. Refusing to start.",
                id="tsunagu.E002",
            )
        ]
    return []


def _key_file_warnings() -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    data = Path(settings.DATA_DIR).resolve()
    found: list[checks.CheckMessage] = []
    for env_value, path, name, risk in (
        (
            settings.ENCRYPTION_KEYS,
            settings.ENCRYPTION_KEY_FILE,
            "TSUNAGU_KEYS_FILE",
            "decrypts every personal field",
        ),
        (
            settings.AUDIT_KEYS,
            settings.AUDIT_KEY_FILE,
            "TSUNAGU_AUDIT_KEYS_FILE",
            "can re-sign a forged audit log",
        ),
    ):
        if not env_value and Path(path).resolve().is_relative_to(data):
            found.append(
                checks.Warning(
                    f"The key file {path} is inside the data folder: a copy of the data "
                    f"folder then {risk}.",
                    hint=f"Set {name} to a file outside {data} and back it up separately.",
                    id="tsunagu.W001",
                )
            )
    return found


def _role_warnings() -> list[checks.CheckMessage]:
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, current_user = (SELECT tableowner FROM pg_tables "
                "WHERE tablename = 'core_auditevent') FROM pg_roles WHERE rolname = current_user"
            )
            row = cursor.fetchone()
    except DatabaseError:
        return []
    if row is None:
        return []
    superuser, owner = row
    if superuser or owner:
        what = "a superuser" if superuser else "the owner of the tables"
        return [
            checks.Warning(
                f"The app is connected to PostgreSQL as {what}: it could change or empty "
                f"the audit log.",
                hint="Connect as the app role; see `tsunagu db-roles --print-sql`.",
                id="tsunagu.W002",
            )
        ]
    return []


@checks.register("tsunagu")
def data_protection(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Keys, key files and the database role (see the module docstring)."""
    return _key_errors() + _audit_key_errors() + _key_file_warnings() + _role_warnings()


def startup() -> None:
    """Run the data-protection checks when the WSGI application loads: refuse or warn."""
    problems = data_protection()
    for message in problems:
        if message.is_serious():
            raise ImproperlyConfigured(f"{message.id}: {message.msg}")
        log.warning("%s: %s %s", message.id, message.msg, message.hint or "")
