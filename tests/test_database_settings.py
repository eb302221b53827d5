"""DATABASE_URL as an operator writes it: mistakes are one line naming the setting (exit 2, no traceback), and a
relative SQLite path is found from one documented place, whatever folder the command starts in."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from digests.storage import current_revision, head_revision, open_store

ROOT = Path(__file__).resolve().parents[1]


def newsdigest(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def env(tmp_path) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "NEWS_", "DATABASE_", "NEWSDIGEST_", "PYTHONPATH"))}
    return {**clean, "PYTHONPATH": str(ROOT)}


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line an operator's mistake gets."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "DATABASE_URL" in line
    return line


@pytest.mark.parametrize("value, expected", [
    ("postgress://newsdigest@localhost/news", "names a kind of database SQLAlchemy does not know ('postgress')"),
    ("not a url", "is not a database URL: expected one such as sqlite:///data/newsdigest.db"),
])
def test_a_database_url_that_is_not_one(env, tmp_path, value, expected):
    line = refused(newsdigest("stats", env={**env, "DATABASE_URL": value}, cwd=tmp_path))
    assert expected in line and "postgresql://USER:PASSWORD@HOST/NAME" in line


def test_postgresql_without_its_driver_says_which_extra_to_install(env, tmp_path):
    """Whether or not psycopg is installed here: a module of that name that fails to import stands in for it."""
    missing = tmp_path / "without-psycopg"
    missing.mkdir()
    (missing / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    env = {**env, "PYTHONPATH": f"{missing}{os.pathsep}{ROOT}",
           "DATABASE_URL": "postgresql://newsdigest:s3cret@db.example/news"}
    line = refused(newsdigest("db", "upgrade", env=env, cwd=tmp_path))
    assert "PostgreSQL" in line and "pip install 'newsdigest[postgres]'" in line
    assert "s3cret" not in line


def test_an_sqlite_path_that_is_a_folder(env, tmp_path):
    line = refused(newsdigest("stats", env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}"}, cwd=tmp_path))
    assert f"{tmp_path}, which is a folder: expected a database file, such as sqlite:///{tmp_path}/newsdigest.db" \
        in line


def test_an_sqlite_path_under_a_file(env, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    url = f"sqlite:///{tmp_path / 'notes.txt' / 'news.db'}"
    line = refused(newsdigest("ingest", "--rejected", env={**env, "DATABASE_URL": url}, cwd=tmp_path))
    assert f"{tmp_path / 'notes.txt'} is a file, not a folder" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, where no one may create a file")
def test_an_sqlite_path_where_nothing_may_be_written(env, tmp_path):
    """/proc: even root cannot create a file there (the test runs as root in CI, where permissions do not bind)."""
    line = refused(newsdigest("stats", env={**env, "DATABASE_URL": "sqlite:////proc/newsdigest/news.db"},
                              cwd=tmp_path))
    assert "cannot write to /proc: expected a database file in a folder it may write" in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write in a read-only folder")
def test_an_sqlite_file_in_a_read_only_folder(env, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = refused(newsdigest("stats", env={**env, "DATABASE_URL": f"sqlite:///{folder / 'news.db'}"},
                                  cwd=tmp_path))
    finally:
        folder.chmod(0o755)
    assert f"cannot write to {folder}" in line


def test_a_relative_sqlite_path_is_beside_the_settings_file_not_where_the_command_starts(env, tmp_path):
    home, elsewhere = tmp_path / "service", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / ".env").write_text("DATABASE_URL=sqlite:///data/news.db\n")
    result = newsdigest("--env-file", str(home / ".env"), "stats", env=env, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (home / "data" / "news.db").is_file() and not (elsewhere / "data").exists()
    # NEWSDIGEST_HOME, when set, is the place instead
    result = newsdigest("--env-file", str(home / ".env"), "stats", env={**env, "NEWSDIGEST_HOME": str(elsewhere)},
                        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "data" / "news.db").is_file()
    assert current_revision(open_store(f"sqlite:///{elsewhere / 'data' / 'news.db'}").engine) == head_revision()


def test_settings_resolve_the_path_once(tmp_path):
    settings = load_settings({"DATABASE_URL": "sqlite:///data/news.db"}, env_file=tmp_path / ".env")
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'news.db'}"
    settings = load_settings({}, env_file=tmp_path / ".env")  # the default: data/newsdigest.db, there too
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'newsdigest.db'}"
    settings = load_settings({"DATABASE_URL": "sqlite://"}, env_file=tmp_path / ".env")
    assert settings.database_url == "sqlite://"
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"DATABASE_URL": "not a url"}, env_file="")


def test_the_start_up_log_names_the_database_without_its_password(env, tmp_path, fake_api):
    """``run`` logs the database it uses (before it meets Telegram, which here refuses the token); a URL's
    password is never shown (here a server URL in an error)."""
    url = f"sqlite:///{tmp_path / 'news.db'}"
    result = newsdigest("run", env={**env, "DATABASE_URL": url, "TELEGRAM_API_BASE_URL": fake_api.base_url,
                                    "TELEGRAM_BOT_TOKEN": "987654321:AAHthisTOKENisWRONGbutWELLformed_xyz"},
                        cwd=tmp_path)
    assert f"Database: {url}" in result.stderr
    result = newsdigest("stats", env={**env, "DATABASE_URL": "mysql://reader:hunter2@db.example/news"}, cwd=tmp_path)
    assert "hunter2" not in result.stderr and "reader:***@db.example" in refused(result)
