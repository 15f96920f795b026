"""Production settings refuse development values; checked in a fresh interpreter per case."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"


def _start(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(DJANGO_SETTINGS_MODULE="yijianshi.settings.prod", **env)
    return subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_production_refuses_to_start_with_the_development_secret():
    result = _start(DJANGO_SECRET_KEY="django-insecure-dev-only-qingjian-yijianshi", DJANGO_ALLOWED_HOSTS="zwfw.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _start(DJANGO_SECRET_KEY="x" * 64)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_real_values_and_secure_cookies():
    result = _start(DJANGO_SECRET_KEY="k" * 64, DJANGO_ALLOWED_HOSTS="zwfw.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"
