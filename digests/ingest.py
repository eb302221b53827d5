"""The ingest pipeline: source files -> parsed articles -> clean text and summary -> storage."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from digests.cleaning import html_to_text
from digests.formats import parse_path
from digests.parsing import DEFAULT_MAX_FILE_BYTES, RawArticle, Rejection
from digests.sources import iter_source_files
from digests.storage import NewArticle, Store
from digests.summary import DEFAULT_SUMMARY_CHARS, shorten, summarize

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "General"  # for articles that name no category
MAX_LINK_CHARS = 2048


@dataclass
class IngestReport:
    new: int = 0
    duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def summary_line(self) -> str:
        return f"{self.new} new, {self.duplicate} duplicate, {len(self.rejected)} rejected"


def prepare(raw: RawArticle, *, now: datetime, summary_chars: int = DEFAULT_SUMMARY_CHARS) -> NewArticle:
    """Clean the body, write the summary, and fit every field to its column."""
    text = html_to_text(raw.html)
    return NewArticle(
        source=raw.source[:200],
        link=raw.link,
        title=shorten(raw.title, 500),
        published_at=raw.published_at or now,
        text=text,
        summary=summarize(text, summary_chars),
        topics=[name[:200] for name in raw.categories] or [DEFAULT_TOPIC],
        external_id=raw.external_id[:200] if raw.external_id else None,
        author=raw.author[:200] if raw.author else None,
    )


def ingest(
    store: Store,
    locations: list[str],
    *,
    source_tz: tzinfo,
    summary_chars: int = DEFAULT_SUMMARY_CHARS,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    now: datetime | None = None,
) -> IngestReport:
    """Ingest every article file under ``locations``; bad files are reported in the result, never raised."""
    now = now or datetime.now(UTC)
    report = IngestReport()
    for item in iter_source_files(locations):
        if isinstance(item, Rejection):
            report.rejected.append(item)
            continue
        parsed = parse_path(item.path, default_source=item.source, source_tz=source_tz, max_bytes=max_file_bytes)
        report.rejected.extend(parsed.rejections)
        ready = []
        for raw in parsed.articles:
            if len(raw.link) > MAX_LINK_CHARS:
                report.rejected.append(Rejection(str(item.path), f"link longer than {MAX_LINK_CHARS} characters"))
            else:
                ready.append(prepare(raw, now=now, summary_chars=summary_chars))
        for is_new in store.add_articles(ready, arrived_at=now):
            if is_new:
                report.new += 1
            else:
                report.duplicate += 1
    for rejection in report.rejected:
        log.warning("Rejected %s", rejection)
    log.info("Ingest: %s", report.summary_line())
    return report
