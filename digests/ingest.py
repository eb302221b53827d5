"""The ingest pipeline: sources -> parsed articles -> clean text and summary -> storage.

Many files are shared out to worker processes, which parse, clean and store them themselves, in batches,
taking turns to write; few are done in this process. A file is read once: the ledger remembers path, size
and mtime.
URL sources are fetched on their own schedule, with backoff while they fail.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import chain, islice
from pathlib import Path
from stat import S_ISREG
from typing import Any

from digests.cleaning import html_to_text
from digests.fetching import FetchError, Fetcher, next_attempt, user_agent
from digests.formats import parse_document, parse_path
from digests.headlines import edited_headline, is_shouting, unshouted
from digests.links import canonical_link
from digests.parsing import DEFAULT_MAX_FILE_BYTES, ParseResult, RawArticle, Rejection
from digests.sources import DONE_FOLDER, REJECTED_FOLDER, Source, as_source, iter_source_files
from digests.storage import NewArticle, Store
from digests.summary import DEFAULT_SUMMARY_CHARS, item_summary, shorten
from digests.topics import BUILT_IN, DEFAULT_TOPIC, TopicRules  # noqa: F401 - DEFAULT_TOPIC: for items without one
from digests.topics import headline_labels, is_language

log = logging.getLogger(__name__)

MAX_LINK_CHARS = 2048
MAX_PATH_CHARS = 2048  # the file ledger's column
POOL_THRESHOLD = 200  # files; fewer are parsed in this process
WORKERS = 2
WRITE_BATCH = 500  # articles per database transaction
# The most files a worker takes at a time, and about the most bytes: several write batches, so that a worker
# that finds the other writing reads on rather than waits (only a chunk's last batch waits for its turn)
CHUNK_FILES = 4000
CHUNK_BYTES = 8 << 20
LEDGER_BATCH = 1000  # paths looked up in the file ledger at a time
PROGRESS_THRESHOLD = 100  # files; smaller batches show no progress bar


class IngestAborted(RuntimeError):
    """The ingest stopped half-way; what was stored stays, and the rest is read on the next run."""


@dataclass
class IngestReport:
    new: int = 0
    duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    unchanged: int = 0  # files the ledger says were read already
    waiting: int = 0  # files that may still be being written: read next time
    not_due: int = 0  # URL sources whose next poll is later
    by_source: dict[str, Counter] = field(default_factory=dict)

    def summary_line(self) -> str:
        return f"{self.new} new, {self.duplicate} duplicate, {len(self.rejected)} rejected"

    def count(self, source: str, what: str, number: int = 1) -> None:
        counts = self.by_source.get(source)  # not setdefault: it would make a Counter each time (per article)
        if counts is None:
            counts = self.by_source[source] = Counter()
        counts[what] += number

    def merge(self, other: IngestReport) -> None:
        """Add a part's counts (a worker's chunk of files) to this report."""
        self.new += other.new
        self.duplicate += other.duplicate
        self.unchanged += other.unchanged  # files another process read meanwhile
        self.rejected.extend(other.rejected)
        for name, counts in other.by_source.items():
            self.by_source.setdefault(name, Counter()).update(counts)

    def full_line(self) -> str:
        """One line for operators: totals, rejection reasons, skipped files, then each source's counts."""
        line = self.summary_line()
        reasons = Counter(r.reason.split(":")[0].split(" (")[0] for r in self.rejected)
        if reasons:
            line += " (" + ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common()) + ")"
        extras = [f"{n} {what}" for n, what in [(self.unchanged, "unchanged"), (self.waiting, "still being written"),
                                                  (self.not_due, "not due")] if n]
        if extras:
            line += ", " + ", ".join(extras)
        for name, counts in sorted(self.by_source.items()):
            parts = [f"{counts[what]} {what}" for what in ("new", "duplicate", "rejected") if counts[what]]
            line += f" | {name}: {', '.join(parts) or 'nothing new'}"
        return line


def placed_date(raw: RawArticle, now: datetime) -> tuple[datetime, bool]:
    """When the article was published, and whether that is known.

    Its own date, but never later than ``now`` (when it was first seen: a date in the future is a clock a few
    minutes fast, or a wrong zone or year); without one, the feed's date if that is earlier (the item was in
    the feed by then); else ``now``, as not known: such an article never outranks dated news as the latest.
    """
    if raw.published_at is not None:
        return min(raw.published_at, now), True
    if raw.feed_date is not None and raw.feed_date <= now:
        return raw.feed_date, True
    return now, False


def prepare(raw: RawArticle, *, now: datetime, summary_chars: int = DEFAULT_SUMMARY_CHARS,
            rules: TopicRules = BUILT_IN, link: str | None = None) -> NewArticle:
    """Clean the body, write the summary, make topics of the categories (``rules``: the source's), and fit
    every field to its column (``link``: if already canonical).

    NUL characters are taken out: a feed read leniently can carry them, and PostgreSQL refuses them in text
    (the whole batch would fail, again at every run)."""
    text = _no_nul(html_to_text(raw.html))
    title = edited_headline(_no_nul(raw.title))
    if is_shouting(title):
        title = unshouted(title, text)
    published_at, date_known = placed_date(raw, now)
    return NewArticle(
        source=_no_nul(raw.source)[:200],
        link=_no_nul(link or canonical_link(raw.link)),
        title=shorten(title, 500),
        published_at=published_at,
        date_known=date_known,
        text=text,
        summary=item_summary(title, text, html_to_text(raw.description), summary_chars),
        topics=[_no_nul(name)[:200]
                for name in rules.topics(headline_labels(raw.categories, title), raw.language)],
        external_id=_no_nul(raw.external_id)[:200] if raw.external_id else None,
        author=_no_nul(raw.author)[:200] if raw.author else None,
    )


def _no_nul(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def _prepare_all(parsed: ParseResult, shown: str, *, now: datetime, summary_chars: int,
                 rules: TopicRules) -> tuple[list[NewArticle], list[Rejection]]:
    ready, rejected = [], list(parsed.rejections)
    for raw in parsed.articles:
        link = canonical_link(raw.link)
        if len(link) > MAX_LINK_CHARS:
            rejected.append(Rejection(shown, f"link longer than {MAX_LINK_CHARS} characters"))
        else:
            try:
                ready.append(prepare(raw, now=now, summary_chars=summary_chars, rules=rules, link=link))
            except Exception as exc:  # a bug met on one article must not stop the batch: report it, go on
                log.exception("Could not prepare an article of %s", shown)
                rejected.append(Rejection(shown, f"could not be cleaned: {exc!r}"))
    return without_shared_summaries(ready), rejected


SHARED_SUMMARY_ITEMS = 3  # a summary this many items of one document share is the feed's blurb


def without_shared_summaries(articles: list[NewArticle]) -> list[NewArticle]:
    """A summary that several items of one feed share word for word says nothing of any one of them (cnn's
    "CNN's Michaela Pereira has a look at the top news stories that you need to know." under three stories):
    they go without one."""
    if len(articles) < SHARED_SUMMARY_ITEMS:
        return articles
    counts = Counter(article.summary for article in articles if article.summary)
    if counts and max(counts.values()) >= SHARED_SUMMARY_ITEMS:
        headlines: dict[str, set[str]] = {}  # a feed may list one item several times: that is one story
        for article in articles:
            if counts[article.summary] >= SHARED_SUMMARY_ITEMS:
                headlines.setdefault(article.summary, set()).add(article.title)
        for article in articles:
            if len(headlines.get(article.summary, ())) >= SHARED_SUMMARY_ITEMS:
                article.summary = ""
    return articles


@dataclass(frozen=True)
class _FileJob:
    """A file to read. Plain strings for its paths: a job crosses to a worker process, and a ``Path`` costs
    more to make and to pickle than the rest of the job."""

    path: str  # absolute, as the ledger has it
    source: str
    tz: tzinfo
    rules: TopicRules  # the source's: one object for all its files, so a chunk pickles it once
    folder: str | None  # where done/ and rejected/ go
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class _Settings:
    max_bytes: int
    summary_chars: int
    now: datetime
    move_files: bool


def _read_file(job: _FileJob, settings: _Settings) -> tuple[list[NewArticle], list[Rejection]]:
    """Parse and clean one file. A feed from a folder (a crawler's drop of many publishers' feeds) names its
    publisher as its articles' source; a file or URL source keeps the name the operator gave it. Counts,
    the ledger and the topic rules stay with ``job.source``, the configured one."""
    parsed = parse_path(job.path, default_source=job.source, source_tz=job.tz, max_bytes=settings.max_bytes,
                        publisher_named=job.folder is not None)
    return _prepare_all(parsed, job.path, now=settings.now, summary_chars=settings.summary_chars,
                        rules=job.rules)


def ingest(
    store: Store,
    locations: list[str | Source],
    *,
    source_tz: tzinfo,
    summary_chars: int = DEFAULT_SUMMARY_CHARS,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    now: datetime | None = None,
    fetcher: Fetcher | None = None,
    poll_minutes: int = 30,
    on_schedule: bool = False,
    settle_seconds: float = 0,
    move_files: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Ingest every source; bad files and failing URLs are reported in the result, never raised (nor logged:
    see ``log_report``).

    ``on_schedule`` polls only the URL sources that are due; ``settle_seconds`` leaves files younger than
    that for the next run (they may still be being written); ``move_files`` moves each file of a folder
    into its ``done/`` or ``rejected/`` sub-folder once read.
    """
    now = now or datetime.now(UTC)
    report = IngestReport()
    sources = [as_source(item) for item in locations]
    for source in sources:
        if source.is_url:
            _ingest_url(store, source, report, now=now, fetcher=fetcher, source_tz=source_tz,
                        summary_chars=summary_chars, max_bytes=max_file_bytes,
                        poll=timedelta(minutes=source.poll_minutes or poll_minutes), on_schedule=on_schedule)
    folders = [source for source in sources if not source.is_url]
    settings = _Settings(max_file_bytes, summary_chars, now, move_files)
    with _progress_bar(folders, progress) as bar:
        jobs = _file_jobs(store, folders, report, source_tz=source_tz, settle_seconds=settle_seconds,
                          skipped=bar.update)
        for files, part in _ingest_files(store, jobs, settings):
            report.merge(part)
            bar.update(files)
    return report


def log_report(report: IngestReport) -> None:
    """Each rejection and the summary, as log lines (the bot's job; ``newsdigest ingest`` prints them)."""
    for rejection in report.rejected:
        log.warning("Rejected %s", rejection)
    log.info("Ingest: %s", report.full_line())


def _file_jobs(store: Store, sources: list[Source], report: IngestReport, *, source_tz: tzinfo,
               settle_seconds: float, skipped: Callable[[int], None]) -> Iterator[_FileJob]:
    """The files to read, as they are found: not in the ledger unchanged, and not modified in the last
    ``settle_seconds``. Nothing here grows with the number of files: the folders are walked and the ledger
    looked up a batch of paths at a time. ``skipped`` is told of each file found but not to be read."""
    wall = time.time()
    for source in sources:
        rules = source.rules
        folder = Path(source.location).expanduser()
        folder = os.path.abspath(folder) if folder.is_dir() else None  # where done/ and rejected/ go
        for batch in _batched(iter_source_files([source]), LEDGER_BATCH):
            found = []
            for item in batch:
                if isinstance(item, Rejection):
                    report.rejected.append(item)
                    report.count(source.label, "rejected")
                    continue
                try:
                    stat = os.stat(item.path)
                except FileNotFoundError:  # gone since the folder was listed, or a broken link: nothing to read
                    skipped(1)
                    continue
                except OSError as exc:
                    report.rejected.append(Rejection(item.path, f"cannot read file: {exc.strerror or exc}"))
                    skipped(1)
                    continue
                if not S_ISREG(stat.st_mode):  # a pipe or device named like an article would block the read
                    skipped(1)
                    continue
                if len(item.path) > MAX_PATH_CHARS:  # the ledger could not hold it
                    report.rejected.append(Rejection(item.path, f"path longer than {MAX_PATH_CHARS} characters"))
                    skipped(1)
                    continue
                found.append((item, stat))
            ledger = store.file_ledger([item.path for item, _ in found])
            for item, stat in found:
                if ledger.get(item.path) == (stat.st_size, stat.st_mtime_ns):
                    report.unchanged += 1
                elif wall - stat.st_mtime < settle_seconds:
                    report.waiting += 1
                else:
                    yield _FileJob(item.path, item.source, source.timezone or source_tz, rules, folder,
                                   stat.st_size, stat.st_mtime_ns)
                    continue
                skipped(1)


def _ingest_files(store: Store, jobs: Iterator[_FileJob], settings: _Settings) -> Iterator[tuple[int, IngestReport]]:
    """Read and store the files in chunks, yielding (files done, their report) as each chunk ends.

    Few files are done in this process. Many are shared out, a chunk at a time, to worker processes that
    parse, clean and write to the database themselves: nothing big crosses between processes, and a lock
    held around each write transaction takes the writers in turn (SQLite has one writer at a time; the
    lock wakes the next one at once, where SQLite's busy handler would sleep and poll). This process goes
    on finding files meanwhile, a few chunks ahead of the workers, so memory stays flat however many.
    """
    first = list(islice(jobs, POOL_THRESHOLD))
    if len(first) < POOL_THRESHOLD or (os.cpu_count() or 1) < 2 or store.in_memory:
        for chunk in _batched(chain(first, jobs), WRITE_BATCH):
            yield len(chunk), _ingest_chunk(store, chunk, settings, threading.Lock())
        return
    context = _process_context()
    if context.get_start_method() == "fork":
        _read_before_forking()
    log.info("Ingest: %d files or more, shared out to %d worker processes (%s)", POOL_THRESHOLD, WORKERS,
             context.get_start_method())
    # concurrent.futures rather than multiprocessing.Pool: a worker that dies fails the ingest, not hangs it
    pool = ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_start_worker,
                               initargs=(store.url, context.Lock()))
    running: set = set()
    try:
        # the first chunks small, so that a batch not much over the threshold still gives every worker some
        start = max(1, sum(job.size for job in first) // (2 * WORKERS))
        for chunk in _chunks_of_bytes(chain(first, jobs), start):
            running.add(pool.submit(_worker_chunk, chunk, settings))
            if len(running) >= 2 * WORKERS:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        yield from (future.result() for future in as_completed(running))
    except BrokenProcessPool as exc:
        raise IngestAborted("an ingest worker process died (killed, or crashed in a library); what it had not "
                            "stored yet is read again on the next run") from exc
    finally:
        pool.shutdown(cancel_futures=True)


def _read_before_forking() -> None:
    """What each worker would otherwise read for itself at its first article, read once here, where forked
    workers inherit it: the names of the news languages, which are no topics (babel's locale data, some 0.15 s
    of CPU a process)."""
    is_language("")


def _process_context():
    """How worker processes start: forked from this process when it runs no other thread (fast, and they are
    its children, so its resource usage counts them), else from a fork server. A fork copies this process's
    state as the other threads left it: a lock SQLite holds for another thread's transaction, asyncio's
    signal handling (a dying pool's SIGTERM to a worker would then stop the bot). macOS: spawn, as Python
    chooses there."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "darwin" or "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # the server imports lxml, html2text, ... once, not each worker
    return context


_worker: tuple[Store, Any] | None = None  # a worker process's own Store, and the write lock


def _start_worker(url: str, write_lock) -> None:
    """A worker's start. What it has so far (the modules, what it inherited from a fork) lives as long as it
    does: moved out of the garbage collector's sight (``gc.freeze``), so that its full collections do not walk
    it all again (some 5% of a worker's CPU) nor touch the pages it shares with the parent. And the collector
    looks at new objects every 20,000 of them rather than 700: a write batch's articles (some 40 objects each)
    live until the batch is written, and were otherwise walked again and again, several times a batch (3% of a
    worker's CPU)."""
    global _worker
    gc.freeze()
    gc.set_threshold(20_000)
    _worker = Store(url), write_lock
    with _worker[0].engine.connect():  # connected from the start (and kept in the pool), as the parent's Store
        pass                           # is: a database it cannot open fails it now


def _worker_chunk(chunk: list[_FileJob], settings: _Settings) -> tuple[int, IngestReport]:
    store, write_lock = _worker
    return len(chunk), _ingest_chunk(store, chunk, settings, write_lock)


def _ingest_chunk(store: Store, chunk: list[_FileJob], settings: _Settings, write_lock) -> IngestReport:
    """Read a chunk of files and store their articles, ``WRITE_BATCH`` at a time, each write under the lock."""
    report = IngestReport()
    pending: list[tuple[str, NewArticle]] = []
    files: list[tuple[_FileJob, list[Rejection], int]] = []
    for job in chunk:
        ready, rejected = _read_file(job, settings)
        for article in ready:
            article.find_story_keys()
        report.rejected.extend(rejected)
        report.count(job.source, "rejected", len(rejected))
        pending.extend((job.source, article) for article in ready)
        files.append((job, rejected, len(ready)))
        # a batch waits while another process writes (up to a few batches): this one reads on meanwhile
        if len(pending) >= WRITE_BATCH and write_lock.acquire(len(pending) >= 4 * WRITE_BATCH):
            try:
                _write(store, pending, files, report, now=settings.now, move_files=settings.move_files)
            finally:
                write_lock.release()
            pending, files = [], []
    if pending or files:
        with write_lock:
            _write(store, pending, files, report, now=settings.now, move_files=settings.move_files)
    return report


def _chunks_of_bytes(jobs: Iterable[_FileJob], share: int) -> Iterator[list[_FileJob]]:
    """Consecutive files of about ``share`` bytes together, the share doubling up to ``CHUNK_BYTES`` (chunks of
    about the same work, small enough for the workers to finish together and the progress bar to move)."""
    chunk, size = [], 0
    for job in jobs:
        if chunk and (size + job.size > share or len(chunk) >= CHUNK_FILES):
            yield chunk
            chunk, size, share = [], 0, min(CHUNK_BYTES, 2 * share)
        chunk.append(job)
        size += job.size
    if chunk:
        yield chunk


def _batched(values: Iterable, size: int) -> Iterator[list]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def _write(store: Store, articles: list[tuple[str, NewArticle]], files: list[tuple[_FileJob, list[Rejection], int]],
           report: IngestReport, *, now: datetime, move_files: bool) -> None:
    """Store a batch of (source name, article) and record the files they came from, in one transaction;
    then move the files if asked (the ledger has their new place; a file that cannot be moved gets its own
    place back). Files another process read meanwhile (two processes at one folder) count as unchanged: their
    articles were stored, and they were moved, by that process."""
    entries, moves, item_files = [], [], []
    for job, rejected, stored in files:
        outcome = "done" if stored or not rejected else "rejected"
        path = job.path
        if move_files and job.folder is not None:
            sub = DONE_FOLDER if outcome == "done" else REJECTED_FOLDER
            path = os.path.join(job.folder, sub, os.path.relpath(job.path, job.folder))
            moves.append((job.path, path, len(entries)))
        entries.append((path, job.size, job.mtime_ns, outcome, "; ".join(r.reason for r in rejected) or None))
        item_files.extend([path] * stored)
    items = [article for _, article in articles]
    if entries:
        outcomes, meanwhile = store.add_articles_of_files(items, item_files, arrived_at=now, files=entries)
    else:
        outcomes, meanwhile = store.add_articles(items, arrived_at=now), set()
    for (source, _), is_new in zip(articles, outcomes):
        if is_new is None:
            continue
        report.count(source, "new" if is_new else "duplicate")
        if is_new:
            report.new += 1
        else:
            report.duplicate += 1
    report.unchanged += len(meanwhile)
    stayed = [(path, entries[index]) for path, target, index in moves
              if target not in meanwhile and not _move(path, target)]
    if stayed:
        store.record_files([(path, *entry[1:]) for path, entry in stayed], now,
                           forget=[entry[0] for _, entry in stayed])


def _move(path: str, target: str) -> bool:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.move(path, target)
        return True
    except OSError as exc:
        log.warning("Could not move %s to %s: %s", path, os.path.dirname(target), exc.strerror or exc)
        return False


def _ingest_url(store: Store, source: Source, report: IngestReport, *, now: datetime, fetcher: Fetcher | None,
                source_tz: tzinfo, summary_chars: int, max_bytes: int, poll: timedelta, on_schedule: bool) -> None:
    name = source.label
    state = store.source_state(name)
    if on_schedule and state and state.next_attempt_at and state.next_attempt_at > now:
        report.not_due += 1
        return
    own = fetcher is None
    fetcher = fetcher or Fetcher(agent=user_agent(None), max_bytes=max_bytes)
    try:
        fetched = fetcher.get(source.location, etag=state and state.etag, last_modified=state and state.last_modified)
    except FetchError as exc:
        failures = (state.consecutive_failures if state else 0) + 1
        store.record_poll(name, source.location, now, next_attempt(now, poll, failures), error=str(exc))
        report.rejected.append(Rejection(source.location, str(exc)))
        report.count(name, "rejected")
        return
    finally:
        if own:
            fetcher.close()
    if not fetched.not_modified:
        parsed = parse_document(fetched.body, shown=source.location, default_source=name,
                                source_tz=source.timezone or source_tz, headers=fetched.headers, max_bytes=max_bytes,
                                url=fetched.url)
        ready, rejected = _prepare_all(parsed, source.location, now=now, summary_chars=summary_chars,
                                       rules=source.rules)
        report.rejected.extend(rejected)
        report.count(name, "rejected", len(rejected))
        _write(store, [(name, article) for article in ready], [], report, now=now, move_files=False)
    store.record_poll(name, source.location, now, next_attempt(now, poll, 0), etag=fetched.etag,
                      last_modified=fetched.last_modified)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _progress_bar(sources: list[Source], wanted: bool):
    """A tqdm bar on stderr for large batches when someone watches (a TTY); else nothing.

    Its total is every article file in the folders (counted by name first, which is quick); files the
    ledger knows, or still being written, count as done when they are passed over.
    """
    if not wanted or not sys.stderr.isatty():
        return _NoBar()
    total = sum(1 for item in iter_source_files(sources) if not isinstance(item, Rejection))
    if total < PROGRESS_THRESHOLD:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="ingest", file=sys.stderr)
