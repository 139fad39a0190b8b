"""Development: the first-run experience on SQLite (``make run``)."""

from .base import *  # noqa: F401,F403
from .base import env, env_bool, env_list

# On unless DEBUG=0: the benchmarks turn it off to measure the app as production runs it (no query
# log, no debug cursor around every statement).
DEBUG = env_bool("DEBUG", True)
# A fixed key is acceptable only here: the dev database holds synthetic demo data.
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Demo accounts (seed_demo) are created only when this is on.
DEMO_USERS_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
