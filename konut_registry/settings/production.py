"""Production: PostgreSQL, HTTPS, no debug pages; refuses to start without SECRET_KEY or DATABASE_URL."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env, env_bool

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY harus diisi di lingkungan produksi (SECRET_KEY must be set).")

# No silent fallback to the SQLite file of a first run: production names its database.
if not env("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL harus diisi di lingkungan produksi, mis. postgres://konut@127.0.0.1:5432/konut "
        "(DATABASE_URL must be set)."
    )

DEBUG = False
DEMO_USERS_ENABLED = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = 8 * 60 * 60
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_without_traceback": {"()": "konut_registry.settings.logfilters.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A 403 is logged as one line; its PermissionDenied traceback is dropped.
    "loggers": {"django.request": {"filters": ["forbidden_without_traceback"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
