"""Articles: storing a batch (one story, one row), and the pages readers ask for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from digests.links import headline_key
from digests.models import AlsoSource, Article, ArticleHeadline, ArticleTopic, Topic, topic_key
from digests.storage.base import CHUNK, chunks, grouped, lock_article_writers
from digests.storage.ledger import LedgerEntry, record_files

# Another source's article with the same headline words published this close in time is the same story. A
# window rather than a calendar day: 04:00 and 06:00 in India fall on two UTC days, and the same headline a
# day later ("Petrol, diesel prices today") is another story.
STORY_HOURS = 12


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

    @cached_property
    def story(self) -> tuple[date, str]:
        """The UTC day and headline words, by which a story is looked up (see ``STORY_HOURS``)."""
        return self.published_at.astimezone(UTC).date(), headline_key(self.title)

    @cached_property
    def story_days(self) -> list[date]:
        """The UTC days of the moments within ``STORY_HOURS`` of this article's: its own and the one before or after."""
        moment, window = self.published_at.astimezone(UTC), timedelta(hours=STORY_HOURS)
        first, last = (moment - window).date(), (moment + window).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class ArticleQueries:
    def add_articles(self, items: Iterable[NewArticle], arrived_at: datetime,
                     files: Iterable[LedgerEntry] = ()) -> list[bool]:
        """Store the new ones; for each item, True if it was new and False if it was already there.

        ``files`` (the files the items came from) go into the file ledger in the same transaction: a file is
        recorded as read if and only if its articles are stored, whenever the process is stopped.

        An article is the same as a stored one (or an earlier one of the same batch) when it has the same
        source and id, or else the same link, or else a near-identical headline (same words) published by
        another source within ``STORY_HOURS``; the other source is then recorded as also carrying the story. The whole batch
        is a handful of set-based statements, so that large ingests are not held up by the database. Writers of
        articles take turns (``lock_article_writers``), however many processes on however many machines.
        """
        items = list(items)
        outcome: list[bool] = []
        with self.session() as session, session.begin():
            # before looking anything up: another process storing the same story now must not go unseen
            lock_article_writers(session.connection())
            record_files(session.connection(), files, arrived_at)
            if not items:
                return []
            known = _KnownStories.load(session, items)
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
                new_rows.append(dict(source=item.source, external_id=item.external_id, link=item.link,
                                     title=item.title, author=item.author, published_at=item.published_at,
                                     arrived_at=arrived_at, text=item.text, summary=item.summary))
                outcome.append(True)
            ids: list[int] = []
            if new_rows:
                # One executemany, then the ids by link (unique): INSERT ... RETURNING in parameter order
                # makes SQLAlchemy send SQLite one statement per row. Core (the session's connection), not the
                # ORM's bulk insert, for the big inserts: the ORM's bookkeeping costs more than SQLite does.
                connection = session.connection()
                connection.execute(insert(Article.__table__), new_rows)
                links = [item.link for item in fresh]
                by_link = dict(session.execute(select(Article.link, Article.id).where(Article.link.in_(links))).all())
                ids = [by_link[link] for link in links]
                self._add_topics_and_headlines(session, fresh, ids)
                self.search_index.add(connection, [dict(id=i, title=item.title, text=item.text)
                                                   for item, i in zip(fresh, ids)])
            pairs = {(ids[-1 - ref] if ref < 0 else ref, source) for ref, source in also}
            if pairs:
                have = set(session.execute(select(AlsoSource.article_id, AlsoSource.source).where(
                    AlsoSource.article_id.in_({article_id for article_id, _ in pairs}))).all())
                rows = [dict(article_id=a, source=src) for a, src in sorted(pairs - have)]
                if rows:
                    session.execute(insert(AlsoSource), rows)
        return outcome

    @staticmethod
    def _add_topics_and_headlines(session: Session, fresh: list[NewArticle], ids: list[int]) -> None:
        topic_rows, counts, names = [], Counter(), {}
        for item, article_id in zip(fresh, ids):
            seen: set[str] = set()
            for name in item.topics:
                key, name = topic_key(name), " ".join(name.split())
                if key and key not in seen:
                    seen.add(key)
                    topic_rows.append(dict(article_id=article_id, key=key, name=name, position=len(seen),
                                           published_at=item.published_at))
                    counts[key] += 1
                    names.setdefault(key, name)
        if topic_rows:
            session.connection().execute(insert(ArticleTopic.__table__), topic_rows)
        stored = dict(session.execute(select(Topic.key, Topic.article_count).where(Topic.key.in_(counts))).all())
        new_topics = [dict(key=k, name=names[k], article_count=n) for k, n in counts.items() if k not in stored]
        if new_topics:
            session.execute(insert(Topic), new_topics)
        updates = [dict(key=k, article_count=stored[k] + n) for k, n in counts.items() if k in stored]
        if updates:
            session.execute(update(Topic), updates)
        session.connection().execute(insert(ArticleHeadline.__table__), [
            dict(article_id=article_id, day=item.story[0], key=item.story[1]) for item, article_id in zip(fresh, ids)])

    def latest(self, limit: int, topic: str | None = None) -> list[Article]:
        """The most recently published articles, of one topic (by key) if given."""
        with self.session() as session:
            if topic is None:
                query = select(Article).order_by(Article.published_at.desc(), Article.id.desc())
            else:
                query = (
                    select(Article).join(ArticleTopic).where(ArticleTopic.key == topic_key(topic))
                    .order_by(ArticleTopic.published_at.desc(), ArticleTopic.article_id.desc())
                )
            return list(session.scalars(query.limit(limit)))

    def arrived(self, start: datetime, end: datetime) -> list[Article]:
        """Articles stored in ``[start, end)``, newest publication first."""
        with self.session() as session:
            query = (
                select(Article).where(Article.arrived_at >= start, Article.arrived_at < end)
                .order_by(Article.published_at.desc(), Article.id.desc())
            )
            return list(session.scalars(query))

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

    def find_topic(self, name: str) -> Topic | None:
        """The topic of that name, matched case-insensitively."""
        with self.session() as session:
            return session.get(Topic, topic_key(name))

    def older(self, limit: int, before: tuple[datetime, int], topic: str | None = None) -> list[Article]:
        """The page of articles published before ``before`` = (published_at, id), newest first (keyset paging)."""
        moment, article_id = before

        def below(published, ident):  # the `<=` bound lets the index range scan start at the cursor
            return (published <= moment) & or_(published < moment, ident < article_id)

        with self.session() as session:
            if topic is None:
                query = (select(Article).where(below(Article.published_at, Article.id))
                         .order_by(Article.published_at.desc(), Article.id.desc()))
            else:
                query = (
                    select(Article).join(ArticleTopic)
                    .where(ArticleTopic.key == topic_key(topic),
                           below(ArticleTopic.published_at, ArticleTopic.article_id))
                    .order_by(ArticleTopic.published_at.desc(), ArticleTopic.article_id.desc())
                )
            return list(session.scalars(query.limit(limit)))


class _KnownStories:
    """What a batch of new articles may repeat: the stored articles with the same links, source ids or
    headline keys (fetched in a few queries), plus the batch's own earlier items."""

    def __init__(self):
        # each maps to (ref, source): ref is a stored article's id, or -1 - the batch item's index
        self.links: dict[str, tuple[int, str]] = {}
        self.ids: dict[tuple[str, str], tuple[int, str]] = {}
        self.headlines: dict[tuple[date, str], list[tuple[int, str, datetime]]] = {}  # ... and published time

    @classmethod
    def load(cls, session: Session, items: list[NewArticle]) -> _KnownStories:
        # Pairs are looked up one first value at a time (source, day), each with an IN list of second values:
        # that is an index search on every database, where SQLite scans the whole table for (a, b) IN (...).
        known = cls()
        for chunk in chunks(list({item.link for item in items}), CHUNK):
            for row_id, source, link in session.execute(
                    select(Article.id, Article.source, Article.link).where(Article.link.in_(chunk))):
                known.links[link] = (row_id, source)
        for source, external_ids in grouped((item.source, item.external_id) for item in items if item.external_id):
            for chunk in chunks(external_ids, CHUNK):
                for row_id, external_id in session.execute(select(Article.id, Article.external_id).where(
                        Article.source == source, Article.external_id.in_(chunk))):
                    known.ids[(source, external_id)] = (row_id, source)
        for day, keys in grouped((day, item.story[1]) for item in items for day in item.story_days):
            for chunk in chunks(keys, CHUNK):
                query = (select(Article.id, Article.source, Article.published_at, ArticleHeadline.key)
                         .join(ArticleHeadline, ArticleHeadline.article_id == Article.id)
                         .where(ArticleHeadline.day == day, ArticleHeadline.key.in_(chunk)))
                for row_id, source, published_at, key in session.execute(query):
                    known.headlines.setdefault((day, key), []).append((row_id, source, published_at))
        return known

    def find(self, item: NewArticle) -> tuple[int, str] | None:
        if item.external_id and (item.source, item.external_id) in self.ids:
            return self.ids[(item.source, item.external_id)]
        if item.link in self.links:
            return self.links[item.link]
        hits = []
        for day in item.story_days:
            for ref, source, published_at in self.headlines.get((day, item.story[1]), ()):
                gap = abs(published_at - item.published_at)
                if source != item.source and gap <= timedelta(hours=STORY_HOURS):
                    hits.append((gap, ref, source))
        return min(hits)[1:] if hits else None  # the closest in time

    def add(self, item: NewArticle, ref: int) -> None:
        entry = (ref, item.source)
        self.links[item.link] = entry
        if item.external_id:
            self.ids[(item.source, item.external_id)] = entry
        self.headlines.setdefault(item.story, []).append((*entry, item.published_at))
