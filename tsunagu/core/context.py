"""Template context: the menu the signed-in user's role may use (`core.navigation`),
and the places (a clinician's clinic) named in the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tsunagu.core import affiliations
from tsunagu.core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None}

    def places() -> list[Any]:
        # Only for roles that have a declared place, so other pages pay no query.
        return [
            value
            for a in affiliations.all_affiliations()
            if a.role == user.role and (value := a.of(user)) is not None
        ]

    match = getattr(request, "resolver_match", None)
    return {
        "nav_role": user.role,
        "nav_places": places,
        "nav": menu_for(user.role, match.view_name if match else None),
    }
