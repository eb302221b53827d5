"""PostgreSQL: /search's tsvector in a narrow table of its own, article_search, filled by triggers

A search sorts its matches by date. With the tsvector a column of ``articles``, the GIN index's matches were
rows of that wide table (texts and summaries: some five articles a page), so sorting the 9,000 matches of a word
found only in old articles read 3,600 of its pages, and 9,000 in an archive copied in out of order.
``article_search`` holds per article only its id, the order columns (date_known, published_at) and the tsvector;
``toast_tuple_target`` at its least moves a tsvector out of line rather than compressing it in the row, so the
rows are some 80 a page, and the same matches are 200 to 1,200 pages of it, where the tsvectors are out of
line. A row under PostgreSQL's TOAST threshold of 2 KB is never toasted, though: the trigger's uncompressed
tsvector of an article of some 90 to 180 words stays in the row (copied here compressed, fewer do), which
makes the table written by ingest some 30 rows a page with the bench's articles (README, Benchmarks). The GIN
index is on it; ``articles`` loses the generated column and its index.

Triggers keep it whole, however articles are written (an ingest's COPY, ``newsdigest db copy``'s inserts, a
hand-written UPDATE): one statement-level trigger per INSERT and UPDATE of ``articles`` indexes the rows it
wrote (Snowball English stemming keeping stop words, the ``newsdigest`` configuration of revision 0007); the
foreign key deletes an article's row with the article. SQLite: nothing to do (FTS5 is its index).

Revision ID: 0011_search_table
Revises: 0010_search_order_index
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0011_search_table"
down_revision = "0010_search_order_index"
branch_labels = None
depends_on = None

INDEX_ROWS = """
CREATE FUNCTION article_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_search (article_id, date_known, published_at, words)
    SELECT id, date_known, published_at, to_tsvector('newsdigest', title || ' ' || text) FROM written
    ON CONFLICT (article_id) DO UPDATE SET date_known = excluded.date_known, published_at = excluded.published_at,
                                           words = excluded.words;
    RETURN NULL;
END
$$
"""
UPGRADE = (
    "CREATE TABLE article_search (article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE, "
    "date_known boolean NOT NULL, published_at timestamptz NOT NULL, words tsvector NOT NULL) "
    "WITH (toast_tuple_target = 128)",
    "INSERT INTO article_search (article_id, date_known, published_at, words) "
    "SELECT id, date_known, published_at, search FROM articles ORDER BY id",
    "CREATE INDEX ix_article_search_words ON article_search USING gin (words)",
    INDEX_ROWS,
    "CREATE TRIGGER article_search_insert AFTER INSERT ON articles REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION article_search_index()",
    "CREATE TRIGGER article_search_update AFTER UPDATE ON articles REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION article_search_index()",
    "DROP INDEX ix_articles_search",
    "ALTER TABLE articles DROP COLUMN search",
    "ANALYZE article_search",  # the planner's estimate of a search's matches (SearchIndex.few) from the start
)
DOWNGRADE = (
    "DROP TRIGGER article_search_update ON articles",
    "DROP TRIGGER article_search_insert ON articles",
    "DROP FUNCTION article_search_index()",
    "ALTER TABLE articles ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('newsdigest', title || ' ' || text)) STORED",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
    "DROP TABLE article_search",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
