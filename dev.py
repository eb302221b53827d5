#!/usr/bin/env python3
"""Quick start, with nothing but python3: ``python3 dev.py run`` runs the bot, ``python3 dev.py test`` the tests.

The first call makes a virtual environment in ``.venv`` and installs the project into it (again whenever
``pyproject.toml`` changes). Any other arguments go to the ``newsdigest`` command: ``python3 dev.py chat``.
``python3 dev.py mutate [module ...]`` runs mutation testing (mutmut, the ``mutate`` extra) on demand.
"""

import sys

# First, and in syntax old versions can read: pip would otherwise backtrack for minutes and then fail.
if sys.version_info < (3, 11):
    sys.exit(f"newsdigest needs Python 3.11 or newer; this is {sys.version.split()[0]} ({sys.executable}). "
             "Run dev.py with a newer python3.")

import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def ensure_environment(extras: str = "test") -> None:
    """``.venv`` with the project and ``extras`` installed, as ``pyproject.toml`` now says."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.is_file() else []
    if installed[:1] == [wanted] and set(extras.split(",")) <= set(installed[1:]):
        return
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as error:  # noqa: BLE001 - Debian's python3 lacks ensurepip without python3-venv
            sys.exit(f"Could not create .venv ({error}). On Debian or Ubuntu: apt-get install python3-venv")
    print("Installing newsdigest and its dependencies ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    if subprocess.run([*pip, "install", "-e", f"{ROOT}[{extras}]"]).returncode != 0:
        sys.exit("Installing into .venv failed (pip says why above). Fix that and run the same command again.")
    STAMP.write_text(" ".join([wanted, *extras.split(",")]))


# mutate: each module with the tests that can catch its bugs (the fewer, the faster a run); ``only``: the
# functions to mutate where not all of the module is meant (mutant names, as fnmatch patterns).
MUTATE = {
    "formatting": {"module": "bot/formatting.py", "tests": ["tests/test_formatting.py", "tests/test_stories.py"]},
    "delivery": {"module": "bot/delivery.py", "tests": [
                     "tests/test_delivery.py",  # and where a digest goes (a forum topic, a channel), its filters
                     "tests/test_bot_controls.py::test_forum_digest_goes_to_the_topic_it_was_asked_in",
                     "tests/test_bot_controls.py::test_an_administrator_points_the_digest_at_a_channel",
                     "tests/test_bot_controls.py::test_filters_are_set_shown_cleared_and_shape_the_digest"],
                 "skip": [  # the mutants are not in the process this one starts: it would only cost time
                          "tests/test_delivery.py::test_killed_midway_then_restarted_delivers_the_rest_without_duplicates",
                          # its 10% timing margin does not hold under mutmut's tracing of every call
                          "tests/test_delivery.py::test_limits_never_exceeded_and_every_chat_gets_its_digest_once"]},
    "commands": {"module": "bot/commands.py", "tests": ["tests/test_commands.py"],  # the permission checks
                 # press: its first statement, the guard (mutants 1 to 4); the rest is what each button does
                 "only": ["*Commands*changes__mutmut_*", "*Commands*handle__mutmut_*", "*Commands*press__mutmut_[1-4]"]},
    "parsing": {"module": "digests/parsing.py", "tests": ["tests/test_parsing.py", "tests/test_feeds.py"]},
    "summary": {"module": "digests/summary.py", "tests": ["tests/test_summary.py", "tests/test_text_rules.py"],
                # the rules of text and summaries with real snippets; not the one that stores a feed in a database
                "skip": ["tests/test_text_rules.py::test_a_summary_several_items_of_a_feed_share_is_the_feeds_blurb"]},
}


def mutate(names: list[str]) -> int:
    """Mutation testing with mutmut, one module at a time, in ``.mutate/<name>`` (a copy of the code and tests:
    the work tree is never touched). Prints the killed and surviving mutants of each and their share."""
    ensure_environment("test,mutate")
    chosen = [name for name in MUTATE if not names or name in names or MUTATE[name]["module"] in names]
    unknown = [name for name in names if name not in MUTATE and name not in (m["module"] for m in MUTATE.values())]
    if unknown or not chosen:
        print(f"Unknown module {' '.join(unknown)}; choose from {', '.join(MUTATE)}", file=sys.stderr)
        return 2
    lines = []
    for name in chosen:
        spec = MUTATE[name]
        work = ROOT / ".mutate" / name
        work.mkdir(parents=True, exist_ok=True)
        for folder in ("bot", "digests", "tests"):
            shutil.rmtree(work / folder, ignore_errors=True)
            shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
        settings = {"source_paths": ["bot", "digests"], "only_mutate": [spec["module"]],
                    "pytest_add_cli_args_test_selection": spec["tests"],
                    "pytest_add_cli_args": [arg for test in spec.get("skip", []) for arg in ("--deselect", test)]}
        config = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
        # mutmut reuses a mutant's result while its function is unchanged: not once the tests or settings change
        tests = hashlib.sha256(config.encode())
        for path in [*spec["tests"], "tests/conftest.py", "tests/fakebotapi.py", "tests/feedserver.py"]:
            tests.update((ROOT / path.partition("::")[0]).read_bytes())
        if not (work / ".tests-hash").is_file() or (work / ".tests-hash").read_text() != tests.hexdigest():
            shutil.rmtree(work / "mutants", ignore_errors=True)
            (work / ".tests-hash").write_text(tests.hexdigest())
        (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + "\n[tool.mutmut]\n" + config + "\n")
        env = {**os.environ, "NEWSDIGEST_SHARED": str(ROOT.parent / "shared")}
        mutmut = str(BIN / "mutmut")
        if subprocess.call([mutmut, "run", "--max-children", "2", *spec.get("only", [])], cwd=work, env=env):
            lines.append(f"{name} ({spec['module']}): mutmut stopped (a test fails without any mutant? see above)")
            print(lines[-1], flush=True)
            continue
        results = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, env=env, capture_output=True,
                                 text=True).stdout
        prefix = spec["module"].removesuffix(".py").replace("/", ".") + "."
        statuses = {found[0]: found[1] for found in re.findall(r"^\s*(\S+): (.+)$", results, re.MULTILINE)
                    if found[0].startswith(prefix)
                    and (not spec.get("only") or any(fnmatch.fnmatch(found[0], p) for p in spec["only"]))}
        caught = ("killed", "timeout")  # a mutant that makes a test hang is caught too
        killed = sum(status in caught for status in statuses.values())
        others = sorted(f"  {mutant}: {status}" for mutant, status in statuses.items() if status not in caught)
        share = f"{100 * killed / len(statuses):.0f}%" if statuses else "-"
        lines.append(f"{name} ({spec['module']}): {len(statuses)} mutants, {killed} killed, "
                     f"{len(statuses) - killed} not ({share} killed)")
        print("\n".join([lines[-1], *others]), flush=True)
    print("\n".join(["", *lines]))
    return 0


def parallel(pytest_args: list[str]) -> list[str]:
    """pytest-xdist's options for a run in TEST_PROCESSES processes (default 3, even on 2 cores: most tests
    wait on the processes, sockets and servers they start), unless the arguments choose (``-n 0``: one process)."""
    if any(arg.startswith(("-n", "--numprocesses", "--dist")) or arg.endswith("no:xdist") for arg in pytest_args):
        return []
    # one test at a time to each process: a long test then holds up only itself, not a queue behind it
    return ["-n", os.environ.get("TEST_PROCESSES", "3"), "--maxschedchunk", "1"]


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
    if args[:1] == ["mutate"]:
        return mutate(args[1:])
    ensure_environment()
    if args[:1] == ["test"]:
        return call([str(BIN / "python"), "-m", "pytest", *parallel(args[1:]), *args[1:]])
    if args[:1] == ["run"] and not (ROOT / ".env").exists() and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        shutil.copy(ROOT / ".env.example", ROOT / ".env")
        print("Created .env from .env.example: put your bot token in it.", flush=True)
    return call([str(BIN / "newsdigest"), *(args or ["--help"])])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # while installing: pip stops too, and says so
        sys.exit(130)
