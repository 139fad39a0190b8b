"""Settings shared by every environment.

Every value that differs between machines is read from the environment here, in one place;
``dev``, ``test`` and ``production`` only change defaults and switches.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from konut_registry.export_formats import FormulaSafeCSV, FormulaSafeXLSX
from konut_registry.timezones import area_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "konut_registry.apps.KonutAdminConfig",  # Django's admin, its pickers asked by POST
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "django_filters",
    "agencies.apps.LoginThrottleConfig",  # django-axes, named in Indonesian in the admin
    "django_tasks",
    "django_tasks_db",
    "agencies",
    "households",
    "programs",
    "dedup",
    "verval",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "konut_registry.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "konut_registry.middleware.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware must be last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "konut_registry.urls"
WSGI_APPLICATION = "konut_registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "verval.context_processors.approvals",
            ],
        },
    },
]

# DATABASE_URL picks the database: postgres://user@host:port/name in production and CI,
# an embedded SQLite file by default so that a first run needs nothing installed.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background import worker write while pages are read.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 30}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agencies.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "agencies.backends.RolePermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "agencies:home"
LOGOUT_REDIRECT_URL = "login"

# The area the registry covers, as a Kemendagri code: one regency (kabupaten/kota, "74.09" is Konawe
# Utara) or a whole province ("74", Sulawesi Tenggara). `load_reference` loads its regions.
KONUT_WILAYAH = env("KONUT_WILAYAH", "74.09")

# Language and time: the users work in Bahasa Indonesia, in their area's time zone (WITA, UTC+8, for
# Sulawesi Tenggara; WIB or WIT elsewhere), unless KONUT_TIME_ZONE names another.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("Inggris"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("KONUT_TIME_ZONE") or area_time_zone(KONUT_WILAYAH)
USE_TZ = True
FORMAT_MODULE_PATH = ["konut_registry.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded central-data files hold people's ID numbers: they live outside the static root and
# no URL serves them; only the import code and authorised downloads read them.
MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
MEDIA_URL = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads: limits that protect a small server from a huge or hostile workbook.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
IMPORT_MAX_UPLOAD_BYTES = int(env("IMPORT_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "1000000"))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(env("IMPORT_MAX_UNCOMPRESSED_BYTES", str(1024 * 1024 * 1024)))
# A batch being read or written whose worker has not reported progress for this long lost its worker
# (killed, restarted): it is failed (nothing was changed) and may be confirmed again. Progress comes
# at least every few seconds; the margin covers a slow database.
IMPORT_STALE_AFTER_SECONDS = int(env("IMPORT_STALE_AFTER_SECONDS", "600"))
# Field-verification photos (house, family card): images only, each at most this large.
VERVAL_PHOTO_MAX_BYTES = int(env("VERVAL_PHOTO_MAX_BYTES", str(3 * 1024 * 1024)))

# Background tasks (imports) run in the database-backed queue; `manage.py db_worker` executes them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Login throttling (agencies/throttling.py). Behind a reverse proxy, set TRUSTED_PROXY_COUNT to the
# number of proxies that append to X-Forwarded-For (1 for one nginx): the client address is then read
# from that header, and only as far as those proxies wrote it.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "agencies.throttling.client_address"
AXES_HANDLER = "agencies.throttling.LoginThrottle"
# Guessing: failures of one username from one address lock that pair; spraying: failures from one
# address across usernames lock the address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(env("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
# The first lock is short and each further one doubles, up to the maximum.
AXES_COOLOFF_TIME = "agencies.throttling.cool_off"
LOGIN_COOLOFF_MINUTES = int(env("LOGIN_COOLOFF_MINUTES", "2"))
LOGIN_COOLOFF_MAX_MINUTES = int(env("LOGIN_COOLOFF_MAX_MINUTES", "60"))
AXES_USE_ATTEMPT_EXPIRATION = True  # each failure expires after the cool-off it was given
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure is kept: the memory the doubling reads
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # hammering a locked form does not extend the lock
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "agencies.throttling.lockout_response"

# Roles that see NIKs masked may search a full NIK or No KK, but only this many distinct numbers in
# the window: one by one, searches would confirm who is in the registry.
IDENTIFIER_SEARCH_LIMIT = int(env("IDENTIFIER_SEARCH_LIMIT", "30"))
IDENTIFIER_SEARCH_WINDOW_MINUTES = int(env("IDENTIFIER_SEARCH_WINDOW_MINUTES", "60"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict content security policy: everything comes from this server, no inline scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

IMPORT_EXPORT_USE_TRANSACTIONS = True
# Offices work in Excel: xlsx first, csv for other tools; nothing that loses 16-digit IDs. Both write
# text that a spreadsheet would run as a formula as text (konut_registry.spreadsheets); the library's
# own escaping (IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT) would strip the "=" and stays off.
IMPORT_EXPORT_FORMATS = [FormulaSafeXLSX, FormulaSafeCSV]
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_without_traceback": {"()": "konut_registry.settings.logfilters.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A 403 is logged as one line; its PermissionDenied traceback is dropped.
    "loggers": {"django.request": {"filters": ["forbidden_without_traceback"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# --- Added by the security suite (tests/security): a query string longer than this is answered 400
# before any view runs; proxies stop long request lines too, the development server does not.
MAX_QUERY_STRING_BYTES = int(env("MAX_QUERY_STRING_BYTES", str(8 * 1024)))
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "konut_registry.middleware.QueryStringLimitMiddleware",
)
