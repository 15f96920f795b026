"""Tests: dev settings with fast hashing; DATABASE_URL selects PostgreSQL for the second run."""

from .dev import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Jobs run at once, in memory, so a test sees their effect without a consumer process.
HUEY = {"name": "yijianshi-test", "huey_class": "huey.MemoryHuey", "immediate": True}

# Lock-out is exercised by its own tests (override_settings); elsewhere Client.login has no request for axes.
AXES_ENABLED = False

# Live-server and worker threads must not keep connections past their request: PostgreSQL would refuse to drop
# the test database at the end while one lingers.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The dispatch model a test trains lives in the system's temporary folder, never in the checkout's var/.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HOTLINE_MODEL_PATH = Path(tempfile.gettempdir()) / "yijianshi-test-dispatch-model.joblib"

# Seal keys of a test run live in a fresh temporary folder, made on first use (see certificates/keys.py).
SEAL_KEY_DIR = Path(tempfile.mkdtemp(prefix="yijianshi-test-seal-keys-"))
SEAL_KEY_AUTO_CREATE = True
