"""PostgreSQL: article_search's rows narrow whatever an article's length, its tsvector without positions

A search whose matches are all old sorts every match, reading each one's row of ``article_search`` for its
order columns: the fewer pages those rows fill, the faster. PostgreSQL moves a row's tsvector out of line only
when the row is over its TOAST threshold of some 2 KB (``toast_tuple_target`` sets the size it then aims at,
not that threshold), so the tsvectors of short articles (under 2 KB: 14% of the bench's articles) stayed in
their rows and took three quarters of the table (3,650 pages for 100,000 articles). Now:

- ``pad``, a generated column of 2,048 spaces, puts every new row over the threshold; the toaster then
  compresses it to some 30 bytes and moves the tsvector out of line (``toast_tuple_target`` 128), so every
  row is some 100 bytes (1,140 to 1,240 pages for 100,000 articles). ``words`` is stored EXTERNAL: a
  tsvector hardly compresses, and trying costs CPU on every insert.
- ``words`` is ``strip()``ped: /search needs only which words an article has (``plainto_tsquery``: every word,
  no phrase, no ranking), not where. Half the size out of line (one TOAST chunk, not two), the same answers.

The table is copied into its new shape (ids, order columns, stripped words), its GIN index built again, and
the trigger's function replaced. Downgrade computes the words with their positions again from the articles.
SQLite: nothing to do.

Revision ID: 0012_search_rows_narrow
Revises: 0011_search_table
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0012_search_rows_narrow"
down_revision = "0011_search_table"
branch_labels = None
depends_on = None


def _index_rows(words: str) -> str:
    """The function the triggers of revision 0011 run, with ``words`` the tsvector stored."""
    return f"""
CREATE OR REPLACE FUNCTION article_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_search (article_id, date_known, published_at, words)
    SELECT id, date_known, published_at, {words} FROM written
    ON CONFLICT (article_id) DO UPDATE SET date_known = excluded.date_known, published_at = excluded.published_at,
                                           words = excluded.words;
    RETURN NULL;
END
$$
"""


def _rebuilt(columns: str, options: str, words: str, source: str) -> tuple[str, ...]:
    """Statements that make article_search again in a new shape, filled from ``source`` (the old table as
    ``s``), in the order of its dates."""
    return (
        f"CREATE TABLE article_search_next (article_id integer NOT NULL, date_known boolean NOT NULL, "
        f"published_at timestamptz NOT NULL, words tsvector NOT NULL{columns}) WITH (toast_tuple_target = 128)",
        *options,
        f"INSERT INTO article_search_next (article_id, date_known, published_at, words) "
        f"SELECT s.article_id, s.date_known, s.published_at, {words} FROM {source} "
        "ORDER BY s.date_known, s.published_at, s.article_id",  # by date: an old word's matches on fewer pages
        "DROP TABLE article_search",
        "ALTER TABLE article_search_next RENAME TO article_search",
        "ALTER TABLE article_search ADD CONSTRAINT article_search_pkey PRIMARY KEY (article_id)",
        "ALTER TABLE article_search ADD CONSTRAINT article_search_article_id_fkey FOREIGN KEY (article_id) "
        "REFERENCES articles (id) ON DELETE CASCADE",
        "CREATE INDEX ix_article_search_words ON article_search USING gin (words)",
        "ANALYZE article_search",
    )


NARROW = "strip(to_tsvector('newsdigest', title || ' ' || text))"
UPGRADE = (
    *_rebuilt(", pad text GENERATED ALWAYS AS (repeat(' ', 2048)) STORED",
              ["ALTER TABLE article_search_next ALTER COLUMN words SET STORAGE EXTERNAL"],
              "strip(s.words)", "article_search s"),
    _index_rows(NARROW),
)
DOWNGRADE = (
    *_rebuilt("", [], "to_tsvector('newsdigest', a.title || ' ' || a.text)",
              "article_search s JOIN articles a ON a.id = s.article_id"),
    _index_rows("to_tsvector('newsdigest', title || ' ' || text)"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
