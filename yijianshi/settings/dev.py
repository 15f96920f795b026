"""Development: runs out of the box on SQLite with a fixed, clearly-insecure key."""

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, SECRET_KEY

DEV_SECRET_KEY = "django-insecure-dev-only-qingjian-yijianshi"

DEBUG = True
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
