"""OTKLIK_ENV=production behind a TLS proxy passes `otklik manage check --deploy`; HSTS and the redirect are
configurable. Each case is a fresh process (settings are read once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
from store.django_setup import setup; setup()
from django.test import Client
c = Client()
plain = c.get("/login/")
proxied = c.get("/login/", HTTP_X_FORWARDED_PROTO="https")
print("|".join(map(str, (plain.status_code, plain.get("Location"), proxied.status_code,
                         proxied.get("Strict-Transport-Security")))))
"""


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTKLIK_HSTS", "OTKLIK_SSL", "OTKLIK_TLS"))}
    env.update(OTKLIK_ENV="production", OTKLIK_HOME=str(tmp_path), ALLOWED_HOSTS="otklik.example.ru,testserver",
               DJANGO_SECRET_KEY="k" * 20 + "-not-a-real-secret-but-long-enough-for-check-deploy-1234567890",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra)
    return env


def _check(env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "otklik", "manage", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_passes_check_deploy(tmp_path):
    proc = _check(_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_behind_the_proxy_https_is_recognised_and_plain_http_redirected(tmp_path):
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    plain, location, proxied, hsts = proc.stdout.strip().splitlines()[-1].split("|")
    assert (plain, location) == ("301", "https://testserver/login/")
    assert proxied == "200" and hsts == "max-age=31536000; includeSubDomains"


def test_hsts_and_redirect_can_be_turned_off(tmp_path):
    proc = _check(_env(tmp_path, OTKLIK_HSTS_SECONDS="0", OTKLIK_SSL_REDIRECT="0"))
    assert proc.returncode == 1
    assert "security.W004" in proc.stderr + proc.stdout and "security.W008" in proc.stderr + proc.stdout
