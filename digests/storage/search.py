"""/search: the one part of the store that differs per database, behind ``SearchIndex``.

SQLite: an external-content FTS5 table over headline and text (Porter stemming, so ``export`` finds
``exporters``). PostgreSQL: a generated ``tsvector`` column with a GIN index (Snowball English stemming, the
same family, keeping stop words as SQLite does). Either way every word must be found, and what users type
is only ever words, never query syntax.

Both answer "the newest articles with these words" without sorting every match by date, which for a word
found in every article costs tens of milliseconds at 100,000 articles; each in its own way, as each index
allows (see the two ``newest`` methods).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from digests.models import Article


class SearchIndex:
    """How one database finds the articles holding every word of a search."""

    def install(self, connection: Connection) -> None:
        """Create the index if the database has none yet."""

    def add(self, connection: Connection, rows: list[dict]) -> None:
        """Index new articles (``id``, ``title``, ``text``), in the transaction that inserts them."""

    def rebuild(self, connection: Connection) -> None:
        """Index every stored article again: after rows were written other than by ``add_articles``."""

    def newest(self, connection: Connection, words: Sequence[str], limit: int) -> list[int]:
        """The ids of the ``limit`` most recently published articles with every word, newest first."""
        raise NotImplementedError


class Fts5Search(SearchIndex):
    """FTS5 gives its matches in rowid (article id) order only, and ids follow arrival, which follows
    publication closely but not exactly (a feed lists its newest item first). So matches are read newest id
    first, a page or two, until no article not yet read could be newer than the ``limit``-th newest found:
    the few that could (published at least as late, id lower) are checked one by one. Where ids do not follow
    dates (an archive copied in any order) this does not settle it, and every match is looked at, as the
    publication index is walked newest first."""

    PAGES = (64, 1024)
    FEW = 32  # articles checked one by one rather than read another page for

    def install(self, connection: Connection) -> None:
        exists = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'")).first() is not None
        if exists:
            # databases made before add_articles indexed its rows had an insert trigger: it would index twice
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS articles_fts_insert")
            return
        for statement in FTS_DDL:
            connection.exec_driver_sql(statement)
        self.rebuild(connection)

    def rebuild(self, connection: Connection) -> None:
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")

    def add(self, connection: Connection, rows: list[dict]) -> None:
        # one executemany: an AFTER INSERT trigger costs twice as much per row
        connection.execute(text("INSERT INTO articles_fts(rowid, title, text) VALUES (:id, :title, :text)"), rows)

    def newest(self, connection: Connection, words: Sequence[str], limit: int) -> list[int]:
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)  # quoted: never FTS5 syntax
        top: list[tuple[datetime, int]] = []  # (published, id) of the newest matches read so far
        below = 2**63 - 1  # matches with lower ids are not read yet
        for page in self.PAGES:
            ids = [row[0] for row in connection.execute(_FTS_PAGE, dict(match=match, below=below, page=page))]
            top = _newest(top, _published(connection, ids), limit)
            if len(ids) < page:  # every match read
                return [ident for _, ident in top]
            below = ids[-1]
            if len(top) == limit:
                unread = list(connection.scalars(  # could be newer than the limit-th, and was not read
                    select(Article.id).where(Article.published_at >= top[-1][0], Article.id < below)
                    .limit(self.FEW + 1)))
                if len(unread) <= self.FEW:
                    matching = [ident for ident in unread
                                if connection.execute(_FTS_HAS, dict(match=match, id=ident)).first()]
                    return [ident for _, ident in _newest(top, _published(connection, matching), limit)]
        return list(connection.scalars(_FTS_ALL, dict(match=match, limit=limit)))


_FTS_PAGE = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match AND rowid < :below "
                 "ORDER BY rowid DESC LIMIT :page")
_FTS_HAS = text("SELECT 1 FROM articles_fts WHERE articles_fts MATCH :match AND rowid = :id")
# every match, kept aside, while the publication index is walked newest first until the limit is found
_FTS_ALL = text("SELECT id FROM articles INDEXED BY ix_articles_published WHERE id IN "
                "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match) "
                "ORDER BY published_at DESC, id DESC LIMIT :limit")


def _published(connection: Connection, ids: list[int]) -> list[tuple[datetime, int]]:
    if not ids:
        return []
    return [(published, ident) for ident, published in
            connection.execute(select(Article.id, Article.published_at).where(Article.id.in_(ids)))]


def _newest(top: list[tuple[datetime, int]], more: list[tuple[datetime, int]], limit: int) -> list[tuple[datetime, int]]:
    return sorted(top + more, reverse=True)[:limit]


class TsvectorSearch(SearchIndex):
    """Headline and text as a stored generated tsvector (PostgreSQL keeps it up to date itself), GIN-indexed.

    Left to itself, the planner walks the articles newest first testing each (right for common words) even
    for a rare word, reading the whole table. So: first the newest ``RECENT`` articles are tested, which
    settles any word found at least ``limit`` times among them; otherwise the GIN index gives every match,
    which for such a word are few, sorted by date."""

    RECENT = 1000

    def install(self, connection: Connection) -> None:
        # moves into an Alembic revision at merge. Looked for first: even with IF NOT EXISTS, ALTER TABLE
        # would lock the articles of every other process each time one starts
        if connection.exec_driver_sql("SELECT 1 FROM pg_attribute WHERE attrelid = 'articles'::regclass "
                                      "AND attname = 'search' AND NOT attisdropped").first() is None:
            for statement in TSVECTOR_DDL:
                connection.exec_driver_sql(statement)

    def newest(self, connection: Connection, words: Sequence[str], limit: int) -> list[int]:
        # plainto_tsquery: every word must be there (AND), and nothing the user types is query syntax
        values = dict(words=" ".join(words), limit=limit, recent=self.RECENT)
        ids = list(connection.scalars(_TS_RECENT, values))
        if len(ids) < limit:
            ids = list(connection.scalars(_TS_ALL, values))
        return ids


_TS_QUERY = "search @@ plainto_tsquery('newsdigest', :words)"
_TS_RECENT = text(f"""SELECT id FROM (SELECT id, published_at, search FROM articles
                                      ORDER BY published_at DESC, id DESC LIMIT :recent) AS recent
                      WHERE {_TS_QUERY} ORDER BY published_at DESC, id DESC LIMIT :limit""")
_TS_ALL = text(f"""WITH matching AS MATERIALIZED (SELECT id, published_at FROM articles WHERE {_TS_QUERY})
                   SELECT id FROM matching ORDER BY published_at DESC, id DESC LIMIT :limit""")


def search_index_for(engine: Engine) -> SearchIndex:
    return TsvectorSearch() if engine.dialect.name == "postgresql" else Fts5Search()


class SearchQueries:
    search_index: SearchIndex

    def search(self, words: Sequence[str], limit: int) -> list[Article]:
        """The most recent articles whose headline or text has every word."""
        words = [word for word in words if word.strip()]
        if not words:
            return []
        with self.session() as session:
            ids = self.search_index.newest(session.connection(), words, limit)
            articles = {article.id: article for article in session.scalars(select(Article).where(Article.id.in_(ids)))}
            return [articles[ident] for ident in ids]


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

# PostgreSQL's search: moves into an Alembic revision at merge
TSVECTOR_DDL = (
    # a text search configuration like 'english' (Snowball stemming) that keeps stop words, as SQLite's porter
    # tokenizer does: a search for "the who" must find articles with both words, not every article
    """DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'newsdigest'
                   AND cfgnamespace = current_schema()::regnamespace) THEN
        CREATE TEXT SEARCH DICTIONARY newsdigest_stem (TEMPLATE = snowball, LANGUAGE = english);
        CREATE TEXT SEARCH CONFIGURATION newsdigest (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION newsdigest
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH newsdigest_stem;
    END IF;
    END $$""",
    "ALTER TABLE articles ADD COLUMN IF NOT EXISTS search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('newsdigest', title || ' ' || text)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_articles_search ON articles USING gin (search)",
)
