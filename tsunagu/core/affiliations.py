"""Places an account belongs to that a higher app declares (for example a clinic).

`core` names no other app. An app that ties accounts to its own objects (the
treatment app ties clinicians to a clinic) registers an `Affiliation` in its
`AppConfig.ready`; the account service, the user forms and the supervisor's
list of prefecture users then handle it like `region`, without importing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django import forms
    from django.db.models import Model, Q

    from tsunagu.core.models import User


class Affiliation(Protocol):
    """One kind of place, held by the app that declares it."""

    #: the key in forms, service keyword arguments and pending-change values
    name: str
    #: the role whose accounts must have this place; every other role must not
    role: str

    def form_field(self) -> forms.Field:
        """The choice field offered on the administrator's user form."""

    def of(self, user: User) -> Model | None:
        """The account's place, or None."""

    def of_many(self, users: Iterable[User]) -> dict[int, Model]:
        """The places of several accounts by user pk, in one query (lists)."""

    def load(self, pk: Any) -> Model | None:
        """The place with this primary key (from a pending change), or None."""

    def prefecture_id(self, value: Model) -> int | None:
        """The prefecture whose supervisors approve changes of the place's accounts."""

    def assign(self, user: User, value: Model | None) -> None:
        """Tie the account to `value` (None: to no place). Called inside the
        account service's transaction, which writes the audit event."""

    def users_q(self, supervisor: User) -> Q:
        """A filter on User: the accounts of places the supervisor may see."""


_REGISTRY: dict[str, Affiliation] = {}


def register(affiliation: Affiliation) -> None:
    """Declare a place (idempotent, so that a repeated `ready()` is harmless)."""
    _REGISTRY[affiliation.name] = affiliation


def all_affiliations() -> list[Affiliation]:
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: str) -> Affiliation | None:
    return _REGISTRY.get(name)


def of(user: User) -> dict[str, Model | None]:
    """Every declared place of one account: {name: place or None}."""
    return {a.name: a.of(user) for a in _REGISTRY.values()}
