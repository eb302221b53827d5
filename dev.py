#!/usr/bin/env python3
"""Quick start, with nothing but python3: ``python3 dev.py run`` runs the bot, ``python3 dev.py test`` the tests.

The first call makes a virtual environment in ``.venv`` and installs the project into it (again whenever
``pyproject.toml`` changes). Any other arguments go to the ``newsdigest`` command: ``python3 dev.py chat``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
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
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(args: list[str]) -> int:
    ensure_environment()
    if args[:1] == ["test"]:
        return subprocess.call([str(BIN / "python"), "-m", "pytest", *args[1:]], cwd=ROOT)
    if args[:1] == ["run"] and not (ROOT / ".env").exists() and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        shutil.copy(ROOT / ".env.example", ROOT / ".env")
        print("Created .env from .env.example: put your bot token in it.", flush=True)
    return subprocess.call([str(BIN / "newsdigest"), *(args or ["--help"])], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
