"""Database tables (SQLAlchemy 2 ORM). Times are stored as UTC and come back as aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, Double, ForeignKey, Index, Integer, MetaData, String, Text,
                        Time, TypeDecorator, UniqueConstraint, false, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from digests.topics import topic_key  # noqa: F401 - the key topics are stored and matched by


class UTCDateTime(TypeDecorator):
    """An aware datetime. PostgreSQL: ``timestamp with time zone``, so that any aware value (however bound)
    means the same instant whatever the session's TimeZone. SQLite has no such type: naive UTC there."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Constraint names as PostgreSQL makes them for unnamed constraints, so that the databases 0.1.0 made (without
# names) have the names later revisions refer to; on SQLite, where 0.1.0's constraints have no name, the batch
# migrations give them these names when they copy a table (see digests/migrations/batch.py).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


class Base(DeclarativeBase):
    """Every table. A change to them ships as an Alembic revision in digests/migrations/versions."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False: neither the item nor its feed gave a date, published_at is when it was first seen; such articles
    # come after every dated one in /latest, /topic and /search (ordered by date_known, published_at, id)
    date_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[ArticleTopic]] = relationship(
        back_populates="article", lazy="selectin", cascade="all, delete-orphan", order_by="ArticleTopic.position"
    )

    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_articles_source_external_id"),
        Index("ix_articles_published", "published_at", "id"),
        Index("ix_articles_latest", "date_known", "published_at", "id"),
        # /search: the order columns of the matches FTS5 finds by id, without reading their rows (revision 0010)
        Index("ix_articles_id_order", "id", "date_known", "published_at"),
        Index("ix_articles_arrived", "arrived_at"),
    )

    @property
    def topic_names(self) -> list[str]:
        return [topic.name for topic in self.topics]


class Topic(Base):
    """A category as readers see it, with its article count kept up to date on insert (so /topics is cheap)."""

    __tablename__ = "topics"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the preferred of the spellings seen (topics.preferred_name)
    article_count: Mapped[int] = mapped_column(Integer, default=0)


class ArticleTopic(Base):
    """An article's category. ``published_at`` is copied here so that ``/topic`` is one index range scan."""

    __tablename__ = "article_topics"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())  # the article's
    article: Mapped[Article] = relationship(back_populates="topics")

    __table_args__ = (Index("ix_article_topics_key_latest", "key", "date_known", "published_at", "article_id"),)


class Subscriber(Base):
    """A chat that may receive the daily digest.

    ``all_topics``: every topic, new ones included, except those of its ``topics`` marked ``excluded``;
    otherwise only its (not excluded) ``topics``: a fixed list, to which new topics are not added.

    ``digest_time`` and ``timezone`` are the chat's own schedule (None: the configured defaults);
    ``next_digest_at`` is when its next digest falls due, kept up to date so that finding the due chats is one
    index range scan however many chats there are.
    """

    __tablename__ = "subscribers"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), default="private")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    all_topics: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest_time: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str | None] = mapped_column(String(64))
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inactive_reason: Mapped[str | None] = mapped_column(String(300))
    topics: Mapped[list[SubscriberTopic]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="SubscriberTopic.name"
    )

    __table_args__ = (Index("ix_subscribers_due", "active", "next_digest_at"),)

    @property
    def topic_keys(self) -> set[str] | None:
        """The fixed list of topics the digest carries, or None when it carries all topics (but the excluded)."""
        return None if self.all_topics else {topic.key for topic in self.topics if not topic.excluded}

    @property
    def excluded_keys(self) -> set[str]:
        """The topics left out of an all-topics digest."""
        return {topic.key for topic in self.topics if topic.excluded} if self.all_topics else set()

    def carries(self, key: str) -> bool:
        """Whether the digest carries the topic (whether or not the chat is subscribed at all)."""
        return key not in self.excluded_keys if self.all_topics else key in self.topic_keys


class SubscriberTopic(Base):
    """A topic a chat chose (its digest carries only its chosen topics) or, on all topics, left out."""

    __tablename__ = "subscriber_topics"

    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Rendering(Base):
    """A digest's messages, rendered once and shared by every chat with the same topics, window and timezone.

    Stored, so that a fan-out resumed after a restart sends exactly the texts it started with.
    """

    __tablename__ = "renderings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    messages: Mapped[str] = mapped_column(Text)  # a JSON list of message texts
    article_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One chat's digest of one local day, and how far its sending got.

    The unique (chat, day) key stops a second digest the same day. ``parts_done`` counts the messages
    Telegram accepted; ``in_flight`` is set (and committed) just before a message is handed to Telegram and
    cleared when the answer comes back, so that after a crash the one message whose fate is unknown is known.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"))
    digest_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    rendering_id: Mapped[int | None] = mapped_column(ForeignKey("renderings.id"))
    # pending: messages still to send; sent: all sent; empty: nothing new for this chat; failed: given up
    status: Mapped[str] = mapped_column(String(20))
    parts_done: Mapped[int] = mapped_column(Integer, default=0)
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    in_flight: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # messages that were in flight when the sender stopped (a crash): counted as sent, fate unknown
    unknown_parts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("chat_id", "digest_date", name="uq_deliveries_chat_day"),
        Index("ix_deliveries_chat_window", "chat_id", "window_end"),
        Index("ix_deliveries_status", "status", "next_attempt_at"),
    )


class SourceState(Base):
    """What the poller remembers of a URL source: conditional-GET validators, schedule, and health."""

    __tablename__ = "source_states"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    location: Mapped[str] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # of the current run of failures
    last_error: Mapped[str | None] = mapped_column(Text)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)  # the admins were told of this run


class IngestedFile(Base):
    """The ledger of files already read: the same path, size and mtime is not parsed again."""

    __tablename__ = "ingested_files"

    path: Mapped[str] = mapped_column(String(2048), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(20))  # "done" or "rejected"
    reason: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleHeadline(Base):
    """An article's headline key and day, so a near-identical headline the same day is found by index."""

    __tablename__ = "article_headlines"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    key: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index("ix_article_headlines_day_key", "day", "key"),)


class StoryWord(Base):
    """A word of an article's headline, by UTC day: how another source's telling of the story (in other words)
    is found among the day's articles without comparing every pair (see ``digests.stories``)."""

    __tablename__ = "story_words"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # the UTC day's ordinal (date.toordinal()):
    # an integer, because this table takes a row per headline word and a date costs more to bind
    word: Mapped[str] = mapped_column(String(40), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)

    # SQLite keeps the rows in the key's order itself (one B-tree, not a table and an index); others ignore it
    __table_args__ = {"sqlite_with_rowid": False}


class AlsoSource(Base):
    """Another source that carried a stored article's story (same link, same headline, or the same event told
    in other words within a day)."""

    __tablename__ = "also_sources"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)


# Added here rather than in Article's body, to keep this feature in one block.
Article.also = relationship(AlsoSource, lazy="selectin", order_by=AlsoSource.source, cascade="all, delete-orphan")
Article.also_sources = property(lambda self: [also.source for also in self.also])


class ChatFilter(Base):
    """A keyword filter of a chat's digest: ``keep`` words admit only items that mention one of them,
    the others drop items that mention them (whole words, case-insensitive, headline or summary)."""

    __tablename__ = "chat_filters"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    keep: Mapped[bool] = mapped_column(Boolean)


class ChatTarget(Base):
    """Where a subscribed chat's digest goes when not simply to the chat: a forum topic (thread) of it,
    or a channel an administrator pointed it at."""

    __tablename__ = "chat_targets"

    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_name: Mapped[str | None] = mapped_column(String(200))


class SendSlot(Base):
    """The send budget all digest senders share (one bot token, one budget): one row per second of the database's
    clock, with the next free slot of that second. A sender reserves a few slots at a time (see
    ``digests.storage.pace``); the slots of a second are spread evenly over it and never more than the cap."""

    __tablename__ = "send_slots"

    second: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Unix time, whole
    next_slot: Mapped[int] = mapped_column(Integer)  # slots before it are taken; it may pass the cap (then: full)
    reserved_at: Mapped[float] = mapped_column(Double)  # the database's clock at the last reservation (Unix time)

    __table_args__ = {"sqlite_with_rowid": False}  # the key is the table (BIGINT is no alias of SQLite's rowid)
