"""/search: the one part of the store that differs per database, behind ``SearchIndex``.

SQLite: an external-content FTS5 table over headline and text (Porter stemming, so ``export`` finds
``exporters``). Any other database: LIKE, until it has an index of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select, text
from sqlalchemy.engine import Connection, Engine

from digests.models import Article


class SearchIndex:
    """How one database finds the articles holding every word of a search."""

    def install(self, connection: Connection) -> None:
        """Create the index if the database has none yet."""

    def add(self, connection: Connection, rows: list[dict]) -> None:
        """Index new articles (``id``, ``title``, ``text``), in the transaction that inserts them."""

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        raise NotImplementedError


class Fts5Search(SearchIndex):
    def install(self, connection: Connection) -> None:
        exists = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'")).first() is not None
        if exists:
            # databases made before add_articles indexed its rows had an insert trigger: it would index twice
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS articles_fts_insert")
            return
        for statement in FTS_DDL:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")

    def add(self, connection: Connection, rows: list[dict]) -> None:
        # one executemany: an AFTER INSERT trigger costs twice as much per row
        connection.execute(text("INSERT INTO articles_fts(rowid, title, text) VALUES (:id, :title, :text)"), rows)

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)  # quoted: never FTS5 syntax
        return Article.id.in_(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match")
                              .bindparams(match=match))


class LikeSearch(SearchIndex):
    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        clauses = []
        for word in words:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(or_(Article.title.ilike(pattern, escape="\\"), Article.text.ilike(pattern, escape="\\")))
        return and_(*clauses)


def search_index_for(engine: Engine) -> SearchIndex:
    return Fts5Search() if engine.dialect.name == "sqlite" else LikeSearch()


class SearchQueries:
    search_index: SearchIndex

    def search(self, words: Sequence[str], limit: int) -> list[Article]:
        """The most recent articles whose headline or text has every word."""
        words = [word for word in words if word.strip()]
        if not words:
            return []
        with self.session() as session:
            query = (select(Article).where(self.search_index.matching(words))
                     .order_by(Article.date_known.desc(), Article.published_at.desc(), Article.id.desc())
                     .limit(limit))
            return list(session.scalars(query))


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
