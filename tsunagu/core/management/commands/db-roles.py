"""`tsunagu db-roles --print-sql`: the SQL a PostgreSQL DBA runs to separate the roles.

The owner role owns the tables and runs migrations; the app role, which the
running app connects as, owns nothing, and may not UPDATE, DELETE or TRUNCATE
the audit log. Printed, never executed: the DBA reviews and runs it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

SQL = """\
-- Run as a PostgreSQL superuser. Replace the passwords.
CREATE ROLE {owner} LOGIN PASSWORD 'change-me-owner';
CREATE ROLE {app} LOGIN PASSWORD 'change-me-app' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE {db} OWNER {owner};
\\connect {db}
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO {owner};
GRANT USAGE ON SCHEMA public TO {app};
-- Migrations run as the owner (TSUNAGU_DATABASE_URL=postgres://{owner}@.../{db}).
-- Then, as the owner, after every `tsunagu migrate`:
SET ROLE {owner};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO {app};
-- The audit log: append and read only.
REVOKE UPDATE, DELETE, TRUNCATE ON core_auditevent FROM {app};
RESET ROLE;
-- The app runs as {app} (TSUNAGU_DATABASE_URL=postgres://{app}@.../{db}).
"""


def role_sql(owner: str = "tsunagu_owner", app: str = "tsunagu_app", db: str = "tsunagu") -> str:
    return SQL.format(owner=owner, app=app, db=db)


class Command(BaseCommand):
    help = "Print the PostgreSQL roles and grants for an owner role and an app role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--print-sql", action="store_true", required=True)
        parser.add_argument("--owner", default="tsunagu_owner")
        parser.add_argument("--app", default="tsunagu_app")
        parser.add_argument("--database", default="tsunagu")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(role_sql(options["owner"], options["app"], options["database"]))
