"""A text field stored encrypted (see crypto.py); empty stays empty."""

from __future__ import annotations

from typing import Any

from django.db import models

from tsunagu.core import crypto


class EncryptedTextField(models.TextField):
    """Personal data encrypted at rest. Not searchable, not orderable."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.encrypt(str(value))
