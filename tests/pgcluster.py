"""A throwaway PostgreSQL server for the tests and benchmarks: ``initdb`` in a temporary folder, ``pg_ctl``
on 127.0.0.1 and a free port, removed when stopped.

    with PostgresCluster.start() as cluster:       # raises ClusterUnavailable when it cannot
        url = cluster.create_database("news")      # postgresql+psycopg://postgres@127.0.0.1:PORT/news

The binaries are looked for on PATH, then in /usr/lib/postgresql/*/bin (Debian's place, newest first).
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user, or ``nobody`` where
there is none. Settings favour speed over durability (no fsync): it holds test data only.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
START_SECONDS = 60

# Runs beside the tests and waits for its stdin to close, which happens when the process that started the
# server ends, however it ends (even SIGKILL); then it stops the server and removes its folder, if still there.
WATCHDOG = """
import os, shutil, signal, sys, time
sys.stdin.read()
folder = sys.argv[1]
try:
    pid = int(open(os.path.join(folder, "data", "postmaster.pid")).readline())
    os.kill(pid, signal.SIGQUIT)
    for _ in range(100):
        os.kill(pid, 0)
        time.sleep(0.1)
except (OSError, ValueError):
    pass
shutil.rmtree(folder, ignore_errors=True)
"""


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))
    folders = [folder for folder in Path("/usr/lib/postgresql").glob("*/bin")
               if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()]
    return max(folders, key=version) if folders else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_user() -> pwd.struct_passwd | None:
    """Whom to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ClusterUnavailable("running as root, and there is neither a 'postgres' nor a 'nobody' user to run "
                             "PostgreSQL as (it refuses root)")


class PostgresCluster:
    def __init__(self, binaries: Path, folder: Path, port: int, user: pwd.struct_passwd | None):
        self.binaries, self.folder, self.port, self.user = binaries, folder, port, user
        self.data = folder / "data"
        self.log = folder / "server.log"
        self._numbers = 0
        self._watchdog: subprocess.Popen | None = None

    @classmethod
    def start(cls) -> PostgresCluster:
        binaries = find_binaries()
        if binaries is None:
            raise ClusterUnavailable("PostgreSQL's initdb and pg_ctl are not installed (not on PATH nor in "
                                     "/usr/lib/postgresql/*/bin); on Debian: apt-get install postgresql")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ClusterUnavailable("psycopg is not installed: pip install -e '.[postgres]'") from None
        user = _server_user()
        folder = Path(tempfile.mkdtemp(prefix="newsdigest-pg-"))
        cluster = cls(binaries, folder, _free_port(), user)
        try:
            if user is not None:
                os.chown(folder, user.pw_uid, user.pw_gid)
            cluster._init()
            cluster._watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(folder)], stdin=subprocess.PIPE,
                                                 start_new_session=True)
            cluster._run("pg_ctl", "-D", str(cluster.data), "-l", str(cluster.log), "-w", "-t", str(START_SECONDS),
                         "start")
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run(self, program: str, *args: str) -> str:
        """Run one of the server's programs as the server's user; its output, or ClusterUnavailable."""
        command = [str(self.binaries / program), *args]
        options = {}
        if self.user is not None:
            options = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        environment = {**os.environ, "HOME": str(self.folder), "LC_ALL": "C", "LANG": "C"}
        try:
            done = subprocess.run(command, cwd=self.folder, env=environment, capture_output=True, text=True,
                                  timeout=START_SECONDS + 30, **options)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ClusterUnavailable(f"{program} could not run: {error}") from None
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.is_file() else ""
            raise ClusterUnavailable(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]} {log}")
        return done.stdout

    def _init(self) -> None:
        common = ["-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"]
        try:  # a UTF-8 character type, so that the text search parser knows non-ASCII letters
            self._run("initdb", *common, "--locale=C.UTF-8")
        except ClusterUnavailable:
            shutil.rmtree(self.data, ignore_errors=True)
            self._run("initdb", *common, "--no-locale")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = ''\n"
                "max_connections = 200\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 128MB\nlog_min_messages = warning\n")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new, empty database (a copy of ``template`` if given); its URL."""
        if name is None:
            self._numbers += 1
            name = f"test_{os.getpid()}_{self._numbers}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it, ending any connection still open to it (a test's worker process, say)."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (at once: its data is thrown away) and remove its folder."""
        try:
            if (self.data / "postmaster.pid").is_file():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except ClusterUnavailable:
            pass
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._watchdog is not None:
                self._watchdog.stdin.close()
                self._watchdog.wait(30)
                self._watchdog = None

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
