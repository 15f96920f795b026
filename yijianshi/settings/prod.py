"""Production: every secret comes from the environment; refuses to start with development values."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, AUDIT_SIGNING_KEY, PII_ACTIVE_KEY_ID, PII_ENCRYPTION_KEYS, PII_INDEX_KEY, SECRET_KEY

if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(the development key is refused)."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the public host names in production.")

for name, value in (("PII_ENCRYPTION_KEYS", PII_ENCRYPTION_KEYS), ("PII_ACTIVE_KEY_ID", PII_ACTIVE_KEY_ID),
                    ("PII_INDEX_KEY", PII_INDEX_KEY), ("AUDIT_SIGNING_KEY", AUDIT_SIGNING_KEY)):
    if not value or "ZGV2LW9ubHkt" in value or value.startswith("dev-"):  # "dev-only-" keys of settings/dev.py
        raise ImproperlyConfigured(f"{name} must be set to a production key (development keys are refused).")

# The seal keys sign every certificate: their directory is named on purpose (outside the checkout, on the
# protected volume), never the development default under var/.
_seal_key_dir = os.environ.get("SEAL_KEY_DIR", "")
if not _seal_key_dir or not os.path.isabs(_seal_key_dir):
    raise ImproperlyConfigured("SEAL_KEY_DIR must name the absolute directory of the seal keys' private files in "
                               "production (create keys there with `manage.py seal_keys`).")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
