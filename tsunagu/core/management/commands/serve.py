"""`tsunagu serve`: the production server (gunicorn, sync workers).

Workers from TSUNAGU_WORKERS (default 2 x cores + 1, at most 8), the address
from TSUNAGU_BIND (default 127.0.0.1:8000; a unix:/path socket works too),
static files through WhiteNoise (already in MIDDLEWARE), graceful shutdown on
SIGTERM (workers finish their requests within TSUNAGU_GRACEFUL_SECONDS), and
an access log of method, path, status, size and time only: no query string
(search terms can be names), no referrer, no user agent, no client address.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.settings import env, env_bool, env_int

# gunicorn atoms: %(U)s is the path WITHOUT the query string; %(M)s milliseconds.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def default_workers() -> int:
    return min(8, 2 * (os.cpu_count() or 1) + 1)


def gunicorn_options() -> dict[str, Any]:
    return {
        "bind": env("BIND", "127.0.0.1:8000"),
        "workers": env_int("WORKERS", default_workers()),
        "worker_class": "sync",
        "timeout": env_int("WORKER_TIMEOUT", 120),
        "graceful_timeout": env_int("GRACEFUL_SECONDS", 30),
        "keepalive": 5,
        "max_requests": env_int("MAX_REQUESTS", 5000),
        "max_requests_jitter": 500,
        "accesslog": env("ACCESS_LOG", "-"),
        "errorlog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "loglevel": env("LOG_LEVEL", "info").lower(),
        # X-Forwarded-Proto is trusted from the TLS proxy only.
        "forwarded_allow_ips": env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        "proc_name": "tsunagu",
        # Import the application and its URLs once in the master: workers fork warm
        # and share that memory. No database connection is opened before the fork.
        "preload_app": True,
        # gunicorn's runtime control socket (one path per user) is not used.
        "control_socket_disable": True,
    }


class Command(BaseCommand):
    help = "Run the production web server (gunicorn); see README 'Deploy'."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="overrides TSUNAGU_BIND")
        parser.add_argument("--workers", type=int, help="overrides TSUNAGU_WORKERS")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        if settings.DEBUG:
            raise CommandError("TSUNAGU_DEBUG is on: never serve production with it")
        config = gunicorn_options()
        if options.get("bind"):
            config["bind"] = options["bind"]
        if options.get("workers"):
            config["workers"] = options["workers"]
        if config["workers"] < 1:
            raise CommandError("TSUNAGU_WORKERS must be at least 1")

        from tsunagu.wsgi import application

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from django.db import connections
                from django.urls import get_resolver

                from tsunagu.core import warm

                get_resolver().url_patterns  # noqa: B018 - imports every view now
                warm.everything()  # templates and catalogues, shared by the forked workers
                connections.close_all()
                return application

        self.stdout.write(f"tsunagu serve: {config['workers']} workers on {config['bind']}")
        # TSUNAGU_SERVE_WORKER=1: also run `tsunagu worker` (notification email) as a
        # child process for the server's lifetime (a command, not an import).
        worker = None
        if env_bool("SERVE_WORKER", False):
            worker = subprocess.Popen([sys.executable, "-m", "tsunagu", "worker"])  # noqa: S603
        try:
            Server().run()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
