"""A text field stored encrypted and bound to its place (see crypto.py); empty stays empty.

Binding: each ciphertext is sealed with the associated data
"<table>.<column>.<row ref>", where the row ref is a random hex column of the
model (`bound_by`, e.g. `Person.key_ref`) set when the Python object is created.
Rows are often encrypted before they have a primary key (bulk inserts, the
importer), so the primary key cannot be the binding; the ref is stable for the
row's life and never shown. A ciphertext copied to another column or row does
not decrypt there: the model then reads `UNREADABLE`, a marker that says so,
never another person's data and never an error page. Saving such a row keeps the
stored ciphertext as it was.

The database value is decrypted lazily on first attribute access, because
`from_db_value` does not know which row it belongs to.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext_lazy as _

from tsunagu.core import crypto

UNREADABLE_TEXT = _("(cannot be decrypted)")


def new_ref() -> str:
    """A fresh row ref for `bound_by` columns (32 hex digits)."""
    return secrets.token_hex(16)


def bound_aad(table: str, column: str, ref: str) -> str:
    """The associated data of a value in `table.column` of the row with `ref`."""
    return f"{table}.{column}.{ref}"


class Sealed(str):
    """A ciphertext as read from the database, not yet decrypted."""


class Unreadable(str):
    """Stands for a value that cannot be decrypted in this place; keeps the ciphertext."""

    token: str

    def __new__(cls, token: str) -> Unreadable:
        obj = super().__new__(cls, str(UNREADABLE_TEXT))
        obj.token = token
        return obj


def is_unreadable(value: Any) -> bool:
    return isinstance(value, Unreadable)


class _DecryptingAttribute(DeferredAttribute):
    """A data descriptor (it has __set__), so reads always pass through __get__."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        field: EncryptedTextField = self.field  # type: ignore[assignment]
        try:
            plain: str = crypto.decrypt(value, field.aad(instance))
        except crypto.CannotDecrypt:
            plain = Unreadable(str(value))
        instance.__dict__[field.attname] = plain
        return plain


class EncryptedTextField(models.TextField):
    """Personal data encrypted at rest and bound to its row. Not searchable, not orderable."""

    descriptor_class = _DecryptingAttribute

    def __init__(self, *args: Any, bound_by: str = "key_ref", **kwargs: Any) -> None:
        self.bound_by = bound_by
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.bound_by != "key_ref":
            kwargs["bound_by"] = self.bound_by
        return name, path, args, kwargs

    def aad(self, instance: Any) -> str:
        return bound_aad(self.model._meta.db_table, self.column, getattr(instance, self.bound_by))

    def seal(self, plaintext: str, ref: str) -> str:
        """The stored form of `plaintext` in this column of the row with `ref` (raw SQL writers)."""
        if not plaintext:
            return ""
        return crypto.encrypt(plaintext, bound_aad(self.model._meta.db_table, self.column, ref))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return Sealed(value)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname, "")
        if isinstance(value, Unreadable):
            return Sealed(value.token)
        if isinstance(value, Sealed) or not value:
            return value or ""
        return Sealed(crypto.encrypt(str(value), self.aad(model_instance)))

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, Unreadable):
            return value.token
        if isinstance(value, Sealed):
            return str(value)
        raise TypeError(
            "An encrypted field is written through the model's save() (it is bound to its "
            "row), or sealed with EncryptedTextField.seal(); it cannot be filtered on."
        )


def as_text(value: Any) -> str:
    """A cell as text: None and "" become ""."""
    return str(value) if value else ""


def seal_rows(
    model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """For raw SQL inserts: encrypt the plaintext of `model`'s encrypted columns in `rows`.

    Each row gets a fresh ref (appended as the `bound_by` column) and its values
    are sealed bound to it, exactly as `save()` would. None and "" stay "".
    """
    encrypted = {
        i: f
        for i, c in enumerate(columns)
        for f in [model._meta.get_field(c)]
        if isinstance(f, EncryptedTextField)
    }
    if not encrypted:
        return columns, rows
    bound_by = next(iter(encrypted.values())).bound_by
    sealed = []
    for row in rows:
        ref = new_ref()
        sealed.append(
            tuple(
                encrypted[i].seal(str(v) if v else "", ref) if i in encrypted else v
                for i, v in enumerate(row)
            )
            + (ref,)
        )
    return (*columns, model._meta.get_field(bound_by).column), sealed
