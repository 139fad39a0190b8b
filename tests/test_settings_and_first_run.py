"""Deployment settings and the README's first-run command, run as a user would run them."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY"}}
    env.update(extra)
    return env


def test_production_refuses_to_start_without_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env=_env(DJANGO_SETTINGS_MODULE="konut_registry.settings.production"),
    )
    assert result.returncode != 0
    assert "SECRET_KEY harus diisi" in result.stderr


def test_production_check_deploy_is_clean(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, capture_output=True, text=True,
        env=_env(
            DJANGO_SETTINGS_MODULE="konut_registry.settings.production",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="registri.konaweutarakab.go.id",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_make_run_serves_the_indonesian_login_page(tmp_path):
    """`make run` from the README: builds the SQLite database with reference and demo data and
    serves the app. Runs against a throwaway database file and port."""
    port = _free_port()
    venv = Path(sys.executable).parent.parent
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}", f"VENV={venv}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
        env=_env(DATABASE_URL=f"sqlite:///{tmp_path / 'first-run.sqlite3'}"),
    )
    body = ""
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/masuk/", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert 'lang="id"' in body, output[-3000:]
    assert "Masuk" in body and "Kata sandi" in body
    assert "170 desa/kelurahan" in output
    assert "Pengguna demo" in output and "kadis-dinsos" in output
