"""Tsunagu settings: one module, read from TSUNAGU_* environment variables.

Defaults are safe and run on SQLite in ./var. A bad value fails loudly at start.
Secrets may be given directly or as a file through the `_FILE` variant.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tsunagu.notifications.conf import mail_settings as _mail_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """TSUNAGU_<name>, or the contents of the file named by TSUNAGU_<name>_FILE."""
    key = f"TSUNAGU_{name}"
    file_name = os.environ.get(f"{key}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(key, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"TSUNAGU_{name} must be a boolean, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TSUNAGU_{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()
# Owner only: the database, uploads and (by default) the keys live here.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG")
# Demo mode prints demo passwords and allows `tsunagu demo`; never on in production.
DEMO = env_bool("DEMO")


def _secret_key() -> str:
    configured = env("SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Keys for the encrypted personal fields: "id:base64key,id:base64key", the first
# one encrypts, all of them decrypt (rotation). Without it, a key file in DATA_DIR.
ENCRYPTION_KEYS = env("KEYS")
ENCRYPTION_KEY_FILE = Path(env("KEYS_FILE", str(DATA_DIR / "keys"))).resolve()
# The audit chain's HMAC keys, same format; and where the chain head is appended
# outside the database (docs: README "Data protection").
AUDIT_KEYS = env("AUDIT_KEYS")
AUDIT_KEY_FILE = Path(env("AUDIT_KEYS_FILE", str(DATA_DIR / "audit-keys"))).resolve()
AUDIT_HEAD_DIR = Path(env("AUDIT_HEAD_DIR", str(DATA_DIR))).resolve()
# Personal data of a case closed this many years ago is anonymised (`tsunagu retention`).
RETENTION_YEARS = env_int("RETENTION_YEARS", 10)
# Audit events are kept at least this many days (never below 365).
AUDIT_RETENTION_DAYS = max(365, env_int("AUDIT_RETENTION_DAYS", 3653))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # django-ninja as an app: its API docs page then uses the bundled static files
    # (no CDN, no inline script, so the CSP holds).
    "ninja",
    # Second factor: django-otp's TOTP and recovery codes, WebAuthn through its plug-in.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    # Lockout after failed sign-ins.
    "axes",
    "tsunagu.core",
    "tsunagu.cases",
    "tsunagu.risk",
    "tsunagu.treatment",
    "tsunagu.interchange",
    "tsunagu.reports",
    "tsunagu.notifications",
]

MIDDLEWARE = [
    "tsunagu.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tsunagu.core.middleware.JapaneseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Under /api/: JSON bodies only as application/json, every error as JSON.
    "tsunagu.core.api.ApiErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tsunagu.core.busy.BusyDatabaseMiddleware",
    "csp.middleware.CSPMiddleware",
    "tsunagu.core.middleware.LoginRequiredMiddleware",
    # Idle and absolute session timeouts, the second-factor gate, no-store.
    "tsunagu.core.security.SessionSecurityMiddleware",
    "tsunagu.core.account_middleware.PasswordChangeRequiredMiddleware",
    # Audits denials (403/404), drill-down lists and, with get_for_user, reads.
    "tsunagu.core.access_audit.AccessAuditMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: the session and the user are read from the primary before report
    # views read from the replica.
    "tsunagu.core.replica.ReplicaMiddleware",
]

ROOT_URLCONF = "tsunagu.urls"
WSGI_APPLICATION = "tsunagu.wsgi.application"

# Every form names its fields in its errors and states length rules up front (core/wording.py).
FORM_RENDERER = "tsunagu.core.wording.ProjectRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tsunagu.core.context.navigation",
                "tsunagu.core.security.security_context",
                "tsunagu.notifications.context.unread",
            ],
        },
    }
]

# A write waits this long for a lock held by another writer (SQLite's busy handler
# retries meanwhile; PostgreSQL's lock_timeout), then answers 503 with Retry-After.
LOCK_WAIT_SECONDS = env_int("LOCK_WAIT", 5)
BUSY_RETRY_AFTER = env_int("BUSY_RETRY_AFTER", 5)

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("TSUNAGU_DATABASE_URL must be a postgres:// URL")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={LOCK_WAIT_SECONDS * 1000}"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "tsunagu.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the lock when it starts, so a
                # check of the derived state and the write that follows cannot race.
                "transaction_mode": "IMMEDIATE",
                "timeout": LOCK_WAIT_SECONDS,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }

# A streaming read replica of the PostgreSQL primary: reports, statistics and
# evaluation read from it (tsunagu.core.replica); everything else uses the primary.
REPLICA_URL = env("REPLICA_URL")
if REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured("TSUNAGU_REPLICA_URL needs TSUNAGU_DATABASE_URL (PostgreSQL)")
    DATABASES["replica"] = dj_database_url.parse(REPLICA_URL, conn_max_age=60)
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("TSUNAGU_REPLICA_URL must be a postgres:// URL")
    # Tests never create a second database: the replica mirrors the primary.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["tsunagu.core.replica.ReplicaRouter"]
REPLICA_PATHS = env_list("REPLICA_PATHS", "/reports/,/api/v1/reports/,/evaluation/")
# Pages that list what the user has just done stay on the primary.
REPLICA_EXCLUDED_PATHS = env_list("REPLICA_EXCLUDED_PATHS", "/reports/releases/")

# Uploads waiting for confirmation: a folder all app hosts share (NFS or similar)
# when several hosts serve behind one proxy.
UPLOAD_DIR = Path(env("UPLOAD_DIR", str(DATA_DIR / "interchange-uploads"))).resolve()


def cache_settings(url: str, data_dir: Path) -> dict[str, dict[str, Any]]:
    """The report cache (tsunagu/reports/cache.py), from TSUNAGU_CACHE_URL.

    Its entries are keyed on the data version, so a shared cache is always safe
    to read and sharing it saves every server process computing the same report.
    Default: a folder in the data folder, shared by the processes of one host
    (`tsunagu serve` runs several); `redis://host:6379/0` shares it between hosts;
    `locmem` keeps one per process.
    """
    if url == "locmem":
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    if url:
        raise ImproperlyConfigured(
            "TSUNAGU_CACHE_URL must be redis://…, rediss://…, unix://… or locmem"
        )
    folder = data_dir / "cache"
    folder.mkdir(mode=0o700, exist_ok=True)
    return {
        "default": {
            "BACKEND": "tsunagu.core.file_cache.FileBasedCache",
            "LOCATION": str(folder),
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }


CACHES = cache_settings(env("CACHE_URL"), DATA_DIR)


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Argon2id (argon2-cffi). Costs are settings; the defaults are OWASP's minimum
# (19 MiB, 2 passes, 1 lane), measured in docs/security.md. Older hashes are
# upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "tsunagu.core.passwords.TsunaguArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
ARGON2_MEMORY_KIB = env_int("ARGON2_MEMORY_KIB", 19 * 1024)
ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1)
if ARGON2_MEMORY_KIB < 19 * 1024 or ARGON2_TIME_COST < 2 or ARGON2_PARALLELISM < 1:
    raise ImproperlyConfigured("Argon2 costs may not go below m=19456 KiB, t=2, p=1")

AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked account or address before the password is checked.
    "tsunagu.core.lockout.AddressThrottleBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tsunagu.core.passwords.BreachedPasswordValidator"},
]

# --- Second factor, lockout, sessions (docs/security.md) ---------------------------
# Every account must sign in with a second factor (TOTP or WebAuthn). `make run`
# turns it off for the demo, and every page then says so.
REQUIRE_MFA = env_bool("REQUIRE_MFA", True)
OTP_TOTP_ISSUER = "Tsunagu"
# django-otp's own back-off after a wrong code is off: wrong codes count towards
# the account lockout instead (core.lockout), one rule in one place.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = "Tsunagu"
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    # Browsers allow WebAuthn on https:// origins and on http://localhost only.
    "WEBAUTHN_ORIGINS",
    "http://localhost:8000",
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Step-up: a second factor checked within this many seconds before a reveal or
# an export with personal columns, and at most this many of them a day per user.
STEPUP_SECONDS = env_int("STEPUP_SECONDS", 300)
STEPUP_DAILY_LIMIT = env_int("STEPUP_DAILY_LIMIT", 20)
# A supervisor sees an alert when one user of the prefecture did more than this
# many reveals in the last 24 hours.
REVEAL_ALERT_PER_USER = env_int("REVEAL_ALERT_PER_USER", 10)

# Lockout (django-axes): per account name, whether or not the account exists.
AXES_FAILURE_LIMIT = env_int("LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# A right password alone does not clear the count (else wrong codes could be tried
# without end); a passed second factor does (core.mfa.mark_verified).
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "tsunagu.core.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "tsunagu.core.lockout.client_ip"
AXES_VERBOSE = False
# Separately, a client address is throttled after this many failures in the window.
LOCKOUT_ADDRESS_FAILURES = env_int("LOCKOUT_ADDRESS_FAILURES", 30)
# Only these proxies' X-Forwarded-For is trusted for the client address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 1800)
SESSION_MAX_SECONDS = env_int("SESSION_MAX_SECONDS", 8 * 3600)

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True
LOCALE_PATHS: list[Path] = []

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# WhiteNoise serves from the finders (no collectstatic needed) but expects the folder.
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS (production), cookies are secure and HTTP redirects to HTTPS.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # __Host- cookies: Secure, Path=/, no Domain, so no other host can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    LANGUAGE_COOKIE_SECURE = True
# No inline script or style: everything comes from our static files; the nonce
# is there for any element that must carry one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), interest-cohort=(), publickey-credentials-get=(self), "
    "publickey-credentials-create=(self)"
)
# Police intranet hosts are not on the public HSTS preload list; preload is opt-in.
SILENCED_SYSTEM_CHECKS = [] if env_bool("HSTS_PRELOAD", False) else ["security.W021"]
# Axes locks per account name; the per-address throttle is ours (core.lockout).
SILENCED_SYSTEM_CHECKS.append("axes.W006")

# Logs never carry request bodies, so victim fields cannot reach them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Largest file the import page and API accept, in MB.
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 200)
# Working days a clinic has to acknowledge a referral before it shows as overdue.
REFERRAL_ANSWER_DAYS = env_int("REFERRAL_ANSWER_DAYS", 5)
# Public-release tables hide counts from 1 to this threshold.
SUPPRESSION_THRESHOLD = env_int("SUPPRESSION_THRESHOLD", 4)
# Whether a public release hides zero counts too (by default zeros stay visible).
SUPPRESSION_HIDE_ZERO = env_bool("SUPPRESSION_HIDE_ZERO", False)
# Accounts unused for this many days are disabled by `tsunagu disable-inactive`.
INACTIVE_DAYS = env_int("INACTIVE_DAYS", 90)

# Notifications (README "Notifications"): mail from TSUNAGU_EMAIL_URL or TSUNAGU_SMTP_*,
# else files under <data folder>/mail. Links in messages start with BASE_URL.
globals().update(_mail_settings(os.environ, DATA_DIR))
DEFAULT_FROM_EMAIL = env("MAIL_FROM", "tsunagu@localhost")
BASE_URL = env("BASE_URL", "http://localhost:8000")
NOTIFY_MESSAGE_DOMAIN = env("MAIL_DOMAIN", "tsunagu.invalid")
# Working days after the answer deadline before an unanswered referral goes to supervisors.
ESCALATION_DAYS = env_int("ESCALATION_DAYS", 3)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_RETRY_BASE_SECONDS = env_int("NOTIFY_RETRY_BASE_SECONDS", 60)
NOTIFY_SMTP_TIMEOUT = env_int("NOTIFY_SMTP_TIMEOUT", 20)
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 7)
