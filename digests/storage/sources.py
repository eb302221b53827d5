"""The health of polled (URL) sources: validators, failure runs, alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from digests.models import SourceState
from digests.storage.base import retried_on_conflict

NAME_CHARS = SourceState.name.type.length  # a source's name, as articles carry it too (cut to the same length)


def _fits(value: str | None, column) -> str | None:
    """A header value kept only if its column holds it (PostgreSQL enforces lengths): a validator cut short
    would be wrong, and without one the next poll simply fetches the whole feed."""
    return value if value is None or len(value) <= column.type.length else None


class SourceQueries:
    def source_state(self, name: str) -> SourceState | None:
        with self.session() as session:
            return session.get(SourceState, name[:NAME_CHARS])

    @retried_on_conflict
    def record_poll(self, name: str, location: str, now: datetime, next_attempt_at: datetime, *,
                    error: str | None = None, etag: str | None = None, last_modified: str | None = None) -> None:
        """Remember a poll of a URL source: its validators on success, the failure run on error."""
        name, location = name[:NAME_CHARS], location[:SourceState.location.type.length]
        with self.session() as session, session.begin():
            state = session.get(SourceState, name) or SourceState(name=name, consecutive_failures=0, alerted=False)
            session.add(state)
            state.location, state.last_attempt_at, state.next_attempt_at = location, now, next_attempt_at
            if error is None:
                state.etag, state.last_success_at = _fits(etag, SourceState.etag), now
                state.last_modified = _fits(last_modified, SourceState.last_modified)
                state.consecutive_failures, state.first_failure_at, state.alerted = 0, None, False
                state.last_error = None
            else:
                state.consecutive_failures += 1
                state.first_failure_at = state.first_failure_at or now
                state.last_error = error[:2000]

    def sources_to_alert(self, failing_since: datetime) -> list[SourceState]:
        """Sources failing without a break since ``failing_since`` or longer, whose admins were not told."""
        with self.session() as session:
            query = select(SourceState).where(SourceState.first_failure_at <= failing_since,
                                              SourceState.alerted.is_(False))
            return list(session.scalars(query.order_by(SourceState.name)))

    def mark_alerted(self, name: str) -> None:
        with self.session() as session, session.begin():
            state = session.get(SourceState, name[:NAME_CHARS])
            if state is not None:
                state.alerted = True

    def source_states(self) -> list[SourceState]:
        """The health of every polled (URL) source, by name."""
        with self.session() as session:
            return list(session.scalars(select(SourceState).order_by(SourceState.name)))
