"""All database access: articles, topics, subscribers and deliveries, behind one small ``Store``.

SQLite by default (a file, WAL journal), any SQLAlchemy URL otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy import case, create_engine, delete, event, func, insert, or_, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from digests.filters import Filters
from digests.links import headline_key
from digests.models import (AlsoSource, Article, ArticleHeadline, ArticleTopic, Base, Delivery, IngestedFile,
                            Rendering, SourceState, Subscriber, SubscriberTopic, Topic, topic_key)
from digests.models import ChatFilter, ChatTarget
from digests.schedule import Schedule

# Another source's article with the same headline words published this close in time is the same story. A
# window rather than a calendar day: 04:00 and 06:00 in India fall on two UTC days, and the same headline a
# day later ("Petrol, diesel prices today") is another story.
STORY_HOURS = 12
CONSOLE_KIND = "console"  # the offline `newsdigest chat`: never sent a digest
# Begins the last_error of a delivery that had a message in flight when its sender stopped (a crash).
FATE_UNKNOWN = "fate unknown"
LedgerEntry = tuple[str, int, int, str, "str | None"]  # path, size, mtime_ns, outcome ("done"/"rejected"), reason


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


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._create_search_index()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @property
    def in_memory(self) -> bool:
        """True for an in-memory SQLite database, which no other process can open."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")
                                                       or url.query.get("mode") == "memory")

    def ping(self) -> None:
        """Raises if the database does not answer."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        self.engine.dispose()

    # --- articles -------------------------------------------------------------------------------------------

    def add_articles(self, items: Iterable[NewArticle], arrived_at: datetime,
                     files: Iterable[LedgerEntry] = ()) -> list[bool]:
        """Store the new ones; for each item, True if it was new and False if it was already there.

        ``files`` (the files the items came from) go into the file ledger in the same transaction: a file is
        recorded as read if and only if its articles are stored, whenever the process is stopped.

        An article is the same as a stored one (or an earlier one of the same batch) when it has the same
        source and id, or else the same link, or else a near-identical headline (same words) published by
        another source within ``STORY_HOURS``; the other source is then recorded as also carrying the story. The whole batch
        is a handful of set-based statements, so that large ingests are not held up by the database.
        """
        items = list(items)
        outcome: list[bool] = []
        with self.session() as session, session.begin():
            _record_files(session.connection(), files, arrived_at)
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
                if self._searchable:  # one executemany: an AFTER INSERT trigger costs twice as much per row
                    connection.execute(
                        text("INSERT INTO articles_fts(rowid, title, text) VALUES (:id, :title, :text)"),
                        [dict(id=i, title=item.title, text=item.text) for item, i in zip(fresh, ids)])
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

    # --- subscribers ----------------------------------------------------------------------------------------

    def subscriber(self, chat_id: int) -> Subscriber | None:
        with self.session() as session:
            return session.get(Subscriber, chat_id)

    def subscribe(self, chat_id: int, kind: str, topics: Sequence[Topic] | None, now: datetime,
                  schedule: Schedule) -> Subscriber:
        """Turn the digest on for all topics (``topics`` None) or for the named ones.

        Named topics narrow an all-topics subscription to them, and are added to a chat's existing list.
        ``schedule`` is the chat's effective schedule, for its first digest time.
        """
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is None:
                subscriber = Subscriber(chat_id=chat_id, kind=kind, created_at=now, all_topics=True)
                session.add(subscriber)
            if topics is None or not subscriber.active or subscriber.all_topics:
                subscriber.topics.clear()
            if not subscriber.active or subscriber.next_digest_at is None:
                subscriber.next_digest_at = schedule.next_after(now)
            subscriber.active, subscriber.inactive_reason = True, None
            subscriber.all_topics = topics is None
            if topics is not None:
                have = {topic.key for topic in subscriber.topics}
                subscriber.topics.extend(SubscriberTopic(key=t.key, name=t.name) for t in topics if t.key not in have)
            return subscriber

    def unsubscribe(self, chat_id: int, topics: Sequence[Topic] | None,
                    every_topic: Sequence[Topic] = ()) -> Subscriber | None:
        """Turn the digest off (``topics`` None) or drop some topics from it.

        Dropping a topic from an all-topics subscription keeps every other topic in ``every_topic``;
        dropping the last topic turns the digest off.
        """
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is None or not subscriber.active:
                return subscriber
            if topics is not None:
                drop = {topic.key for topic in topics}
                if subscriber.all_topics:
                    subscriber.all_topics = False
                    subscriber.topics = [SubscriberTopic(key=t.key, name=t.name) for t in every_topic]
                subscriber.topics = [topic for topic in subscriber.topics if topic.key not in drop]
            if topics is None or not subscriber.topics:
                subscriber.active = False
            return subscriber

    def active_subscribers(self) -> list[Subscriber]:
        with self.session() as session:
            query = select(Subscriber).where(Subscriber.active.is_(True), Subscriber.kind != CONSOLE_KIND)
            return list(session.scalars(query.order_by(Subscriber.chat_id)))

    def due_subscribers(self, now: datetime) -> list[Subscriber]:
        """Active chats whose next digest is due at ``now``."""
        with self.session() as session:
            query = select(Subscriber).where(
                Subscriber.active.is_(True), Subscriber.next_digest_at <= now, Subscriber.kind != CONSOLE_KIND)
            return list(session.scalars(query.order_by(Subscriber.next_digest_at)))

    def set_schedule(self, chat_id: int, *, digest_time: time | None = None, timezone: str | None = None,
                     next_digest_at: datetime) -> None:
        """Change a chat's own digest time and/or timezone, and when its next digest falls due."""
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if digest_time is not None:
                subscriber.digest_time = digest_time
            if timezone is not None:
                subscriber.timezone = timezone
            subscriber.next_digest_at = next_digest_at

    def deactivate(self, chat_id: int, reason: str) -> None:
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is not None:
                subscriber.active, subscriber.inactive_reason = False, reason[:300]

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its subscription, topics and deliveries move to the new id."""
        with self.session() as session, session.begin():
            old = session.get(Subscriber, old_id)
            if old is None or session.get(Subscriber, new_id) is not None:
                return
            new = Subscriber(chat_id=new_id, kind="supergroup", active=old.active, all_topics=old.all_topics,
                             created_at=old.created_at, digest_time=old.digest_time, timezone=old.timezone,
                             next_digest_at=old.next_digest_at,
                             topics=[SubscriberTopic(key=t.key, name=t.name) for t in old.topics])
            session.add(new)
            session.flush()
            session.execute(update(Delivery).where(Delivery.chat_id == old_id).values(chat_id=new_id))
            for table in (ChatFilter, ChatTarget):  # its keyword filters and delivery target move too
                session.execute(update(table).where(table.chat_id == old_id).values(chat_id=new_id))
            session.delete(old)

    # --- deliveries -----------------------------------------------------------------------------------------

    def last_window_ends(self, chat_ids: Sequence[int]) -> dict[int, datetime]:
        """Where each chat's previous digest window stopped (chats without one are absent)."""
        with self.session() as session:
            rows = session.execute(
                select(Delivery.chat_id, func.max(Delivery.window_end))
                .where(Delivery.chat_id.in_(chat_ids)).group_by(Delivery.chat_id)
            )
            return dict(rows.all())

    def delivery(self, chat_id: int, day: date) -> Delivery | None:
        with self.session() as session:
            return session.scalar(select(Delivery).where(Delivery.chat_id == chat_id, Delivery.digest_date == day))

    def rendering_for(self, key: str) -> Rendering | None:
        with self.session() as session:
            return session.scalar(select(Rendering).where(Rendering.key == key))

    def save_rendering(self, key: str, messages: str, article_count: int, now: datetime) -> Rendering:
        with self.session() as session, session.begin():
            rendering = Rendering(key=key, messages=messages, article_count=article_count, created_at=now)
            session.add(rendering)
        return rendering

    def rendering(self, rendering_id: int) -> Rendering:
        with self.session() as session:
            return session.get(Rendering, rendering_id)

    def plan_deliveries(self, planned: Sequence[Delivery], next_due: dict[int, datetime]) -> int:
        """Record new deliveries and move each chat's next due time, in one transaction.

        A chat that already has a delivery for that day keeps it (no second digest the same day).
        Returns how many deliveries were added.
        """
        added = 0
        with self.session() as session, session.begin():
            for chat_id, moment in next_due.items():
                session.execute(update(Subscriber).where(Subscriber.chat_id == chat_id).values(next_digest_at=moment))
            if planned:
                existing = set(session.execute(
                    select(Delivery.chat_id, Delivery.digest_date)
                    .where(Delivery.chat_id.in_([d.chat_id for d in planned]))
                ).all())
                for delivery in planned:
                    if (delivery.chat_id, delivery.digest_date) not in existing:
                        session.add(delivery)
                        added += 1
        return added

    def pending_deliveries(self, now: datetime) -> list[Delivery]:
        with self.session() as session:
            query = select(Delivery).join(Subscriber).where(
                Delivery.status == "pending", Subscriber.active.is_(True),
                or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
            )
            return list(session.scalars(query.order_by(Delivery.id)))

    def recover_in_flight(self) -> list[tuple[int, int, int]]:
        """After a crash: the messages handed to Telegram whose answer never came back, as (chat, message
        number from 1, messages in its digest). Their fate is unknown; each counts as sent, and its delivery's
        last_error says so (``FATE_UNKNOWN``), for /stats.

        The request had left, so Telegram almost always has it, and sending it again could be a duplicate.
        """
        with self.session() as session, session.begin():
            stuck = list(session.scalars(select(Delivery).where(Delivery.in_flight.is_(True))))
            unknown = []
            for delivery in stuck:
                unknown.append((delivery.chat_id, delivery.parts_done + 1, delivery.parts_total))
                delivery.last_error = (f"{FATE_UNKNOWN}: message {delivery.parts_done + 1} of "
                                       f"{delivery.parts_total} was in flight when the sender stopped")
                delivery.in_flight = False
                delivery.parts_done += 1
                if delivery.parts_done >= delivery.parts_total:
                    delivery.status = "sent"
            return unknown

    def claim_part(self, delivery_id: int, part: int) -> bool:
        """Mark message ``part`` as being handed to Telegram now; False if someone else already did.

        This and ``part_sent`` run once per message sent, so they are single UPDATEs, not ORM round trips.
        """
        with self.engine.begin() as connection:
            result = connection.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.parts_done == part, Delivery.in_flight.is_(False),
                       Delivery.status == "pending")
                .values(in_flight=True)
            )
            return result.rowcount == 1

    def part_sent(self, delivery_id: int, part: int, now: datetime) -> bool:
        """Telegram accepted message ``part``; returns True when that was the last one."""
        done = Delivery.parts_done + 1 >= Delivery.parts_total
        with self.engine.begin() as connection:
            row = connection.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.parts_done == part)
                .values(parts_done=Delivery.parts_done + 1, in_flight=False, last_error=_KEEP_FATE_UNKNOWN,
                        status=case((done, "sent"), else_=Delivery.status),
                        sent_at=case((done, now), else_=Delivery.sent_at))
                .returning(Delivery.status)
            ).first()
            if row is None:  # already counted (a recovery ran meanwhile)
                row = connection.execute(select(Delivery.status).where(Delivery.id == delivery_id)).first()
            return row.status == "sent"

    def part_not_sent(self, delivery_id: int, error: str, *, retry_at: datetime | None = None,
                      give_up: bool = False) -> None:
        """Telegram did not take the message: try again at ``retry_at``, or give up on this delivery."""
        with self.session() as session, session.begin():
            delivery = session.get(Delivery, delivery_id)
            delivery.in_flight = False
            if not (delivery.last_error or "").startswith(FATE_UNKNOWN):  # that stays on record
                delivery.last_error = error[:300]
            delivery.attempts += 1
            if give_up:
                delivery.status = "failed"
            elif retry_at is not None:
                delivery.next_attempt_at = retry_at

    # --- sources and the file ledger ------------------------------------------------------------------------

    def source_state(self, name: str) -> SourceState | None:
        with self.session() as session:
            return session.get(SourceState, name)

    def record_poll(self, name: str, location: str, now: datetime, next_attempt_at: datetime, *,
                    error: str | None = None, etag: str | None = None, last_modified: str | None = None) -> None:
        """Remember a poll of a URL source: its validators on success, the failure run on error."""
        with self.session() as session, session.begin():
            state = session.get(SourceState, name) or SourceState(name=name, consecutive_failures=0, alerted=False)
            session.add(state)
            state.location, state.last_attempt_at, state.next_attempt_at = location, now, next_attempt_at
            if error is None:
                state.etag, state.last_modified, state.last_success_at = etag, last_modified, now
                state.consecutive_failures, state.first_failure_at, state.alerted = 0, None, False
                state.last_error = None
            else:
                state.consecutive_failures += 1
                state.first_failure_at = state.first_failure_at or now
                state.last_error = error[:2000]

    def sources_to_alert(self, failing_since: datetime) -> list[SourceState]:
        """Sources failing without a break since ``failing_since`` or longer, whose admins were not told."""
        with self.session() as session:
            query = select(SourceState).where(SourceState.first_failure_at <= failing_since,
                                              SourceState.alerted.is_(False))
            return list(session.scalars(query.order_by(SourceState.name)))

    def mark_alerted(self, name: str) -> None:
        with self.session() as session, session.begin():
            state = session.get(SourceState, name)
            if state is not None:
                state.alerted = True

    def file_ledger(self, paths: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Those of ``paths`` read before, as path -> (size, mtime_ns)."""
        found = {}
        with self.session() as session:
            for chunk in _chunks(list(paths), _KnownStories.CHUNK):
                query = select(IngestedFile.path, IngestedFile.size, IngestedFile.mtime_ns).where(
                    IngestedFile.path.in_(chunk))
                found.update((path, (size, mtime_ns)) for path, size, mtime_ns in session.execute(query))
        return found

    def record_files(self, entries: Iterable[LedgerEntry], now: datetime, *, forget: Iterable[str] = ()) -> None:
        """Ledger entries (replacing any for the same paths); ``forget``: paths to drop from the ledger."""
        table = IngestedFile.__table__
        with self.engine.begin() as connection:
            for chunk in _chunks(list(forget), _KnownStories.CHUNK):
                connection.execute(delete(table).where(table.c.path.in_(chunk)))
            _record_files(connection, entries, now)

    def rejected_files(self) -> list[IngestedFile]:
        """Every file the ledger holds as rejected, with its reason, newest first."""
        with self.session() as session:
            query = select(IngestedFile).where(IngestedFile.outcome == "rejected")
            return list(session.scalars(query.order_by(IngestedFile.ingested_at.desc())))

    # --- reader controls: pages, search, filters, delivery targets, figures ---------------------------------

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

    def search(self, words: Sequence[str], limit: int) -> list[Article]:
        """The most recent articles whose headline or text has every word.

        SQLite: the FTS5 index ``articles_fts`` (each word quoted, so no user input is query syntax);
        another database: LIKE (a PostgreSQL tsvector would go here).
        """
        words = [word for word in words if word.strip()]
        if not words:
            return []
        with self.session() as session:
            query = select(Article)
            if self.engine.dialect.name == "sqlite":
                match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
                ids = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match").bindparams(match=match)
                query = query.where(Article.id.in_(ids))
            else:
                for word in words:
                    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                    query = query.where(or_(Article.title.ilike(pattern, escape="\\"),
                                            Article.text.ilike(pattern, escape="\\")))
            query = query.order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
            return list(session.scalars(query))

    def _create_search_index(self) -> None:
        """SQLite only: an external-content FTS5 table over headline and text. ``add_articles`` indexes what it
        inserts; triggers keep the index right if an article is ever changed or deleted."""
        self._searchable = self.engine.dialect.name == "sqlite"
        if not self._searchable:
            return
        with self.engine.begin() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'")).first() is not None
            if exists:
                # databases made before add_articles indexed its rows had an insert trigger: it would index twice
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS articles_fts_insert")
                return
            for statement in FTS_DDL:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")

    def filters(self, chat_id: int) -> Filters:
        return self.filters_of([chat_id]).get(chat_id, Filters())

    def filters_of(self, chat_ids: Sequence[int]) -> dict[int, Filters]:
        """Each chat's keyword filters (chats without any are absent)."""
        found: dict[int, tuple[set[str], set[str]]] = {}
        with self.session() as session:
            for row in session.scalars(select(ChatFilter).where(ChatFilter.chat_id.in_(chat_ids))):
                keep, drop = found.setdefault(row.chat_id, (set(), set()))
                (keep if row.keep else drop).add(row.word)
        return {chat: Filters(frozenset(keep), frozenset(drop)) for chat, (keep, drop) in found.items()}

    def set_filters(self, chat_id: int, keep: Iterable[str], drop: Iterable[str]) -> Filters:
        """Add words to keep or drop (a word moves if it was on the other side)."""
        with self.session() as session, session.begin():
            for word, flag in [*((w, True) for w in keep), *((w, False) for w in drop)]:
                row = session.get(ChatFilter, (chat_id, word)) or ChatFilter(chat_id=chat_id, word=word)
                row.keep = flag
                session.add(row)
        return self.filters(chat_id)

    def clear_filters(self, chat_id: int) -> None:
        with self.session() as session, session.begin():
            session.execute(delete(ChatFilter).where(ChatFilter.chat_id == chat_id))

    def target(self, chat_id: int) -> ChatTarget | None:
        with self.session() as session:
            return session.get(ChatTarget, chat_id)

    def targets(self) -> dict[int, ChatTarget]:
        """Every chat whose digest goes to a forum topic or a channel (few: read whole)."""
        with self.session() as session:
            return {row.chat_id: row for row in session.scalars(select(ChatTarget))}

    def set_target(self, chat_id: int, **change) -> None:
        """Set where the chat's digest goes: ``thread_id`` (a forum topic), ``channel_id`` and ``channel_name``."""
        with self.session() as session, session.begin():
            target = session.get(ChatTarget, chat_id) or ChatTarget(chat_id=chat_id)
            for name, value in change.items():
                setattr(target, name, value)
            session.add(target)

    def figures(self, day_start: datetime) -> dict:
        """What operators see in /stats and `newsdigest stats`."""
        with self.session() as session:
            kinds = Subscriber.kind != CONSOLE_KIND
            return {
                "active": session.scalar(select(func.count()).where(kinds, Subscriber.active.is_(True))) or 0,
                "inactive": session.scalar(select(func.count()).where(kinds, Subscriber.active.is_(False))) or 0,
                "articles": session.scalar(select(func.count(Article.id))) or 0,
                "sources": session.execute(
                    select(Article.source, func.count(Article.id), func.max(Article.published_at))
                    .group_by(Article.source).order_by(Article.source)).all(),
                "topics": session.execute(
                    select(Topic.name, Topic.article_count).order_by(Topic.article_count.desc(), Topic.key)).all(),
                "sent_today": session.scalar(select(func.count(Delivery.id)).where(
                    Delivery.status == "sent", Delivery.sent_at >= day_start)) or 0,
                "failed": session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "failed")) or 0,
                "pending": session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "pending")) or 0,
                "fate_unknown": session.scalar(select(func.count(Delivery.id)).where(
                    Delivery.last_error.startswith(FATE_UNKNOWN))) or 0,
            }

    def source_states(self) -> list[SourceState]:
        """The health of every polled (URL) source, by name."""
        with self.session() as session:
            return list(session.scalars(select(SourceState).order_by(SourceState.name)))

    def all_subscribers(self) -> list[Subscriber]:
        with self.session() as session:
            query = select(Subscriber).where(Subscriber.kind != CONSOLE_KIND).order_by(Subscriber.chat_id)
            return list(session.scalars(query))


# part_sent clears a delivery's error, but not the record that one of its messages had an unknown fate.
_KEEP_FATE_UNKNOWN = case((Delivery.last_error.startswith(FATE_UNKNOWN), Delivery.last_error), else_=None)


class _KnownStories:
    """What a batch of new articles may repeat: the stored articles with the same links, source ids or
    headline keys (fetched in a few queries), plus the batch's own earlier items."""

    CHUNK = 400  # bound parameters per IN (...)

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
        for chunk in _chunks(list({item.link for item in items}), cls.CHUNK):
            for row_id, source, link in session.execute(
                    select(Article.id, Article.source, Article.link).where(Article.link.in_(chunk))):
                known.links[link] = (row_id, source)
        for source, external_ids in _grouped((item.source, item.external_id) for item in items if item.external_id):
            for chunk in _chunks(external_ids, cls.CHUNK):
                for row_id, external_id in session.execute(select(Article.id, Article.external_id).where(
                        Article.source == source, Article.external_id.in_(chunk))):
                    known.ids[(source, external_id)] = (row_id, source)
        for day, keys in _grouped((day, item.story[1]) for item in items for day in item.story_days):
            for chunk in _chunks(keys, cls.CHUNK):
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


def _record_files(connection, entries: Iterable[LedgerEntry], now: datetime) -> None:
    rows = [dict(path=path, size=size, mtime_ns=mtime_ns, outcome=outcome, reason=reason, ingested_at=now)
            for path, size, mtime_ns, outcome, reason in entries]
    table = IngestedFile.__table__
    for chunk in _chunks(rows, _KnownStories.CHUNK):
        connection.execute(delete(table).where(table.c.path.in_([row["path"] for row in chunk])))
    if rows:
        connection.execute(insert(table), rows)


def _grouped(pairs: Iterable[tuple]) -> list[tuple]:
    """(a, b) pairs as [(a, [its distinct b, ...]), ...]."""
    groups: dict = {}
    for first, second in pairs:
        groups.setdefault(first, {})[second] = None
    return [(first, list(seconds)) for first, seconds in groups.items()]


def _chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


FTS_DDL = (
    # porter: "exports" finds "export" and "exporters" too, as readers of news search expect
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
