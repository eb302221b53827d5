"""The figures operators see in /stats and `newsdigest stats`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from digests.models import Article, Delivery, Subscriber, Topic
from digests.storage.subscriptions import CONSOLE_KIND


class StatsQueries:
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
                "fate_unknown": session.scalar(select(func.count(Delivery.id)).where(Delivery.unknown_parts > 0)) or 0,
            }
