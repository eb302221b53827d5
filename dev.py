#!/usr/bin/env python3
"""Quick start, with nothing but python3: ``python3 dev.py run`` runs the bot, ``python3 dev.py test`` the tests.

The first call makes a virtual environment in ``.venv`` and installs the project into it (again whenever
``pyproject.toml`` changes). Any other arguments go to the ``newsdigest`` command: ``python3 dev.py chat``.
"""

import sys

# First, and in syntax old versions can read: pip would otherwise backtrack for minutes and then fail.
if sys.version_info < (3, 11):
    sys.exit(f"newsdigest needs Python 3.11 or newer; this is {sys.version.split()[0]} ({sys.executable}). "
             "Run dev.py with a newer python3.")

import hashlib
import os
import shutil
import signal
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as error:  # noqa: BLE001 - Debian's python3 lacks ensurepip without python3-venv
            sys.exit(f"Could not create .venv ({error}). On Debian or Ubuntu: apt-get install python3-venv")
    print("Installing newsdigest and its dependencies ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    if subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"]).returncode != 0:
        sys.exit("Installing into .venv failed (pip says why above). Fix that and run the same command again.")
    STAMP.write_text(wanted)


def call(command: list[str]) -> int:
    """Run the command and return its status. Ctrl-C reaches it too (the terminal signals the whole
    foreground group): it is the one to stop, cleanly, while this waits for it."""
    child = subprocess.Popen(command, cwd=ROOT)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def main(args: list[str]) -> int:
    ensure_environment()
    if args[:1] == ["test"]:
        return call([str(BIN / "python"), "-m", "pytest", *args[1:]])
    if args[:1] == ["run"] and not (ROOT / ".env").exists() and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        shutil.copy(ROOT / ".env.example", ROOT / ".env")
        print("Created .env from .env.example: put your bot token in it.", flush=True)
    return call([str(BIN / "newsdigest"), *(args or ["--help"])])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # while installing: pip stops too, and says so
        sys.exit(130)
