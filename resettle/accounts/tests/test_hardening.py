"""Deployment hardening: the deploy check passes with production settings, production
headers and cookies are strict, URLs carry no personal data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from resettle.accounts.tests.test_matrix import OURS
from resettle.testing.fixtures import SmallCamp

ROOT = Path(__file__).resolve().parents[3]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RESETTLE_", "DJANGO_"))}
    env.update({
        "RESETTLE_DATA_DIR": str(tmp_path),
        "RESETTLE_DEBUG": "0",
        "RESETTLE_DEMO": "0",
        "RESETTLE_SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
        "RESETTLE_ALLOWED_HOSTS": "resettle.example.org",
    })
    env.update(extra)
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resettle", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_deploy_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout
    # and the check is real: the same run with debug on fails
    debug = deploy_check(production_env(tmp_path, RESETTLE_DEBUG="1"))
    assert debug.returncode != 0
    assert "DEBUG" in debug.stderr + debug.stdout


def test_production_settings_are_strict(tmp_path: Path) -> None:
    code = (
        "import json; from django.conf import settings as s; import django; django.setup(); "
        "print(json.dumps({k: getattr(s, k) for k in ['SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', "
        "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'X_FRAME_OPTIONS', 'CONTENT_SECURITY_POLICY', "
        "'RESETTLE_REQUIRE_2FA', 'DEBUG', 'SESSION_COOKIE_SAMESITE']}))"
    )
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="resettle.settings")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    s: dict[str, Any] = json.loads(out)
    assert s["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert s["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"]
    assert s["SECURE_HSTS_SECONDS"] >= 31_536_000 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert s["SECURE_SSL_REDIRECT"] and s["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert s["SECURE_REFERRER_POLICY"] in ("same-origin", "no-referrer")
    assert s["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["RESETTLE_REQUIRE_2FA"] is True and s["DEBUG"] is False
    csp = s["CONTENT_SECURITY_POLICY"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_every_page_sends_the_security_headers(client: Client, camp: SmallCamp) -> None:
    for url in (reverse("accounts:login"), reverse("web:home")):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
        client.force_login(camp.users["caseworker"])


def test_urls_name_records_only_by_opaque_ids() -> None:
    """Route parameters are UUIDs: no names, registration numbers or search terms fit."""
    from django.urls import NoReverseMatch

    sample = "00000000-0000-4000-8000-000000000001"
    with_params = [r for r in OURS if r.params]
    assert with_params
    takes_anything = []
    for route in with_params:
        assert sample in reverse(route.name, kwargs={route.params[0]: sample}), route.name
        try:
            reverse(route.name, kwargs={route.params[0]: "Karimi R-0001"})
        except NoReverseMatch:
            continue
        takes_anything.append(route.name)
    assert not takes_anything, f"routes whose id parameter is not a <uuid:...>: {takes_anything}"
