"""The SQLite full-text index of /search as revision 0001 made it (and 0.1.0 before it).

Frozen: a later change to the index is a new revision with DDL of its own, not an edit here.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

TABLE = "articles_fts"

CREATE = (
    # porter: "exports" finds "export" and "exporters" too, as readers of news search expect
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61')",
    # new articles are indexed by Store.add_articles in the statement that inserts them (one executemany is
    # cheaper than a trigger per row); these two keep the index right when an article changes or goes
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
REBUILD = "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"
DROP = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TABLE IF EXISTS articles_fts",
)
# Development versions before 0.1.0 indexed new articles with this trigger; with add_articles indexing them too
# it would index each article twice.
OLD_INSERT_TRIGGER = "articles_fts_insert"


def exists(connection: Connection) -> bool:
    return connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).first() is not None


def create(connection: Connection) -> None:
    """Make the index and fill it from the articles already stored."""
    for statement in CREATE:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(REBUILD)
