"""PostgreSQL: times with their zone (timestamptz), and /search's tsvector column with its GIN index

On PostgreSQL every time column becomes ``timestamptz`` (the values were UTC already), and articles get a
stored generated ``search`` column (headline and text, Snowball English stemming keeping stop words, as
SQLite's porter tokenizer does) with a GIN index. SQLite: nothing to do (its FTS5 index came with the baseline).

Revision ID: 0007_postgresql
Revises: 0006_story_words
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0007_postgresql"
down_revision = "0006_story_words"
branch_labels = None
depends_on = None

TIME_COLUMNS = {
    "articles": ["published_at", "arrived_at"], "article_topics": ["published_at"],
    "subscribers": ["created_at", "next_digest_at"], "deliveries": ["window_start", "window_end", "next_attempt_at",
                                                                    "sent_at", "created_at"],
    "renderings": ["created_at"], "source_states": ["last_attempt_at", "next_attempt_at", "last_success_at",
                                                    "first_failure_at"],
    "ingested_files": ["ingested_at"],
}
SEARCH_DDL = (
    "CREATE TEXT SEARCH DICTIONARY newsdigest_stem (TEMPLATE = snowball, LANGUAGE = english)",
    "CREATE TEXT SEARCH CONFIGURATION newsdigest (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION newsdigest ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, "
    "hword, hword_part WITH newsdigest_stem",
    "ALTER TABLE articles ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('newsdigest', title || ' ' || text)) STORED",
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
)


def _time_columns(bind):
    """The time columns this database has (0.1.0's and later revisions' alike), by table."""
    found = {}
    for table, columns in TIME_COLUMNS.items():
        have = {row[0] for row in bind.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %(table)s "
            "AND table_schema = current_schema()", {"table": table})}
        found[table] = [column for column in columns if column in have]
    return found


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, columns in _time_columns(bind).items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamptz USING {column} AT TIME ZONE 'UTC'")
    for statement in SEARCH_DDL:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_articles_search")
    op.execute("ALTER TABLE articles DROP COLUMN search")
    op.execute("DROP TEXT SEARCH CONFIGURATION newsdigest")
    op.execute("DROP TEXT SEARCH DICTIONARY newsdigest_stem")
    for table, columns in _time_columns(bind).items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamp USING {column} AT TIME ZONE 'UTC'")
