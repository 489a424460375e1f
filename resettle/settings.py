"""Django settings, all read from the environment through resettle.config.

Every value has a reason next to it; nothing security-relevant is a silent default.
"""

from __future__ import annotations

from pathlib import Path

from resettle import config as _config

CONFIG = _config.load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
DEMO_MODE = CONFIG.demo_mode
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
RESETTLE_MASTER_KEY = CONFIG.master_key
RESETTLE_AUDIT_SIGNING_KEY_FILE = CONFIG.audit_signing_key_file

if CONFIG.database.engine == "sqlite":
    Path(CONFIG.database.name).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": CONFIG.database.as_django()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    # django-otp's own TOTP/static plugins are not installed: they keep secrets and
    # recovery codes in clear; resettle.accounts provides sealed equivalents.
    "django_otp",
    "axes",
    "resettle.accounts",
    "resettle.audit",
    "resettle.encryption",
    "resettle.registry",
    "resettle.destinations",
    "resettle.casework",
    "resettle.allocation",
    "resettle.departures",
    "resettle.incidents",
    "resettle.forecast",
    "resettle.reports",
    "resettle.web",
    "resettle.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "resettle.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "resettle.audit.middleware.RequestContextMiddleware",
    "resettle.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # after login-required: a signed-in but unverified session reaches only the 2FA pages
    "resettle.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last, so that a lockout answers before any view runs
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "resettle.urls"
WSGI_APPLICATION = "resettle.wsgi.application"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "resettle.web.context.navigation",
            ],
        },
    }
]

AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out attempts before a password is even checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Login throttling: slow attackers down per (username, address) pair without letting
# them lock the real user out from everywhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
# Behind the TLS proxy the client address is the last X-Forwarded-For hop (the one the
# proxy appended); without a proxy only REMOTE_ADDR counts (the header could be forged).
AXES_CLIENT_IP_CALLABLE = "resettle.accounts.throttle.client_address"
RESETTLE_BEHIND_PROXY = CONFIG.https

# Sessions: short-lived, server-side, closed with the browser; idle timeout enforced by
# resettle.accounts.middleware.SessionPolicyMiddleware.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
#: sessions always end this long after sign-in, however active (idle timeout is separate)
SESSION_ABSOLUTE_TIMEOUT = SESSION_COOKIE_AGE

# Transport: TLS is terminated by a proxy in front outside demo and debug mode.
_PRODUCTION = not DEBUG and not DEMO_MODE
_HTTPS = CONFIG.https
# __Host- cookies are bound to this exact origin over HTTPS (no Domain, Path=/)
SESSION_COOKIE_NAME = "__Host-resettle_session" if _HTTPS else "resettle_session"
CSRF_COOKIE_NAME = "__Host-resettle_csrf" if _HTTPS else "resettle_csrf"
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SECURE_HSTS_SECONDS = 63072000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict CSP: no inline script, no third-party origins (applied by SecurityHeadersMiddleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Two-factor authentication is mandatory outside demo mode (resettle.accounts.middleware).
RESETTLE_REQUIRE_2FA = not DEMO_MODE
OTP_TOTP_ISSUER = "resettle"
OTP_TOTP_THROTTLE_FACTOR = 1
#: how many one-time recovery codes a user gets at enrolment
RESETTLE_RECOVERY_CODES = 10

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not _PRODUCTION
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Logs carry ids and outcomes, never personal data: request paths hold only opaque ids and
# search terms travel in POST bodies. django.request warnings are kept (no bodies logged).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
