"""`tsunagu create-admin USERNAME`: the first administrator of a new installation.

Every later account is created on the users page and approved by a second
person; the first one can only come from the operator's command line. It goes
through the one account service (`core.services.user_create`, audited as
`user.create` with no actor) and gets a temporary password, printed once, that
must be changed at the first sign-in, where the second factor is also set up.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.models import Role
from tsunagu.core.services import AccountError, user_create


class Command(BaseCommand):
    help = "Create an administrator account with a temporary password (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = user_create(actor=None, username=options["username"], role=Role.ADMIN)
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Administrator {result.user.username} created. Temporary password (shown once, "
            f"to be changed at the first sign-in): {result.password}"
        )
