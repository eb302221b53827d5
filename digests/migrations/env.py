"""How Alembic runs newsdigest's revisions.

``digests.storage.schema`` passes the connection to migrate in ``config.attributes["connection"]``, inside the
transaction that holds the whole upgrade. Run from the ``alembic`` command line (developers, with the
``alembic.ini`` of the repository), the database is ``DATABASE_URL`` from the environment, or the ini file's
``sqlalchemy.url``.
"""

from __future__ import annotations

import logging
import os

from alembic import context

from digests.models import Base
from digests.storage.schema import include_object, migration_connection

log = logging.getLogger("digests.storage.schema")
config = context.config


def _report(ctx, step, heads, run_args) -> None:
    if step.is_stamp:
        return
    if step.is_upgrade:
        log.log(logging.DEBUG if config.attributes.get("new") else logging.INFO, "Upgraded the database to %s: %s", step.up_revision_id, step.up_revision.doc)
    else:
        log.info("Downgraded the database from %s to %s", step.up_revision_id, ", ".join(heads) or "base")


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters most of a table by copying it: batch mode does that (see digests/migrations/batch.py)
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        on_version_apply=_report,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("newsdigest's revisions run against a database: offline (--sql) mode is not supported")
if (connection := config.attributes.get("connection")) is not None:
    run(connection)
else:
    with migration_connection(os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")) as opened:
        run(opened)
