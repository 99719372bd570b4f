"""The user's own access tokens in the JSON API, mounted at /api/v1/tokens.

The same as the page (My account > Access tokens) for listing and revoking:
one's own tokens only (another user's token id answers 404), never a secret or
its hash, the revocation audited by `tokens.revoke`. Making a token stays on
the page, behind its step-up: a script cannot make itself new tokens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from tsunagu.core import tokens
from tsunagu.core.api import auth_for, paged, responses
from tsunagu.core.models import User
from tsunagu.core.tokens import AccessToken

router = Router(tags=["tokens"], auth=auth_for())


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    scope: Literal[tuple(AccessToken.Scope.values)]  # type: ignore[valid-type]
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool


class TokenPage(Schema):
    count: int
    page: int
    pages: int
    results: list[TokenOut]


def _out(token: AccessToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "hint": token.hint,
        "scope": token.scope,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "active": token.active,
    }


@router.get("", response=responses(TokenPage))
def tokens_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    """The user's own tokens, newest first, with their last use (never the secret)."""
    return paged(AccessToken.objects.filter(user=cast(User, request.user)), page, _out)


@router.post("/{token_id}/revoke", response=responses(TokenOut, 200))
def tokens_revoke(request: HttpRequest, token_id: int) -> dict[str, Any]:
    """End one of the user's tokens at once (audited); revoking it again changes nothing.
    The token of the request itself may be revoked: the next request answers 401."""
    token = get_object_or_404(AccessToken, pk=token_id, user=cast(User, request.user))
    tokens.revoke(actor=request.user, token=token)
    return _out(token)
