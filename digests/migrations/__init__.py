"""The Alembic revisions of newsdigest's database, shipped inside the package.

``digests.storage.schema`` runs them (``newsdigest db upgrade``, and every command on SQLite) with a Config made
in code, so an installed newsdigest needs no alembic.ini. ``alembic.ini`` at the repository root is for
developers writing a revision (see README, "Changing the schema").

- ``env.py``: how Alembic runs here: on the connection ``digests.storage.schema`` opens, SQLite in batch mode,
  the FTS5 tables left out of autogenerate
- ``batch.py``: ``batch_alter_table``, which keeps a table's triggers when SQLite has to copy the table
- ``fts5.py``: the SQLite full-text index as revision 0001 made it
- ``versions/``: one file a revision, named after its id
"""
