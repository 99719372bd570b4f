"""Mail settings from the environment (read by `tsunagu.settings`; no Django here).

`TSUNAGU_EMAIL_URL`, one of:
- `smtp://user:password@host:587?tls=1` (or `smtps://…` for implicit TLS),
- `file:///var/lib/tsunagu/mail` (Django's file backend: one file per message),
- `console://` (printed), `locmem://` (tests).
Or the separate `TSUNAGU_SMTP_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_TLS`, `_SSL`.
Without either, messages go to files under `<data folder>/mail`, as in the demo.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def _true(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def mail_settings(environ: Mapping[str, str], data_dir: Path) -> dict[str, Any]:
    url = environ.get("TSUNAGU_EMAIL_URL", "")
    host = environ.get("TSUNAGU_SMTP_HOST", "")
    if url:
        parsed = urlparse(url)
        scheme = parsed.scheme
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        if scheme in ("smtp", "smtps"):
            return {
                "EMAIL_BACKEND": BACKENDS["smtp"],
                "EMAIL_HOST": parsed.hostname or "localhost",
                "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 25),
                "EMAIL_HOST_USER": unquote(parsed.username or ""),
                "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
                "EMAIL_USE_TLS": _true(query.get("tls", "")),
                "EMAIL_USE_SSL": scheme == "smtps",
            }
        if scheme == "file":
            return {"EMAIL_BACKEND": BACKENDS["file"], "EMAIL_FILE_PATH": parsed.path}
        if scheme in BACKENDS:
            return {"EMAIL_BACKEND": BACKENDS[scheme]}
        raise ValueError("TSUNAGU_EMAIL_URL must start with smtp, smtps, file, console or locmem")
    if host:
        return {
            "EMAIL_BACKEND": BACKENDS["smtp"],
            "EMAIL_HOST": host,
            "EMAIL_PORT": int(environ.get("TSUNAGU_SMTP_PORT", "25")),
            "EMAIL_HOST_USER": environ.get("TSUNAGU_SMTP_USER", ""),
            "EMAIL_HOST_PASSWORD": environ.get("TSUNAGU_SMTP_PASSWORD", ""),
            "EMAIL_USE_TLS": _true(environ.get("TSUNAGU_SMTP_TLS", "")),
            "EMAIL_USE_SSL": _true(environ.get("TSUNAGU_SMTP_SSL", "")),
        }
    return {"EMAIL_BACKEND": BACKENDS["file"], "EMAIL_FILE_PATH": str(data_dir / "mail")}
