"""/search: the one part of the store that differs per database, behind ``SearchIndex``.

SQLite: an external-content FTS5 table over headline and text (Porter stemming, so ``export`` finds
``exporters``), made by the baseline revision (digests/migrations/fts5.py). PostgreSQL: a ``tsvector`` with a
GIN index (Snowball English stemming, the same family, keeping stop words as SQLite does) in a narrow table of
its own filled by triggers (revision 0011). Either way every word must be found, and what users type is only
ever words, never query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (Boolean, ColumnElement, Integer, and_, bindparam, column, func, literal_column, or_, select,
                        table, text)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from digests.models import Article
from digests.storage.articles import page_after


Cursor = tuple[bool, datetime, int]  # (date_known, published_at, id): where a page ends, in the order readers see
ORDER = (Article.date_known.desc(), Article.published_at.desc(), Article.id.desc())
KEY = (Article.date_known, Article.published_at, Article.id)


class SearchIndex:
    """How one database finds the articles holding every word of a search.

    A search's answer is the first page of its matches in the order readers see. Where the matches are few
    (``few``) they are all found and sorted (``newest``). Otherwise the articles are read newest first, a page
    of ``PAGES`` at a time, keeping each page's matches (``page``): a page or two when the matches are many
    or recent. When the pages are read without filling the answer (matches all old), the rest of the matches
    are sorted after all."""

    PAGES: tuple[int, ...] = (64, 256)  # after these, sorting every match costs less than more pages
    # Sort the rest as soon as a page holds no match at all: the matches, many as they are, are not spread
    # through time (a word of an old story), so more pages are likely to hold none either.
    SORT_AFTER_EMPTY_PAGE = False

    def add(self, connection: Connection, rows: list[tuple[int, str, str]]) -> None:
        """Index new articles (id, title, text), in the transaction that inserts them."""

    def rebuild(self, connection: Connection) -> None:
        """Index every stored article again: after rows were written other than by ``add_articles``."""

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        """The condition on ``articles`` that an article has every word."""
        raise NotImplementedError

    def few(self, connection: Connection, words: Sequence[str]) -> bool:
        """True if so few articles have every word that sorting them all costs less than reading pages."""
        return False

    def among(self, connection: Connection, words: Sequence[str], ids: Sequence[int]) -> set[int]:
        """Which of these articles have every word."""
        raise NotImplementedError

    def page(self, session: Session, words: Sequence[str], after: Cursor | None, count: int
             ) -> tuple[list[Cursor], set[int]]:
        """The keys of the next ``count`` articles after ``after``, and the ids of those that have every word."""
        keys = [tuple(row) for row in page_after(session, KEY, count, after)]
        return keys, self.among(session.connection(), words, [key[2] for key in keys]) if keys else set()

    def newest(self, connection: Connection, words: Sequence[str], limit: int, after: Cursor | None) -> list[int]:
        """The first ``limit`` matches after ``after`` in the order readers see, every match sorted (there may
        be thousands)."""
        query = select(Article.id).where(self.matching(words))
        if after is not None:
            query = query.where(beyond(after))
        return list(connection.scalars(query.order_by(*ORDER).limit(limit)))


def _fts5_match(words: Sequence[str]) -> str:
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)  # quoted: never FTS5 syntax


class Fts5Search(SearchIndex):
    """FTS5 finds an article's words by its id (the rowid), and reads the matches in a range of ids at the cost
    of the matches in it; it knows nothing of dates."""

    FEW = 500  # matches sorted in about 1 ms
    RANGE_ROWS = 2000  # matches read from a page's range of ids before looking the ids up one by one
    SORT_MOST = 10_000  # matches sorted (some 1.3 µs each) where ids do not follow dates

    def add(self, connection: Connection, rows: list[tuple[int, str, str]]) -> None:
        # one executemany, through the driver: an AFTER INSERT trigger costs twice as much per row
        if rows:
            connection.exec_driver_sql("INSERT INTO articles_fts(rowid, title, text) VALUES (?, ?, ?)", rows)

    def rebuild(self, connection: Connection) -> None:
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        return Article.id.in_(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match")
                              .bindparams(match=_fts5_match(words)))

    def few(self, connection: Connection, words: Sequence[str]) -> bool:
        # Counted up to FEW + 1 only (reading the matches' ids costs a fraction of a µs each). Where ids do not
        # follow dates (an archive that came in out of order), each page's ids spread over the whole table and a
        # page costs the more the more matches it has: up to SORT_MOST matches are sorted for less.
        newest = (select(Article.id).where(Article.date_known.is_(True))
                  .order_by(Article.published_at.desc(), Article.id.desc()).limit(self.PAGES[0]).subquery())
        spread = connection.scalar(select(func.max(newest.c.id) - func.min(newest.c.id))) or 0
        most = self.SORT_MOST if spread > 4 * self.PAGES[0] else self.FEW
        return connection.scalar(_FTS5_COUNT, dict(match=_fts5_match(words), most=most + 1)) <= most

    def among(self, connection: Connection, words: Sequence[str], ids: Sequence[int]) -> set[int]:
        # The matches in the ids' range, kept if among them: ids follow arrival, and a page of articles by date
        # is a narrow range of them, whose matches cost a fraction of a µs each. Where an archive came in out of
        # order the range is wide, and a common word has tens of thousands of matches in it (80 ms for a word
        # in every article of 100,000): past RANGE_ROWS the ids are looked up one by one instead ("rowid IN":
        # a seek into each word's list per id, some 30 to 90 µs each, 2 to 5 ms a page).
        wanted = set(ids)
        match = _fts5_match(words)
        found = connection.scalars(_FTS5_RANGE, dict(match=match, low=min(wanted), high=max(wanted),
                                                     most=self.RANGE_ROWS + 1)).all()
        if len(found) > self.RANGE_ROWS:
            found = connection.scalars(_FTS5_IDS, dict(match=match, ids=sorted(wanted))).all()
        return wanted.intersection(found)

    def newest(self, connection: Connection, words: Sequence[str], limit: int, after: Cursor | None) -> list[int]:
        # The order columns of each match from ix_articles_id_order (about 1 µs each): its row would take ten
        statement = text("SELECT id FROM articles INDEXED BY ix_articles_id_order WHERE id IN (SELECT rowid FROM "
                         "articles_fts WHERE articles_fts MATCH :match) AND (:top OR date_known = :known AND "
                         "(published_at < :moment OR published_at = :moment AND id < :id) OR :known AND NOT date_known) "
                         "ORDER BY date_known DESC, published_at DESC, id DESC LIMIT :limit").bindparams(
            bindparam("moment", type_=Article.published_at.type))
        known, moment, ident = after or (True, datetime.now(UTC), 0)
        return list(connection.scalars(statement, dict(match=_fts5_match(words), limit=limit, top=after is None,
                                                       known=known, moment=moment, id=ident)))


_FTS5_IDS = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match AND rowid IN :ids").bindparams(
    bindparam("ids", expanding=True))
_FTS5_COUNT = text("SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH :match LIMIT :most)")
_FTS5_RANGE = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match AND rowid BETWEEN :low AND :high "
                   "LIMIT :most")


SEARCHED = table("article_search", column("article_id", Integer), column("date_known", Boolean),
                 column("published_at", Article.published_at.type), column("words"))
SEARCHED_KEY = (SEARCHED.c.date_known, SEARCHED.c.published_at, SEARCHED.c.article_id)


class TsvectorSearch(SearchIndex):
    """Headline and text as a tsvector in a narrow table of its own, ``article_search`` (revision 0011: the
    article's id, its order columns and the tsvector, out of line), GIN-indexed, filled and kept up to date by
    triggers on ``articles``, deleted with the article. The tsvector has no positions (revision 0012): a search
    asks only whether an article has every word.

    The GIN index finds matches as rows of ``article_search``, each with the order columns: the matches are
    sorted without reading any article's row (its text and summary: some five a page). Some 80 rows a page,
    however short the articles (revision 0012: a padding column puts every row over PostgreSQL's 2 KB TOAST
    threshold, so the tsvector always goes out of line).
    Whether the matches are few is the planner's estimate, from the column's statistics (its most common
    words and their frequencies): counting them from the GIN index would read a common word's whole list,
    and testing an article's words reads its tsvector (out of line: some 10 µs each, which is why the pages are
    short too)."""

    FEW = 1000  # matches sorted in a few ms; a word the statistics do not know is estimated at 500
    # Testing a row reads its tsvector from out of line (some 10 µs); sorting a match reads its narrow row (some
    # 80 a page): a page of 256 costs as much as sorting a few thousand matches, so an empty first page
    # (a word found only in old articles) goes straight to sorting (monsoon in the bench: 320 rows tested
    # before, 64 now; median 38 to 28 ms on a loaded machine).
    SORT_AFTER_EMPTY_PAGE = True

    def matching(self, words: Sequence[str]) -> ColumnElement[bool]:
        return Article.id.in_(select(SEARCHED.c.article_id).where(_has(words)))

    def few(self, connection: Connection, words: Sequence[str]) -> bool:
        [plan] = connection.scalar(_TSVECTOR_ESTIMATE, dict(words=" ".join(words)))
        return plan["Plan"]["Plan Rows"] <= self.FEW

    def page(self, session: Session, words: Sequence[str], after: Cursor | None, count: int
             ) -> tuple[list[Cursor], set[int]]:
        # the keys and the test in one statement: a round trip per page. A scalar subquery, looked up by id for
        # each article: as EXISTS the planner would test every article's words once, to hash the matches
        has = select(_has(words)).where(SEARCHED.c.article_id == Article.id).scalar_subquery()
        rows = page_after(session, (*KEY, has), count, after)
        return [tuple(row[:3]) for row in rows], {row[2] for row in rows if row[3]}

    def newest(self, connection: Connection, words: Sequence[str], limit: int, after: Cursor | None) -> list[int]:
        # Every match from the GIN index (a bitmap), then sorted. Never by reading the whole table, which the
        # planner costs as cheap for a common word, not counting each row's tsvector to fetch from out of line
        # (a word in every article: 1.2 s that way, 0.1 s from the index, on a loaded machine). For this
        # transaction only: the store's next statement (the articles by id) needs no sequential scan either.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        query = select(SEARCHED.c.article_id).where(_has(words))
        if after is not None:
            query = query.where(beyond(after, SEARCHED_KEY))
        return list(connection.scalars(query.order_by(*(part.desc() for part in SEARCHED_KEY)).limit(limit)))


def _has(words: Sequence[str]) -> ColumnElement[bool]:
    # plainto_tsquery: every word must be there (AND), and nothing the user types is query syntax
    return SEARCHED.c.words.op("@@")(func.plainto_tsquery(literal_column("'newsdigest'"), " ".join(words)))


_TSVECTOR_ESTIMATE = text("EXPLAIN (FORMAT JSON) SELECT 1 FROM article_search "
                          "WHERE words @@ plainto_tsquery('newsdigest', :words)")


def search_index_for(engine: Engine) -> SearchIndex:
    return TsvectorSearch() if engine.dialect.name == "postgresql" else Fts5Search()


class SearchQueries:
    search_index: SearchIndex

    def search(self, words: Sequence[str], limit: int, after: Cursor | None = None) -> list[Article]:
        """The most recent articles whose headline or text has every word (undated ones after the dated), from
        the one after ``after`` if given: the same answer as sorting every match, without doing so when the
        matches are many (see ``SearchIndex``)."""
        words = [word for word in words if word.strip()]
        if not words or limit < 1:
            return []
        with self.session() as session:
            if self.search_index.few(session.connection(), words):
                ids = self.search_index.newest(session.connection(), words, limit, after)
            else:
                ids = self._newest_first(session, words, limit, after)
            if not ids:
                return []
            shown = {article.id: article for article in session.scalars(select(Article).where(Article.id.in_(ids)))}
            return [shown[ident] for ident in ids]

    def _newest_first(self, session: Session, words: Sequence[str], limit: int, after: Cursor | None) -> list[int]:
        found: list[int] = []
        for page in self.search_index.PAGES:
            keys, hits = self.search_index.page(session, words, after, page)
            found += [key[2] for key in keys if key[2] in hits][:limit - len(found)]
            if len(found) == limit or len(keys) < page:
                return found
            after = keys[-1]
            if not hits and self.search_index.SORT_AFTER_EMPTY_PAGE:
                break
        return found + self.search_index.newest(session.connection(), words, limit - len(found), after)



def beyond(cursor: Cursor, key=KEY) -> ColumnElement[bool]:
    """Articles after the cursor in the order readers see (``key``: the columns of date_known, published_at, id)."""
    known, moment, ident = cursor
    date_known, published_at, article_id = key
    later = and_(date_known.is_(known), or_(published_at < moment, and_(published_at == moment, article_id < ident)))
    return or_(later, date_known.is_(False)) if known else later
