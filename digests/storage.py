"""All database access: articles, topics, subscribers and deliveries, behind one small ``Store``.

SQLite by default (a file, WAL journal), any SQLAlchemy URL otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import case, create_engine, delete, event, func, or_, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.filters import Filters
from digests.models import (Article, ArticleTopic, Base, Delivery, Rendering, Subscriber, SubscriberTopic, Topic,
                            topic_key)
from digests.models import ChatFilter, ChatTarget
from digests.schedule import Schedule

CONSOLE_KIND = "console"  # the offline `newsdigest chat`: never sent a digest


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
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self._create_search_index()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    # --- articles -------------------------------------------------------------------------------------------

    def add_articles(self, items: Iterable[NewArticle], arrived_at: datetime) -> list[bool]:
        """Store the new ones; for each item, True if it was new and False if it was already there.

        An article is the same as a stored one when it has the same source and id, or else the same link.
        """
        outcome: list[bool] = []
        with self.session() as session, session.begin():
            for item in items:
                if self._exists(session, item):
                    outcome.append(False)
                    continue
                article = Article(
                    source=item.source, external_id=item.external_id, link=item.link, title=item.title,
                    author=item.author, published_at=item.published_at, arrived_at=arrived_at,
                    text=item.text, summary=item.summary,
                )
                seen: set[str] = set()
                for name in item.topics:
                    key, name = topic_key(name), " ".join(name.split())
                    if key and key not in seen:
                        seen.add(key)
                        article.topics.append(ArticleTopic(
                            key=key, name=name, position=len(seen), published_at=item.published_at,
                        ))
                        topic = session.get(Topic, key) or Topic(key=key, name=name, article_count=0)
                        topic.article_count += 1
                        session.add(topic)
                session.add(article)
                session.flush()
                outcome.append(True)
        return outcome

    @staticmethod
    def _exists(session: Session, item: NewArticle) -> bool:
        same = Article.link == item.link
        if item.external_id:
            same = or_(same, (Article.source == item.source) & (Article.external_id == item.external_id))
        return session.scalar(select(Article.id).where(same).limit(1)) is not None

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

    def recover_in_flight(self) -> int:
        """After a crash: a message that was handed to Telegram without an answer coming back counts as sent.

        It almost always reached Telegram (the request had left); sending it again would be a duplicate.
        """
        with self.session() as session, session.begin():
            stuck = list(session.scalars(select(Delivery).where(Delivery.in_flight.is_(True))))
            for delivery in stuck:
                delivery.in_flight = False
                delivery.parts_done += 1
                if delivery.parts_done >= delivery.parts_total:
                    delivery.status = "sent"
            return len(stuck)

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
                .values(parts_done=Delivery.parts_done + 1, in_flight=False, last_error=None,
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
            delivery.in_flight, delivery.last_error = False, error[:300]
            delivery.attempts += 1
            if give_up:
                delivery.status = "failed"
            elif retry_at is not None:
                delivery.next_attempt_at = retry_at

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
        """SQLite only: an external-content FTS5 table over headline and text, kept in sync by triggers."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.begin() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'")).first() is not None
            if exists:
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
            }

    def all_subscribers(self) -> list[Subscriber]:
        with self.session() as session:
            query = select(Subscriber).where(Subscriber.kind != CONSOLE_KIND).order_by(Subscriber.chat_id)
            return list(session.scalars(query))


FTS_DDL = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
