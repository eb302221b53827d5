"""When a chat's daily digest falls due: its own time and timezone, or the configured defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@dataclass(frozen=True)
class Schedule:
    at: time
    tz: ZoneInfo

    def occurrence(self, day: date) -> datetime:
        """The digest time on a local day, in UTC (a time skipped by a DST change moves forward with the clock)."""
        return datetime.combine(day, self.at, tzinfo=self.tz).astimezone(UTC)

    def next_after(self, moment: datetime) -> datetime:
        """The first digest time strictly after ``moment``."""
        day = moment.astimezone(self.tz).date()
        for offset in range(3):
            candidate = self.occurrence(day + timedelta(days=offset))
            if candidate > moment:
                return candidate
        raise AssertionError("unreachable: a digest time falls within any three days")

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def find_timezone(name: str) -> ZoneInfo | None:
    """An IANA timezone by name, forgiving case (``europe/london``); None if there is none."""
    name = name.strip()
    if not name or name.startswith(("/", ".")) or ".." in name or len(name) > 64:  # the longest IANA name: 32
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    matches = [zone for zone in available_timezones() if zone.casefold() == name.casefold()]
    return ZoneInfo(matches[0]) if matches else None
