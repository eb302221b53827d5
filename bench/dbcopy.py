"""How fast ``newsdigest db copy`` moves a big SQLite installation to PostgreSQL, and in how much memory.

    .venv/bin/python bench/dbcopy.py [--articles 100000] [--to postgresql|sqlite|URL]

Fills an SQLite file with synthetic articles as bench/queries.py does (texts of 40 to 400 words, topics, the
FTS5 index), then runs ``newsdigest db copy --to`` a fresh database (by default a throwaway PostgreSQL server,
as the tests start theirs) as an operator would, in a process of its own, and prints its time, rows a
second, and the CPU time and peak memory of the command (not of this script, nor of the server).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import fresh_database  # noqa: E402
from bench.queries import fill  # noqa: E402
from digests.storage import open_store  # noqa: E402

NEWSDIGEST = str(Path(sys.executable).with_name("newsdigest"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--to", default="postgresql", help="postgresql (a throwaway server), sqlite or a URL")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = f"sqlite:///{Path(folder) / 'source.db'}"
        store = open_store(source)
        began = time.perf_counter()
        fill(store, arguments.articles)
        store.close()
        size = (Path(folder) / "source.db").stat().st_size
        print(f"filled {arguments.articles} articles in {time.perf_counter() - began:.1f} s "
              f"({size / 2**20:.0f} MB of SQLite)")
        target_folder = Path(folder) / "target"
        target_folder.mkdir()
        with fresh_database(arguments.to, target_folder) as target:
            environment = {**os.environ, "DATABASE_URL": source}
            output = Path(folder) / "output.txt"
            with output.open("w") as sink:
                began = time.perf_counter()
                process = subprocess.Popen([NEWSDIGEST, "db", "copy", "--to", target], env=environment, cwd=folder,
                                           stdout=sink, stderr=subprocess.STDOUT)
                _, status, usage = os.wait4(process.pid, 0)  # this process's own figures, not the server's
                seconds = time.perf_counter() - began
            peak = usage.ru_maxrss / 1024
        printed = output.read_text()
        print(printed, end="")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(1)
        rows = sum(int(line.split()[2].replace(",", "")) for line in printed.splitlines()
                   if len(line.split()) == 3 and line.split()[2][0].isdigit())
        print(f"copied {rows} rows ({arguments.articles} articles) in {seconds:.1f} s: "
              f"{arguments.articles / seconds:.0f} articles a second, {rows / seconds:.0f} rows a second; "
              f"the command's CPU {usage.ru_utime + usage.ru_stime:.1f} s, its peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
