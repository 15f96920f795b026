"""Development: runs out of the box on SQLite with a fixed, clearly-insecure key."""

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, AUDIT_SIGNING_KEY, PII_ACTIVE_KEY_ID, PII_ENCRYPTION_KEYS, PII_INDEX_KEY, SECRET_KEY

DEV_SECRET_KEY = "django-insecure-dev-only-qingjian-yijianshi"

DEBUG = True
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]

# Development keys: fixed so a local database survives restarts, public so nobody mistakes them for secrets.
# Production refuses them (settings/prod.py).
DEV_PII_ENCRYPTION_KEYS = "dev-1:ZGV2LW9ubHktcGlpLWtleS1xaW5namlhbi0wMDAwMDA="
DEV_PII_INDEX_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgtcWluZ2ppYW4tMDA="
DEV_AUDIT_SIGNING_KEY = "ZGV2LW9ubHktYXVkaXQtc2lnbmluZy1xaW5namlhbi0="
PII_ENCRYPTION_KEYS = PII_ENCRYPTION_KEYS or DEV_PII_ENCRYPTION_KEYS
PII_ACTIVE_KEY_ID = PII_ACTIVE_KEY_ID or "dev-1"
PII_INDEX_KEY = PII_INDEX_KEY or DEV_PII_INDEX_KEY
AUDIT_SIGNING_KEY = AUDIT_SIGNING_KEY or DEV_AUDIT_SIGNING_KEY
