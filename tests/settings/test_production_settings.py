"""Production settings refuse development values; checked in a fresh interpreter per case."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"


PRODUCTION_KEYS = {
    "PII_ENCRYPTION_KEYS": "prod-2026:" + base64.b64encode(b"p" * 32).decode(),
    "PII_ACTIVE_KEY_ID": "prod-2026",
    "PII_INDEX_KEY": base64.b64encode(b"i" * 32).decode(),
    "AUDIT_SIGNING_KEY": base64.b64encode(b"a" * 32).decode(),
    "SEAL_KEY_DIR": "/srv/yijianshi/seal-keys",  # the certificates' seal keys: named on purpose, never defaulted
}
KEY_NAMES = tuple(PRODUCTION_KEYS) + ("AUDIT_VERIFY_KEYS", "AUDIT_SIGNING_KEY_ID")


def _start(check=CHECK, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in KEY_NAMES}
    environment.update(DJANGO_SETTINGS_MODULE="yijianshi.settings.prod", **env)
    return subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_production_refuses_to_start_with_the_development_secret():
    result = _start(DJANGO_SECRET_KEY="django-insecure-dev-only-qingjian-yijianshi", DJANGO_ALLOWED_HOSTS="zwfw.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _start(DJANGO_SECRET_KEY="x" * 64)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_real_values_and_secure_cookies():
    result = _start(DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example", **PRODUCTION_KEYS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


@pytest.mark.parametrize("missing", sorted(PRODUCTION_KEYS))
def test_production_refuses_to_start_without_each_personal_data_and_audit_key(missing):
    keys = {k: v for k, v in PRODUCTION_KEYS.items() if k != missing}
    result = _start(DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example", **keys)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_the_development_personal_data_key():
    from yijianshi.settings.dev import DEV_PII_ENCRYPTION_KEYS

    keys = {**PRODUCTION_KEYS, "PII_ENCRYPTION_KEYS": DEV_PII_ENCRYPTION_KEYS, "PII_ACTIVE_KEY_ID": "dev-1"}
    result = _start(DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example", **keys)
    assert result.returncode != 0
    assert "development keys are refused" in result.stderr


def test_production_hashes_passwords_with_argon2_and_keeps_sessions_to_https_and_scripts_to_our_origin():
    check = ("import django; django.setup(); from django.conf import settings; "
             "print(settings.PASSWORD_HASHERS[0].rsplit('.', 1)[1], settings.CSRF_COOKIE_SECURE, "
             "settings.SESSION_COOKIE_HTTPONLY, settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])")
    result = _start(check, DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example", **PRODUCTION_KEYS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Argon2PasswordHasher True True [\"'self'\"]"


def test_production_refuses_a_relative_seal_key_directory():
    keys = {**PRODUCTION_KEYS, "SEAL_KEY_DIR": "var/seal-keys"}
    result = _start(DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example", **keys)
    assert result.returncode != 0
    assert "SEAL_KEY_DIR" in result.stderr
