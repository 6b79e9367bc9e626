"""Django settings, read from the environment; docs/configuration.md lists each one.

With no configuration at all the service runs in production mode and refuses to start
until it has a secret key; `SCORECARDS_DEBUG=true` gives a development setup on SQLite
with nothing else to set.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from scorecards.config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
    read_file_or_env,
)
from scorecards.config.sso import read_single_sign_on, socialaccount_providers

POSTGRESQL_ENGINE = "django.db.backends.postgresql"
SQLITE_ENGINE = "django.db.backends.sqlite3"

# Several processes (web, workers) share one SQLite file. WAL lets readers carry on
# while one process writes, and IMMEDIATE transactions take the write lock when they
# begin, so a busy database makes a writer wait up to the timeout instead of failing
# halfway through with "database is locked".
SQLITE_OPTIONS: dict[str, Any] = {
    "init_command": "PRAGMA journal_mode=WAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

# Only ever used with SCORECARDS_DEBUG=true; refused outside debug mode.
DEVELOPMENT_SECRET_KEY = "scorecards-development-key-never-use-in-production"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def read_secret_key(*, debug: bool) -> str:
    secret_key = read_file_or_env("SCORECARDS_SECRET_KEY")
    if debug:
        return secret_key or DEVELOPMENT_SECRET_KEY

    if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SCORECARDS_SECRET_KEY is not set. Set it (or SCORECARDS_SECRET_KEY_FILE, "
            "a file holding it) to a long random string, for "
            "example the output of: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'. "
            "For local development only, set SCORECARDS_DEBUG=true instead."
        )
    return secret_key


def read_data_dir() -> Path:
    data_dir = env_path("SCORECARDS_DATA_DIR", default="var")
    try:
        # Only the service's own user: uploads and the SQLite file hold
        # personal data.
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"SCORECARDS_DATA_DIR: cannot create {data_dir}: {error.strerror}"
        ) from None
    return data_dir


def read_database(*, data_dir: Path) -> dict[str, Any]:
    url = env_str("DATABASE_URL")
    if not url:
        sqlite_file = data_dir / "scorecards.sqlite3"
        # Tests get a file too, not the in-memory database: concurrent writers
        # there fail at once instead of waiting for the lock as they do here.
        test_file = data_dir / "test-scorecards.sqlite3"
        return {
            "ENGINE": SQLITE_ENGINE,
            "NAME": str(sqlite_file),
            "OPTIONS": {},
            "TEST": {"NAME": str(test_file)},
        }

    # The URL carries the password, so errors name the variable but never echo it.
    try:
        parsed = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not usable: {error}") from None

    database: dict[str, Any] = dict(parsed)
    if database["ENGINE"] not in (POSTGRESQL_ENGINE, SQLITE_ENGINE):
        scheme = url.partition("://")[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// or sqlite:// URL, got {scheme}://"
        )
    return database


def with_engine_options(database: dict[str, Any]) -> dict[str, Any]:
    """Add our defaults under OPTIONS; options given in the URL's query win."""
    options = dict(database.get("OPTIONS", {}))
    if database["ENGINE"] == SQLITE_ENGINE:
        options = SQLITE_OPTIONS | options
    else:
        # libpq waits forever for a server that drops packets; the health check and
        # the workers should rather fail and say so.
        options.setdefault("connect_timeout", 10)
    return database | {"OPTIONS": options}


DEBUG = env_bool("SCORECARDS_DEBUG", default=False)
SECRET_KEY = read_secret_key(debug=DEBUG)
ALLOWED_HOSTS = env_list("SCORECARDS_ALLOWED_HOSTS")

DATA_DIR = read_data_dir()
DATABASES = {"default": with_engine_options(read_database(data_dir=DATA_DIR))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite builds an index without its INCLUDE columns, as the one of signals
# by account and metric (``signal_series``) allows: it then reads the rows.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    # Ninja's own copy of Swagger UI for /api/v1/docs: no CDN, works offline.
    "ninja",
    "scorecards.accounts",
    "scorecards.people",
    "scorecards.ingest",
    "scorecards.imports",
    "scorecards.sources",
    "scorecards.alerts",
    "scorecards.feedback",
    "scorecards.scoring",
    "scorecards.outcomes",
    "scorecards.api",
    "scorecards.audit",
    "scorecards.web",
    # After the web app, so that its templates win over allauth's.
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "scorecards.api.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scorecards.audit.log.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "scorecards.config.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the locked page.
    "axes.middleware.AxesMiddleware",
]

# Background work (notifications, daily points, syncs) queues in the database:
# no broker to run, and workers on any number of machines share one PostgreSQL.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

ROOT_URLCONF = "scorecards.config.urls"
WSGI_APPLICATION = "scorecards.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scorecards.people.context.access",
                "scorecards.web.inbox.unread",
            ],
        },
    },
]

# Passwords set in the app or by `scorecards createuser`: long, not common, not
# only digits, not like the user's name or email.
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:accounts"
LOGOUT_REDIRECT_URL = "web:login"

# Sign-in (docs/security.md). Passwords are checked by Django's own backend, after
# django-axes, which refuses a username from an address that failed too often.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("SCORECARDS_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("SCORECARDS_LOGIN_COOLOFF_MINUTES", default=15, minimum=1)
)
# One person mistyping does not lock out the office behind the same address, and
# an attacker cycling through addresses is still stopped per address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The cool-off counts from the lockout, so "try again in 15 minutes" holds even
# if someone keeps trying meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "scorecards.web.signin.locked_out"
AXES_CLIENT_IP_CALLABLE = "scorecards.web.signin.client_ip"
# No table of every successful sign-in kept forever; the failures that count
# towards a lockout are removed once they are older than the cool-off.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Only safe behind a proxy that appends the address it saw to this header.
TRUST_X_FORWARDED_FOR = env_bool("SCORECARDS_TRUST_X_FORWARDED_FOR", default=False)

# Optional single sign-on through OpenID Connect, with django-allauth. Its own
# pages for passwords and sign-up are not served: people are added by admins, or
# arrive through the identity provider.
SINGLE_SIGN_ON = read_single_sign_on()
SOCIALACCOUNT_PROVIDERS = socialaccount_providers(SINGLE_SIGN_ON)
ACCOUNT_ADAPTER = "scorecards.people.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "scorecards.people.sso.SocialAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
# Someone an admin added with their company email signs in as that user, when the
# identity provider says the address is verified.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from here; an empty folder beats a warning on every request
# before the first collectstatic.
STATIC_ROOT.mkdir(exist_ok=True)

# A batch of 10,000 signals with long keys and ids runs past Django's 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

# Outside debug mode cookies travel over HTTPS only and plain HTTP is redirected.
# The health check is exempt: load balancers and container probes call it over plain
# HTTP from inside the network.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SCORECARDS_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SCORECARDS_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load scripts, styles and images from this site only, and run no inline
# script: what an injected <script> or attribute would need is refused.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if SINGLE_SIGN_ON is not None:
    # The sign-in button's form is answered with a redirect to the identity
    # provider, and browsers hold a form's redirects to form-action too.
    SECURE_CSP["form-action"].append(SINGLE_SIGN_ON.origin)

# Only safe behind a proxy that sets this header itself: a client could otherwise
# claim HTTPS on a plain connection.
if env_bool("SCORECARDS_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A trend is improving or declining when the score moved at least this many
# points in 30 days (SCORING.md); stable in between.
TREND_THRESHOLD = float(env_int("SCORECARDS_TREND_THRESHOLD", default=5, minimum=1))

# Personal data (docs/security.md). An erasure anonymises a contact's answers,
# so no score changes, or deletes them and scores the account again.
ERASURE_ANSWERS = env_choice(
    "SCORECARDS_ERASURE_ANSWERS", choices=("ANONYMISE", "DELETE"), default="anonymise"
).lower()
# How many days raw signals, survey comments and audit entries are kept; 0 keeps
# them for ever. Daily score points are always kept.
RETAIN_SIGNALS_DAYS = env_int("SCORECARDS_RETAIN_SIGNALS_DAYS", default=0)
RETAIN_COMMENTS_DAYS = env_int("SCORECARDS_RETAIN_COMMENTS_DAYS", default=0)
RETAIN_AUDIT_DAYS = env_int("SCORECARDS_RETAIN_AUDIT_DAYS", default=0)

# Where people reach the service: links in notifications start with it.
BASE_URL = env_str("SCORECARDS_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Outgoing email (alert notifications), through an SMTP server.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("SCORECARDS_EMAIL_HOST", default="localhost"),
            "port": env_int("SCORECARDS_EMAIL_PORT", default=25, minimum=1),
            "username": env_str("SCORECARDS_EMAIL_USER"),
            "password": read_file_or_env("SCORECARDS_EMAIL_PASSWORD"),
            "use_tls": env_bool("SCORECARDS_EMAIL_STARTTLS", default=False),
            "use_ssl": env_bool("SCORECARDS_EMAIL_SSL", default=False),
            "timeout": 20,
        },
    }
}
# In debug mode with no SMTP server named, emails are written to the log of the
# process that sends them (the `scorecards serve` terminal under `make run`).
if DEBUG and not env_str("SCORECARDS_EMAIL_HOST"):
    MAILERS["default"] = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
DEFAULT_FROM_EMAIL = env_str(
    "SCORECARDS_EMAIL_FROM", default="Scorecards <scorecards@localhost>"
)

LOG_LEVEL = env_choice("SCORECARDS_LOG_LEVEL", choices=LOG_LEVELS, default="INFO")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "scorecards.config.logformat.UTCFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "stderr": {
            "class": "scorecards.config.logformat.StderrHandler",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults give this logger its own console handler in debug mode,
        # which would print every record twice next to ours on the root logger.
        "django": {"level": LOG_LEVEL, "propagate": True},
        # django-axes writes a masked line for every failed password; the lockouts
        # that matter are logged by scorecards.web.signin, with the username.
        "axes": {"level": "ERROR"},
    },
}
