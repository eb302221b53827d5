"""Chats: their subscriptions, schedules, keyword filters and delivery targets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time

from sqlalchemy import delete, select, update

from digests.filters import Filters
from digests.models import ChatFilter, ChatTarget, Delivery, Subscriber, SubscriberTopic, Topic
from digests.schedule import Schedule
from digests.storage.base import retried_on_conflict

CONSOLE_KIND = "console"  # the offline `newsdigest chat`: never sent a digest


class SubscriptionQueries:
    def subscriber(self, chat_id: int) -> Subscriber | None:
        with self.session() as session:
            return session.get(Subscriber, chat_id)

    @retried_on_conflict
    def subscribe(self, chat_id: int, kind: str, topics: Sequence[Topic] | None, now: datetime,
                  schedule: Schedule) -> Subscriber:
        """Turn the digest on for all topics (``topics`` None) or for the named ones.

        All topics clears the topics left out. Named topics narrow an all-topics subscription to them (a fixed
        list), and are added to a chat's fixed list. ``schedule`` is the chat's effective schedule, for its
        first digest time.
        """
        with self.session() as session, session.begin():
            subscriber = self._turned_on(session, chat_id, kind, now, schedule)
            if topics is None or subscriber.all_topics:
                subscriber.topics.clear()
                session.flush()  # the rows go before any of the same key comes back
            subscriber.all_topics = topics is None
            for topic in topics or ():
                self._choose(subscriber, topic)
            return subscriber

    def follow_topic(self, chat_id: int, kind: str, topic: Topic, now: datetime, schedule: Schedule) -> Subscriber:
        """Make the digest carry one more topic: on all topics, it is no longer left out; on a fixed list, it is
        added; a chat without the digest starts one with that topic alone."""
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is not None and subscriber.active and subscriber.all_topics:
                subscriber.topics = [row for row in subscriber.topics if row.key != topic.key]
                return subscriber
            was_on = subscriber is not None and subscriber.active
            subscriber = self._turned_on(session, chat_id, kind, now, schedule)
            if not was_on:
                subscriber.topics.clear()
                session.flush()
                subscriber.all_topics = False
            self._choose(subscriber, topic)
            return subscriber

    def unsubscribe(self, chat_id: int, topics: Sequence[Topic] | None,
                    every_topic: Sequence[Topic] = ()) -> Subscriber | None:
        """Turn the digest off (``topics`` None) or leave some topics out of it.

        On all topics, the topics are recorded as left out and the chat keeps getting every other topic, new
        ones included. On a fixed list, they are taken off it. The digest turns off when nothing of
        ``every_topic`` (the topics there are) would be left.
        """
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is None or not subscriber.active:
                return subscriber
            if topics is not None:
                drop = {topic.key: topic for topic in topics}
                kept = [row for row in subscriber.topics if row.key not in drop]
                if subscriber.all_topics:
                    kept += [SubscriberTopic(key=t.key, name=t.name, excluded=True) for t in drop.values()]
                subscriber.topics = kept
            if topics is None:
                subscriber.active = False
            elif subscriber.all_topics:
                subscriber.active = not every_topic or any(subscriber.carries(t.key) for t in every_topic)
            else:
                subscriber.active = bool(subscriber.topic_keys)
            return subscriber

    def set_all_topics(self, chat_id: int, kind: str, on: bool, every_topic: Sequence[Topic], now: datetime,
                       schedule: Schedule) -> Subscriber:
        """On: every topic, new ones included (and the digest on). Off: a fixed list of the topics the digest
        carries now, to which new topics are not added."""
        if on:
            return self.subscribe(chat_id, kind, None, now, schedule)
        with self.session() as session, session.begin():
            subscriber = session.get(Subscriber, chat_id)
            if subscriber is None or not subscriber.active or not subscriber.all_topics:
                return subscriber
            carried = [topic for topic in every_topic if subscriber.carries(topic.key)]
            subscriber.topics.clear()
            session.flush()
            subscriber.all_topics = False
            subscriber.topics.extend(SubscriberTopic(key=t.key, name=t.name) for t in carried)
            subscriber.active = bool(carried)
            return subscriber

    @staticmethod
    def _turned_on(session, chat_id: int, kind: str, now: datetime, schedule: Schedule) -> Subscriber:
        subscriber = session.get(Subscriber, chat_id)
        if subscriber is None:
            subscriber = Subscriber(chat_id=chat_id, kind=kind, created_at=now, all_topics=True)
            session.add(subscriber)
        if not subscriber.active:
            subscriber.topics.clear()
            session.flush()
        if not subscriber.active or subscriber.next_digest_at is None:
            subscriber.next_digest_at = schedule.next_after(now)
        subscriber.active, subscriber.inactive_reason = True, None
        return subscriber

    @staticmethod
    def _choose(subscriber: Subscriber, topic: Topic) -> None:
        if all(row.key != topic.key for row in subscriber.topics):
            subscriber.topics.append(SubscriberTopic(key=topic.key, name=topic.name))

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
                             topics=[SubscriberTopic(key=t.key, name=t.name, excluded=t.excluded)
                                     for t in old.topics])
            session.add(new)
            session.flush()
            session.execute(update(Delivery).where(Delivery.chat_id == old_id).values(chat_id=new_id))
            for table in (ChatFilter, ChatTarget):  # its keyword filters and delivery target move too
                session.execute(update(table).where(table.chat_id == old_id).values(chat_id=new_id))
            session.delete(old)

    # --- deliveries -----------------------------------------------------------------------------------------

    def all_subscribers(self) -> list[Subscriber]:
        with self.session() as session:
            query = select(Subscriber).where(Subscriber.kind != CONSOLE_KIND).order_by(Subscriber.chat_id)
            return list(session.scalars(query))

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

    @retried_on_conflict
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

    @retried_on_conflict
    def set_target(self, chat_id: int, **change) -> None:
        """Set where the chat's digest goes: ``thread_id`` (a forum topic), ``channel_id`` and ``channel_name``."""
        with self.session() as session, session.begin():
            target = session.get(ChatTarget, chat_id) or ChatTarget(chat_id=chat_id)
            for name, value in change.items():
                setattr(target, name, value)
            session.add(target)
