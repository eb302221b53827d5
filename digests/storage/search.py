"""/search: the one part of the store that differs per database, behind ``SearchIndex``.

SQLite: an external-content FTS5 table over headline and text (Porter stemming, so ``export`` finds
``exporters``), made by the baseline revision (digests/migrations/fts5.py). Any other database: LIKE, until it
has an index of its own (which, like any schema change, comes with a revision).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select, text
from sqlalchemy.engine import Connection, Engine

from digests.models import Article


class SearchIndex:
    """How one database finds the articles holding every word of a search."""

    def add(self, connection: Connection, rows: list[dict]) -> None:
        """Index new articles (``id``, ``title``, ``text``), in the transaction that inserts them."""

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        raise NotImplementedError


class Fts5Search(SearchIndex):
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

