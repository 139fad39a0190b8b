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


def test_production_refuses_to_start_without_database_url():
    # The first run's SQLite file is no production database: a worker or web service started
    # without DATABASE_URL stops with the reason instead of writing there.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env=_env(DJANGO_SETTINGS_MODULE="konut_registry.settings.production", SECRET_KEY=secrets.token_urlsafe(50)),
    )
    assert result.returncode != 0
    assert "DATABASE_URL harus diisi" in result.stderr


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


def _session_processes(session: int) -> dict[int, str]:
    """pid -> command line of every process in a session (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session:  # field 6 of /proc/PID/stat: the session id
            found[int(entry.name)] = cmdline
    return found


@pytest.mark.slow
def test_make_run_serves_the_indonesian_login_page(tmp_path):
    """`make run` from the README: builds the SQLite database with reference and demo data and
    serves the app, with the background worker beside it; when the web server stops, the worker
    stops too. Runs against a throwaway database file and port."""
    port = _free_port()
    venv = Path(sys.executable).parent.parent
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}", f"VENV={venv}"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
        env=_env(DATABASE_URL=f"sqlite:///{tmp_path / 'first-run.sqlite3'}"),
    )
    body = ""
    workers_left = None
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
        if body:
            assert any("db_worker" in cmd for cmd in _session_processes(process.pid).values())
            # The web server goes away (killed, or it stopped): make's shell stops the worker.
            for pid, cmd in _session_processes(process.pid).items():
                if "manage.py runserver" in cmd and not cmd.startswith("/bin/sh"):
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:  # runserver's reloader child, gone with its parent
                        pass
            process.wait(timeout=60)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                workers_left = [cmd for cmd in _session_processes(process.pid).values() if "db_worker" in cmd]
                if not workers_left:
                    break
                time.sleep(0.5)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:  # everything has stopped already
            pass
        output = process.communicate(timeout=30)[0]
    assert 'lang="id"' in body, output[-3000:]
    assert "Masuk" in body and "Kata sandi" in body
    assert "170 desa/kelurahan" in output
    assert "Pengguna demo" in output and "kadis-dinsos" in output
    assert workers_left == [], workers_left
    # Stopped by its own signal handler (it finishes or fails the batch in hand), not killed outright.
    assert "shutting down gracefully" in output, output[-3000:]
