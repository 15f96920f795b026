"""Settings shared by every environment; values that differ per machine come from the environment."""

from pathlib import Path
import os

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / "data"

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # serves Swagger UI from our own static files, not a CDN (the CSP allows only 'self')
    "axes",
    "mozilla_django_oidc",
    "yijianshi.privacy",
    "yijianshi.audit",
    "yijianshi.accounts",
    "yijianshi.organizations",
    "yijianshi.workdays",
    "yijianshi.catalog",
    "yijianshi.notifications",
    "yijianshi.cases",
    "yijianshi.hotline",
    "yijianshi.certificates",
    "yijianshi.hall",
    "yijianshi.search",
    "yijianshi.profiles",
    "yijianshi.policies",
    "yijianshi.portal",
    "yijianshi.space",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yijianshi.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "yijianshi.accounts.middleware.ActingPrincipalMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "yijianshi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "yijianshi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yijianshi.accounts.context_processors.workbench",
            ],
        },
    },
]

WSGI_APPLICATION = "yijianshi.wsgi.application"

# SQLite is the embedded default so a newcomer needs nothing else; production sets DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the lock when their transaction begins, so two never deadlock upgrading a read lock
    # (the web server and the job consumer write concurrently); wait up to 20 s for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs (index rebuilds now; deadline sweeps, notifications later) run on Huey, consumed by
# `manage.py run_huey`. SQLite storage by default so a newcomer needs nothing else; Redis in production.
HUEY_REDIS_URL = os.environ.get("HUEY_REDIS_URL", "")
HUEY = {
    "name": "yijianshi",
    "immediate": False,  # a real queue in development too; tests switch to in-memory immediate mode
    **({"huey_class": "huey.RedisHuey", "url": HUEY_REDIS_URL} if HUEY_REDIS_URL else
       {"huey_class": "huey.SqliteHuey", "filename": str(BASE_DIR / "var" / "huey.sqlite3")}),
    "consumer": {"workers": 2, "worker_type": "thread"},
}

# --- Identity and sessions -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses before any password check once an identifier is locked
    "yijianshi.accounts.backends.IdentifierBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/me/"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = 8 * 3600          # a working day; staff sign in again each morning
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Lock-out: 5 failures for one identifier lock it for 15 minutes. The identifier is stored as a keyed hash,
# never as the ID or mobile number typed in.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
# Per identifier, whatever the address: a resident behind a township's shared NAT must not lock out the whole
# town, and an attacker rotating addresses must not get more guesses (hence axes.W006 is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "yijianshi.accounts.lockout.identifier_for_lockout"
AXES_LOCKOUT_CALLABLE = "yijianshi.accounts.lockout.locked_out_response"
AXES_RESET_ON_SUCCESS = True

# Content Security Policy: scripts only from our own origin (htmx comes from npm into our static files).
# Inline style attributes are allowed because the Django admin and Swagger UI set them; no inline scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Single sign-on with the province's unified identity platform (OpenID Connect, authorization code flow).
# Off unless OIDC_ENABLED=1; the provider's endpoints and this platform's client credentials come from the
# environment. A person is matched by the ID number claim, the same blind index as every other look-up.
OIDC_ENABLED = os.environ.get("OIDC_ENABLED", "") in ("1", "true", "yes")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "")
OIDC_CLAIM_ID_NUMBER = os.environ.get("OIDC_CLAIM_ID_NUMBER", "id_number")
OIDC_CLAIM_NAME = os.environ.get("OIDC_CLAIM_NAME", "name")
OIDC_CLAIM_MOBILE = os.environ.get("OIDC_CLAIM_MOBILE", "phone_number")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")  # when set, the ID token's "iss" must equal it
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds; the library waits forever by default
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"  # our routes are namespaced (accounts/urls_oidc.py)
# The SSO callback carries no identifier: without this, axes would pool every failed callback in one bucket and
# five failures anywhere would lock single sign-on for everyone (see accounts/oidc.py).
AXES_WHITELIST_CALLABLE = "yijianshi.accounts.oidc.axes_exempt_sso_callback"
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("yijianshi.accounts.oidc.ProvinceOIDCBackend")

# --- Personal data and audit keys ----------------------------------------------------------------------------
# Encryption keys for ID and phone numbers, separate from SECRET_KEY: "key_id:BASE64(32 bytes),..." with the
# active one named; older ids stay listed after a rotation (then run `manage.py reencrypt_personal_data`).
PII_ENCRYPTION_KEYS = os.environ.get("PII_ENCRYPTION_KEYS", "")
PII_ACTIVE_KEY_ID = os.environ.get("PII_ACTIVE_KEY_ID", "")
PII_INDEX_KEY = os.environ.get("PII_INDEX_KEY", "")  # BASE64(32 bytes), for the blind index; never rotated lightly
# Ed25519 seed (BASE64, 32 bytes) signing audit checkpoints; earlier public keys as "id:BASE64,..." to verify.
AUDIT_SIGNING_KEY = os.environ.get("AUDIT_SIGNING_KEY", "")
AUDIT_SIGNING_KEY_ID = os.environ.get("AUDIT_SIGNING_KEY_ID", "audit-1")
AUDIT_VERIFY_KEYS = os.environ.get("AUDIT_VERIFY_KEYS", "")
# Private halves of the departments' seal keys (电子印章, signing 电子证照): one file per key, mode 0600, made and
# rotated by `manage.py seal_keys`; never in the database. Production must name the directory explicitly
# (settings/prod.py). Development creates a department's first key when it first issues (DEBUG); tests too.
SEAL_KEY_DIR = Path(os.environ.get("SEAL_KEY_DIR") or BASE_DIR / "var" / "seal-keys")
SEAL_KEY_AUTO_CREATE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Front-end libraries are installed from the npm registry at set-up (package.json), never committed.
STATICFILES_DIRS = [
    BASE_DIR / "yijianshi" / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# County identity, used in guides and PDFs.
COUNTY_NAME = "清涧县"
COUNTY_DIVISION_CODE = "610830"
SITE_TITLE = "清涧县“高效办成一件事”政务服务平台"
# Uploaded materials live outside the web root, named by their SHA-256, served only through permission checks.
UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", str(BASE_DIR / "var" / "uploads")))
HOTLINE_MODEL_PATH = Path(os.environ.get("HOTLINE_MODEL_PATH", str(BASE_DIR / "var" / "dispatch-model.joblib")))
# Notifications: SMS through "console" (development) or "http" (the province's SMS platform); e-mail through
# Django's EMAIL_BACKEND (console unless EMAIL_URL-style settings are given in production).
NOTIFICATION_SMS_GATEWAY = os.environ.get("NOTIFICATION_SMS_GATEWAY", "console")
NOTIFICATION_SMS_URL = os.environ.get("NOTIFICATION_SMS_URL", "")
NOTIFICATION_SMS_TOKEN = os.environ.get("NOTIFICATION_SMS_TOKEN", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@qingjian.gov.cn")
# 12345 time limits per ticket kind and urgency, and the extension maximum: data/hotline/time_limits.yaml.
# 差评整改 deadline in working days.
RECTIFICATION_WORKING_DAYS = int(os.environ.get("RECTIFICATION_WORKING_DAYS", "15"))
# The hall: a window service may be rated for this many days after it ended; the wait estimate assumes this many
# minutes per service until the first service of the day has ended.
HALL_RATING_DAYS = int(os.environ.get("HALL_RATING_DAYS", "3"))
HALL_DEFAULT_SERVICE_MINUTES = int(os.environ.get("HALL_DEFAULT_SERVICE_MINUTES", "8"))

# Public base URL printed into PDF guides (QR code to the online guide).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# Where the reviewable catalog data files live (loaded by `manage.py load_catalog`).
CATALOG_DATA_DIR = DATA_DIR / "catalog"
HALL_DATA_DIR = DATA_DIR / "hall"
SEARCH_DATA_DIR = DATA_DIR / "search"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "yijianshi.privacy.masking.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {name: {"level": "WARNING"} for name in ("jieba", "weasyprint", "fontTools", "axes")},
}
