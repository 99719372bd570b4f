"""A real SMTP server (aiosmtpd) on a spare port, for the delivery tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

# Spare ports for the test's SMTP server; TSUNAGU_TEST_SMTP_PORTS="8240-8249" picks others
# (when several people test on one machine).
_first, _, _last = os.environ.get("TSUNAGU_TEST_SMTP_PORTS", "8200-8209").partition("-")
PORTS = range(int(_first), int(_last or _first) + 1)


class Recorder:
    """Accepts every message, except that the next `fail` ones get a 451."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.raw: list[bytes] = []
        self.fail = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail:
            self.fail -= 1
            return "451 4.3.0 try again later"
        self.raw.append(envelope.content)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            # Like the server (asyncio sets it): a port in TIME_WAIT is free to listen on.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture
def smtp(settings: Any) -> Iterator[Recorder]:
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.NOTIFY_SMTP_TIMEOUT = 5
    settings.BASE_URL = "https://tsunagu.example.jp"
    try:
        yield recorder
    finally:
        controller.stop()
