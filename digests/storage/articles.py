"""Articles: storing a batch (one story, one row), and the pages readers ask for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from digests.links import headline_key
from digests.models import (AlsoSource, Article, ArticleHeadline, ArticleTopic, StoryWord, SubscriberTopic, Topic,
                            topic_key)
from digests.stories import SIMILAR_HOURS, Telling, index_words, outlet, same_story, similarity
from digests.storage.base import CHUNK, chunks, grouped, insert_rows, lock_article_writers
from digests.storage.ledger import LedgerEntry, read_meanwhile, record_files
from digests.topics import preferred_name

# An article with the same headline words published this close in time is the same story (from any source: a
# source that sends a story twice, under two links, is showing it twice). A window rather than a calendar day:
# 04:00 and 06:00 in India fall on two UTC days, and the same headline a day later ("Petrol, diesel prices
# today") is another story.
STORY_HOURS = 12
CANDIDATES = 8  # another source's articles sharing the most headline words, compared with each new article
SAME_SOURCE_CANDIDATES = 2  # ... and of its own source's (few: they share its templates, and rarely merge)
SAME_SOURCE_SHARED_WORDS = 3  # ... sharing this many (its two tellings of one event share more: a cheap filter)
SHARED_WORDS = 2  # ... sharing at least this many
COMMON_WORD = 1000  # a word in more of the batch's days' headlines than this finds no candidates (too common)
ARTICLE_COLUMNS = ("source", "external_id", "link", "title", "author", "published_at", "date_known", "arrived_at",
                   "text", "summary")


class _once:
    """``functools.cached_property`` without the lock it takes at every first read in Python 3.11 (half of the
    cost of these small properties, read once for every article stored): the value goes into the instance's
    ``__dict__``, where the next read finds it."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass
class NewArticle:
    """A cleaned, summarised article ready to store."""

    source: str
    link: str
    title: str
    published_at: datetime
    text: str
    summary: str
    topics: list[str] = field(default_factory=list)
    external_id: str | None = None
    author: str | None = None
    date_known: bool = True  # False: no date in the item or its feed, published_at is when it was first seen

    @_once
    def story(self) -> tuple[date, str]:
        """The UTC day and headline words, by which a story is looked up (see ``STORY_HOURS``)."""
        return self.published_at.astimezone(UTC).date(), headline_key(self.title)

    @_once
    def story_days(self) -> list[date]:
        """The UTC days of the moments within ``STORY_HOURS`` of this article's: its own and the one before or after."""
        return _days_around(self.published_at, STORY_HOURS)

    @_once
    def similar_days(self) -> list[date]:
        """The UTC days of the moments within ``SIMILAR_HOURS`` of this article's."""
        return _days_around(self.published_at, SIMILAR_HOURS)

    @_once
    def story_words(self) -> list[str]:
        return index_words(self.title)

    @_once
    def outlet(self) -> str:
        return outlet(self.source, self.author)

    @_once
    def telling(self) -> Telling:
        return Telling(self.title, self.summary)

    def find_story_keys(self) -> None:
        """Work out the headline key, index words and days now: in an ingest worker, before it waits for its
        turn to write, rather than while the other writers wait for it."""
        self.story, self.story_words, self.story_days, self.similar_days  # noqa: B018 - cached


def _days_around(moment: datetime, hours: int) -> list[date]:
    moment, window = moment.astimezone(UTC), timedelta(hours=hours)
    first, last = (moment - window).date(), (moment + window).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _with_left_out(outcome: list[bool], item_files: list[str] | None, left_out: set[str]) -> list[bool | None]:
    """The outcomes of the items stored, with None in the places of those left out (their file in ``left_out``)."""
    if not left_out:
        return outcome
    stored = iter(outcome)
    return [None if path in left_out else next(stored) for path in item_files]


class ArticleQueries:
    def add_articles(self, items: Iterable[NewArticle], arrived_at: datetime,
                     files: Iterable[LedgerEntry] = ()) -> list[bool]:
        """Store the new ones; for each item, True if it was new and False if it was already there (see
        ``_add_articles``)."""
        return self._add_articles(list(items), arrived_at, list(files))[0]

    def add_articles_of_files(self, items: Sequence[NewArticle], item_files: Sequence[str], arrived_at: datetime,
                              files: Sequence[LedgerEntry]) -> tuple[list[bool | None], set[str]]:
        """``add_articles`` for the articles of ``files`` (``item_files``: the ledger path of each item's file),
        unless another process read those files meanwhile (``read_meanwhile``): their articles are then left
        out (None for each) and the files not recorded again. Returns the outcomes and those files, so that a
        file is read once however many processes look at its folder at once."""
        return self._add_articles(list(items), arrived_at, list(files), list(item_files))

    def _add_articles(self, items: list[NewArticle], arrived_at: datetime, files: list[LedgerEntry],
                      item_files: list[str] | None = None) -> tuple[list, set[str]]:
        """Store the new ones; for each item, True if it was new and False if it was already there.

        ``files`` (the files the items came from) go into the file ledger in the same transaction: a file is
        recorded as read if and only if its articles are stored, whenever the process is stopped.

        An article is the same as a stored one (or an earlier one of the same batch) when it has the same
        source and id, or else the same link, or else a near-identical headline (same words) published within
        ``STORY_HOURS``, or else (from another source) the same event in other words within ``SIMILAR_HOURS``
        (``digests.stories``); another source is then recorded as also carrying the story. The whole batch
        is a handful of set-based statements, so that large ingests are not held up by the database.
        Writers of articles take turns (``lock_article_writers``), however many processes on however many
        machines.
        """
        outcome: list[bool] = []
        meanwhile: set[str] = set()
        with self.session() as session, session.begin():
            # before looking anything up: another process storing the same story now must not go unseen
            lock_article_writers(session.connection())
            if item_files is not None and (meanwhile := read_meanwhile(session.connection(), files)):
                files = [entry for entry in files if entry[0] not in meanwhile]
                items = [item for item, path in zip(items, item_files) if path not in meanwhile]
            record_files(session.connection(), files, arrived_at)
            if not items:
                return _with_left_out(outcome, item_files, meanwhile), meanwhile
            # the lookups through the connection (Core): the session's ORM result handling costs more than SQLite
            known = _KnownStories.load(session.connection(), items)
            new_rows, fresh = [], []
            also: set[tuple[int, str]] = set()  # (article id, or -1 - index into fresh; source)
            for item in items:
                existing = known.find(item)
                if existing is not None:
                    target, source = existing
                    if source != item.source:
                        also.add((target, item.source))
                    outcome.append(False)
                    continue
                known.add(item, -1 - len(fresh))
                fresh.append(item)
                new_rows.append((item.source, item.external_id, item.link, item.title, item.author,
                                 item.published_at, item.date_known, arrived_at, item.text, item.summary))
                outcome.append(True)
            ids: list[int] = []
            if new_rows:
                # One insert of all rows, then the ids by link (unique): INSERT ... RETURNING in parameter order
                # makes SQLAlchemy send SQLite one statement per row. Straight through the driver, not the ORM
                # nor Core, for the big inserts: their bookkeeping costs more than the database does.
                connection = session.connection()
                insert_rows(connection, Article.__table__, ARTICLE_COLUMNS, new_rows)
                links = [item.link for item in fresh]
                by_link = dict(connection.execute(select(Article.link, Article.id)
                                                  .where(Article.link.in_(links))).all())
                ids = [by_link[link] for link in links]
                self._add_topics_and_headlines(session, fresh, ids)
                self.search_index.add(connection, [(i, item.title, item.text) for item, i in zip(fresh, ids)])
            pairs = {(ids[-1 - ref] if ref < 0 else ref, source) for ref, source in also}
            if pairs:
                have = set(session.execute(select(AlsoSource.article_id, AlsoSource.source).where(
                    AlsoSource.article_id.in_({article_id for article_id, _ in pairs}))).all())
                rows = [dict(article_id=a, source=src) for a, src in sorted(pairs - have)]
                if rows:
                    session.execute(insert(AlsoSource), rows)
        return _with_left_out(outcome, item_files, meanwhile), meanwhile

    @staticmethod
    def _add_topics_and_headlines(session: Session, fresh: list[NewArticle], ids: list[int]) -> None:
        topic_rows, counts, stored, names = [], Counter(), {}, {}
        keyed = [[(topic_key(name), " ".join(name.split())) for name in item.topics] for item in fresh]
        spellings: dict[str, set[str]] = {}
        for pairs in keyed:
            for key, name in pairs:
                if key:
                    spellings.setdefault(key, set()).add(name)
        # every article shows a topic under one name (near-copies share a key): the preferred of the spellings
        # seen (``preferred_name``), whatever order they came in; a better one renames the topic everywhere
        for key, name, count in session.execute(select(Topic.key, Topic.name, Topic.article_count)
                                                .where(Topic.key.in_(spellings))):
            stored[key], names[key] = count, name
        renamed = {}
        for key, seen_names in spellings.items():
            best = preferred_name(seen_names | {names[key]} if key in names else seen_names)
            if key in names and best != names[key]:
                renamed[key] = best
            names[key] = best
        for item, article_id, pairs in zip(fresh, ids, keyed):
            seen: set[str] = set()
            for key, name in pairs:
                if key and key not in seen:
                    seen.add(key)
                    topic_rows.append((article_id, key, names[key], len(seen), item.published_at, item.date_known))
                    counts[key] += 1
        for key, name in renamed.items():
            for table in (Topic, ArticleTopic, SubscriberTopic):
                session.execute(update(table).where(table.key == key).values(name=name))
        connection = session.connection()
        insert_rows(connection, ArticleTopic.__table__,
                    ("article_id", "key", "name", "position", "published_at", "date_known"), topic_rows)
        new_topics = [dict(key=k, name=names[k], article_count=n) for k, n in counts.items() if k not in stored]
        if new_topics:
            session.execute(insert(Topic), new_topics)
        updates = [dict(key=k, article_count=stored[k] + n) for k, n in counts.items() if k in stored]
        if updates:
            session.execute(update(Topic), updates)
        insert_rows(connection, ArticleHeadline.__table__, ("article_id", "day", "key"),
                    [(article_id, *item.story) for item, article_id in zip(fresh, ids)])
        insert_rows(connection, StoryWord.__table__, ("day", "word", "article_id"),
                    [(item.story[0].toordinal(), word, article_id)
                     for item, article_id in zip(fresh, ids) for word in item.story_words])

    def latest(self, limit: int, topic: str | None = None) -> list[Article]:
        """The most recently published articles, of one topic (by key) if given; undated ones after the dated."""
        return self.older(limit, None, topic)

    def arrived(self, start: datetime, end: datetime, published_since: datetime | None = None) -> list[Article]:
        """Articles stored in ``[start, end)``, newest publication first; with ``published_since``, only those
        published since then and the undated ones (which count by their arrival): a digest's articles."""
        with self.session() as session:
            query = select(Article).where(Article.arrived_at >= start, Article.arrived_at < end)
            if published_since is not None:
                query = query.where(or_(Article.date_known.is_(False), Article.published_at >= published_since))
            return list(session.scalars(query.order_by(Article.published_at.desc(), Article.id.desc())))

    def published(self, start: datetime, end: datetime) -> list[Article]:
        """Articles published in ``[start, end)``, newest first."""
        with self.session() as session:
            query = (
                select(Article).where(Article.published_at >= start, Article.published_at < end)
                .order_by(Article.published_at.desc(), Article.id.desc())
            )
            return list(session.scalars(query))

    def article_count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count(Article.id))) or 0

    def topics(self) -> list[Topic]:
        """Every topic with its article count, by name."""
        with self.session() as session:
            return list(session.scalars(select(Topic).order_by(Topic.key)))

    def topics_by_activity(self, since: datetime) -> list[tuple[Topic, int]]:
        """Every topic with its articles published since ``since``: the most of those first, then the most
        articles in all, then by key. Counted from each topic's recent articles (ranges of
        ix_article_topics_key_latest, for dated and undated alike), not every topic row nor any article's row."""
        with self.session() as session:
            recent = (select(ArticleTopic.key, func.count().label("recent"))
                      .where(ArticleTopic.key.in_(select(Topic.key)), ArticleTopic.date_known.in_([True, False]),
                             ArticleTopic.published_at >= since).group_by(ArticleTopic.key).subquery())
            count = func.coalesce(recent.c.recent, 0)
            query = (select(Topic, count).outerjoin(recent, recent.c.key == Topic.key)
                     .order_by(count.desc(), Topic.article_count.desc(), Topic.key))
            return [(topic, recent_count) for topic, recent_count in session.execute(query)]

    def find_topic(self, name: str) -> Topic | None:
        """The topic of that name, matched case-insensitively."""
        with self.session() as session:
            return session.get(Topic, topic_key(name))

    def older(self, limit: int, before: tuple[bool, datetime, int] | None, topic: str | None = None) -> list[Article]:
        """The page of articles after the keyset ``before`` = (date_known, published_at, id) in the order readers
        see: the dated newest first, then those whose date is not known, the last seen first. None: from the top."""
        with self.session() as session:
            return [row[0] for row in page_after(session, (Article,), limit, before, topic)]


def page_after(session: Session, columns: tuple, limit: int, before: tuple[bool, datetime, int] | None,
               topic: str | None = None) -> list[Row]:
    """``columns`` (Article, or some of its columns) of the ``limit`` articles after the keyset ``before``, of
    one topic (by key) if given: one index range scan per part (dated, undated): equal ``date_known``, then the
    cursor's bound."""
    found: list = []
    for known in (True, False):
        if before is not None and known != before[0]:
            if known:
                continue  # the cursor is among the undated already
            before = None  # the dated ones are done: the undated from the top
        if len(found) >= limit:
            break
        if topic is None:
            published, ident = Article.published_at, Article.id
            query = select(*columns).where(Article.date_known.is_(known))
        else:
            published, ident = ArticleTopic.published_at, ArticleTopic.article_id
            query = select(*columns).join(ArticleTopic, ArticleTopic.article_id == Article.id).where(
                ArticleTopic.key == topic_key(topic), ArticleTopic.date_known.is_(known))
        if before is not None:
            _, moment, article_id = before  # the `<=` bound lets the index range scan start at the cursor
            query = query.where((published <= moment) & or_(published < moment, ident < article_id))
        query = query.order_by(published.desc(), ident.desc()).limit(limit - len(found))
        found += session.execute(query).all()
    return found


def _other_sources_on(connection: Connection, sources: set[str], first: int, last: int) -> bool:
    """Whether an article is stored from another source than the batch's one (any, if it has several) published
    on the UTC days ``first`` to ``last`` (ordinals): one index range, read until the first such article."""
    start = datetime.combine(date.fromordinal(first), datetime.min.time(), UTC)
    query = select(Article.id).where(Article.published_at >= start,
                                     Article.published_at < start + timedelta(days=last - first + 1))
    if len(sources) == 1:
        query = query.where(Article.source != next(iter(sources)))
    return connection.execute(query.limit(1)).first() is not None


class _KnownStories:
    """What a batch of new articles may repeat: the stored articles with the same links, source ids, headline
    keys or headline words (fetched in a few queries), plus the batch's own earlier items."""

    def __init__(self):
        # each maps to (ref, source): ref is a stored article's id, or -1 - the batch item's index
        self.links: dict[str, tuple[int, str]] = {}
        self.ids: dict[tuple[str, str], tuple[int, str]] = {}
        self.headlines: dict[tuple[date, str], list[tuple[int, str, datetime]]] = {}  # ... and published time
        # the story index: headline word -> refs, and each ref's source and time, of the batch's days (stored
        # articles) and of the batch itself; the tellings of the stored articles that are candidates
        self.stored_words: dict[str, list[int]] = {}
        self.batch_words: dict[str, list[int]] = {}
        self.articles: dict[int, tuple[str, datetime, str]] = {}  # source, published, outlet
        self.tellings: dict[int, Telling | NewArticle] = {}  # a batch item's telling is made if it is needed
        self.stored_candidates: dict[int, list[int]] = {}  # by id() of the batch's items

    @classmethod
    def load(cls, connection: Connection, items: list[NewArticle]) -> _KnownStories:
        # Pairs are looked up one first value at a time (source, day), each with an IN list of second values:
        # that is an index search on every database, where SQLite scans the whole table for (a, b) IN (...).
        known = cls()
        for chunk in chunks(list({item.link for item in items}), CHUNK):
            for row_id, source, link in connection.execute(
                    select(Article.id, Article.source, Article.link).where(Article.link.in_(chunk))):
                known.links[link] = (row_id, source)
        for source, external_ids in grouped((item.source, item.external_id) for item in items if item.external_id):
            for chunk in chunks(external_ids, CHUNK):
                for row_id, external_id in connection.execute(select(Article.id, Article.external_id).where(
                        Article.source == source, Article.external_id.in_(chunk))):
                    known.ids[(source, external_id)] = (row_id, source)
        for day, keys in grouped((day, item.story[1]) for item in items for day in item.story_days):
            for chunk in chunks(keys, CHUNK):
                query = (select(Article.id, Article.source, Article.published_at, ArticleHeadline.key)
                         .join(ArticleHeadline, ArticleHeadline.article_id == Article.id)
                         .where(ArticleHeadline.day == day, ArticleHeadline.key.in_(chunk)))
                for row_id, source, published_at, key in connection.execute(query):
                    known.headlines.setdefault((day, key), []).append((row_id, source, published_at))
        known._load_candidates(connection, [item for item in items if known._exact(item) is None])
        return known

    def _load_candidates(self, connection: Connection, items: list[NewArticle]) -> None:
        """The stored articles sharing headline words with the batch's items: their ids by word (from the
        index), then the source and time of those that share enough words with an item, and the telling of
        those that are candidates (within ``SIMILAR_HOURS``, see ``_eligible``). Nothing when no other source
        has articles on those days (a drop folder of one source, read in bulk): only the source's own stored
        articles could be candidates, which seldom merge (``stories.same_story``), and the lookup would
        cost every such batch its time; the batch's own items are still compared with each other."""
        days = sorted({day.toordinal() for item in items for day in item.similar_days})
        if not days or not _other_sources_on(connection, {item.source for item in items}, days[0], days[-1]):
            return
        for chunk in chunks(sorted({word for item in items for word in item.story_words}), CHUNK):
            query = select(StoryWord.word, StoryWord.article_id).where(StoryWord.day.in_(days),
                                                                      StoryWord.word.in_(chunk))
            for word, row_id in connection.execute(query):
                self.stored_words.setdefault(word, []).append(row_id)
        if not self.stored_words:
            return
        sharing = {id(item): self._sharing(item, self.stored_words)[:2 * CANDIDATES] for item in items}
        for chunk in chunks(sorted({ref for refs in sharing.values() for ref, _ in refs}), CHUNK):
            for row_id, source, author, published_at in connection.execute(
                    select(Article.id, Article.source, Article.author, Article.published_at)
                    .where(Article.id.in_(chunk))):
                self.articles[row_id] = (source, published_at, outlet(source, author))
        for item in items:
            self.stored_candidates[id(item)] = self._eligible(item, sharing[id(item)])
        for chunk in chunks(sorted({ref for refs in self.stored_candidates.values() for ref in refs}), CHUNK):
            for row_id, title, summary in connection.execute(
                    select(Article.id, Article.title, Article.summary).where(Article.id.in_(chunk))):
                self.tellings[row_id] = Telling(title, summary)

    @staticmethod
    def _sharing(item: NewArticle, index: dict[str, list[int]]) -> list[tuple[int, int]]:
        """The articles sharing at least ``SHARED_WORDS`` headline words with the item, and how many, most
        first (every merge of the labelled pairs shares three or more)."""
        shared: dict[int, int] = {}
        for word in item.story_words:
            refs = index.get(word, ())
            if len(refs) <= COMMON_WORD:
                for ref in refs:
                    shared[ref] = shared.get(ref, 0) + 1
        return sorted(((ref, count) for ref, count in shared.items() if count >= SHARED_WORDS),
                      key=lambda pair: pair[1], reverse=True)

    def _eligible(self, item: NewArticle, refs: list[tuple[int, int]]) -> list[int]:
        """Of these, the articles published within ``SIMILAR_HOURS``: ``CANDIDATES`` of other sources and
        ``SAME_SOURCE_CANDIDATES`` of the item's own at most (so that a source's series of alike headlines
        does not crowd the other sources out), those sharing ``SAME_SOURCE_SHARED_WORDS``."""
        others, own, window = [], [], timedelta(hours=SIMILAR_HOURS)
        for ref, count in refs:
            _, published_at, told_by = self.articles[ref]
            if told_by == item.outlet and count < SAME_SOURCE_SHARED_WORDS:
                continue
            if abs(published_at - item.published_at) <= window:
                found, most = (own, SAME_SOURCE_CANDIDATES) if told_by == item.outlet else (others, CANDIDATES)
                if len(found) < most:
                    found.append(ref)
                if len(others) == CANDIDATES and len(own) == SAME_SOURCE_CANDIDATES:
                    break
        return others + own

    def _exact(self, item: NewArticle) -> tuple[int, str] | None:
        """The same source and id, the same link, or the same headline words within ``STORY_HOURS``."""
        if item.external_id and (item.source, item.external_id) in self.ids:
            return self.ids[(item.source, item.external_id)]
        if item.link in self.links:
            return self.links[item.link]
        hits = []
        for day in item.story_days:
            for ref, source, published_at in self.headlines.get((day, item.story[1]), ()):
                gap = abs(published_at - item.published_at)
                if gap <= timedelta(hours=STORY_HOURS):
                    hits.append((gap, ref, source))
        return min(hits)[1:] if hits else None  # the closest in time

    def find(self, item: NewArticle) -> tuple[int, str] | None:
        return self._exact(item) or self._similar(item)

    def _similar(self, item: NewArticle) -> tuple[int, str] | None:
        """The most similar of the item's candidates, if it is similar enough to be the same story."""
        best = None
        candidates = self.stored_candidates.get(id(item), [])
        candidates = candidates + self._eligible(item, self._sharing(item, self.batch_words))
        for ref in candidates:
            telling = self.tellings.get(ref)
            if telling is not None:
                telling = telling if isinstance(telling, Telling) else telling.telling
                if same_story(item.telling, telling, same_source=self.articles[ref][2] == item.outlet):
                    score = similarity(item.telling, telling)
                    if best is None or score > best[0]:
                        best = (score, ref)
        return (best[1], self.articles[best[1]][0]) if best else None

    def add(self, item: NewArticle, ref: int) -> None:
        entry = (ref, item.source)
        self.links[item.link] = entry
        if item.external_id:
            self.ids[(item.source, item.external_id)] = entry
        self.headlines.setdefault(item.story, []).append((*entry, item.published_at))
        for word in item.story_words:
            self.batch_words.setdefault(word, []).append(ref)
        if item.story_words:
            self.articles[ref] = (item.source, item.published_at, item.outlet)
            self.tellings[ref] = item
