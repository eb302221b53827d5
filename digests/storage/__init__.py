"""All database access, one module per concern, brought together in ``Store``.

SQLite by default (a file, WAL journal), any SQLAlchemy URL otherwise. Each module holds the queries of one
concern as a small class; ``Store`` is their sum, so callers hold one object:

- ``articles``: storing batches of articles (one story, one row) and the pages readers ask for
- ``search``: /search, the one part that differs per database (``SearchIndex``)
- ``subscriptions``: chats, their topics, schedules, keyword filters and delivery targets
- ``deliveries``: planned digests and the crash-safe record of each message sent
- ``sources``: the health of polled URL sources
- ``ledger``: which files of the drop folders were read
- ``pace``: the send budget that senders in several processes share
- ``stats``: the figures of /stats

``Store(url)`` only connects: the tables come from the Alembic revisions, applied by ``schema.migrate`` (or
``ensure_schema``, which each command runs first; ``open_store`` does both).
"""

from __future__ import annotations

from digests.storage.articles import STORY_HOURS, ArticleQueries, NewArticle
from digests.storage.base import DatabaseURLError, StoreBase, database_label, database_url, make_engine
from digests.storage.deliveries import DeliveryQueries
from digests.storage.ledger import LedgerEntry, LedgerQueries
from digests.storage.pace import PaceQueries, Reservation
from digests.storage.search import SearchQueries, search_index_for
from digests.storage.sources import SourceQueries
from digests.storage.schema import (SchemaError, current_revision, downgrade, ensure_schema, head_revision, history,
                                    made_before_migrations, migrate)
from digests.storage.stats import StatsQueries
from digests.storage.subscriptions import CONSOLE_KIND, SubscriptionQueries

__all__ = ["CONSOLE_KIND", "STORY_HOURS", "DatabaseURLError", "LedgerEntry", "NewArticle", "SchemaError", "Store",
           "current_revision", "database_label", "database_url", "downgrade", "ensure_schema", "head_revision",
           "history", "made_before_migrations", "make_engine", "migrate", "open_store", "Reservation"]


class Store(ArticleQueries, SearchQueries, SubscriptionQueries, DeliveryQueries, SourceQueries, LedgerQueries,
            PaceQueries, StatsQueries, StoreBase):
    def __init__(self, url: str):
        super().__init__(url)
        self.search_index = search_index_for(self.engine)


def open_store(url: str) -> Store:
    """A Store on a database with this release's schema (``ensure_schema``: SQLite upgraded as needed)."""
    store = Store(url)
    try:
        ensure_schema(store.engine)
    except BaseException:
        store.close()
        raise
    return store
