"""/search: the one part of the store that differs per database, behind ``SearchIndex``.

SQLite: an external-content FTS5 table over headline and text (Porter stemming, so ``export`` finds
``exporters``), made by the baseline revision (digests/migrations/fts5.py). PostgreSQL: a generated ``tsvector``
column with a GIN index (Snowball English stemming, the same family, keeping stop words as SQLite does), made by
revision 0007. Either way every word must be found, and what users type is only ever words, never query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.engine import Connection, Engine

from digests.models import Article


class SearchIndex:
    """How one database finds the articles holding every word of a search."""

    def add(self, connection: Connection, rows: list[tuple[int, str, str]]) -> None:
        """Index new articles (id, title, text), in the transaction that inserts them."""

    def rebuild(self, connection: Connection) -> None:
        """Index every stored article again: after rows were written other than by ``add_articles``."""

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        raise NotImplementedError


class Fts5Search(SearchIndex):
    def add(self, connection: Connection, rows: list[tuple[int, str, str]]) -> None:
        # one executemany, through the driver: an AFTER INSERT trigger costs twice as much per row
        if rows:
            connection.exec_driver_sql("INSERT INTO articles_fts(rowid, title, text) VALUES (?, ?, ?)", rows)

    def rebuild(self, connection: Connection) -> None:
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)  # quoted: never FTS5 syntax
        return Article.id.in_(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match")
                              .bindparams(match=match))


class TsvectorSearch(SearchIndex):
    """Headline and text as a stored generated tsvector (PostgreSQL keeps it up to date itself), GIN-indexed."""

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        # plainto_tsquery: every word must be there (AND), and nothing the user types is query syntax
        return text("articles.search @@ plainto_tsquery('newsdigest', :words)").bindparams(words=" ".join(words))


def search_index_for(engine: Engine) -> SearchIndex:
    return TsvectorSearch() if engine.dialect.name == "postgresql" else Fts5Search()


class SearchQueries:
    search_index: SearchIndex

    def search(self, words: Sequence[str], limit: int) -> list[Article]:
        """The most recent articles whose headline or text has every word (undated ones after the dated)."""
        words = [word for word in words if word.strip()]
        if not words:
            return []
        with self.session() as session:
            query = (select(Article).where(self.search_index.matching(words))
                     .order_by(Article.date_known.desc(), Article.published_at.desc(), Article.id.desc())
                     .limit(limit))
            return list(session.scalars(query))
