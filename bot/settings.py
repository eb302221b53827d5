"""Configuration from the environment, or from a ``.env`` file beside it (the environment wins).

Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from digests.parsing import DEFAULT_MAX_FILE_BYTES
from digests.fetching import user_agent
from digests.schedule import Schedule
from digests.storage.base import database_url
from digests.sources import Source, SourcesFileError, load_sources_file, split_sources
from digests.summary import DEFAULT_SUMMARY_CHARS

TELEGRAM_API = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A configuration value is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    api_base_url: str = TELEGRAM_API
    database_url: str = "sqlite:///data/newsdigest.db"
    news_sources: list[str] = field(default_factory=list)
    digest_time: time = time(8, 0)
    digest_tz: ZoneInfo = ZoneInfo("UTC")
    source_tz: ZoneInfo = ZoneInfo("UTC")
    ingest_interval_minutes: int = 30
    summary_chars: int = DEFAULT_SUMMARY_CHARS
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    log_level: str = "INFO"
    admin_ids: list[int] = field(default_factory=list)
    sources_file: Path | None = None
    configured_sources: list[Source] = field(default_factory=list)
    http_contact: str | None = None
    fetch_timeout_seconds: int = 20
    settle_seconds: int = 5
    move_ingested_files: bool = False
    paid_broadcast: bool = False

    @property
    def sources(self) -> list[str | Source]:
        """``NEWS_SOURCES`` and the sources file together."""
        return [*self.news_sources, *self.configured_sources]

    @property
    def user_agent(self) -> str:
        return user_agent(self.http_contact)

    @property
    def schedule(self) -> Schedule:
        """The digest time and timezone of chats that have not chosen their own."""
        return Schedule(self.digest_time, self.digest_tz)


def _zone(name: str, value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name}={value!r} is not an IANA timezone name such as Europe/London") from None


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}={number} is out of range ({low} to {high})")
    return number


def _ids(name: str, value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a comma-separated list of Telegram user ids") from None


def _bool(name: str, value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={value!r} is not true or false")


def parse_clock(value: str) -> time | None:
    """``HH:MM`` (24-hour) or None."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes)) if len(minutes) == 2 else None
    except ValueError:
        return None


def api_base_url(value: str) -> str:
    """python-telegram-bot appends the token to this; accept the server's address with or without ``/bot``."""
    value = value.strip().rstrip("/")
    return value if value.endswith("/bot") else value + "/bot"


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> Settings:
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    settings = Settings()
    changes: dict[str, object] = {"token": get("TELEGRAM_BOT_TOKEN")}
    if value := get("TELEGRAM_API_BASE_URL"):
        changes["api_base_url"] = api_base_url(value)
    if value := get("DATABASE_URL"):
        try:
            changes["database_url"] = database_url(value)
        except ValueError as error:  # the message names the scheme, never the URL (it may hold a password)
            raise SettingsError(f"DATABASE_URL {error}") from None
    if value := get("NEWS_SOURCES"):
        changes["news_sources"] = split_sources(value)
    if value := get("DIGEST_TIME"):
        clock = parse_clock(value)
        if clock is None:
            raise SettingsError(f"DIGEST_TIME={value!r} is not a time of day as HH:MM, such as 08:00")
        changes["digest_time"] = clock
    if value := get("DIGEST_TIMEZONE"):
        changes["digest_tz"] = _zone("DIGEST_TIMEZONE", value)
    if value := get("SOURCE_TIMEZONE"):
        changes["source_tz"] = _zone("SOURCE_TIMEZONE", value)
    if value := get("INGEST_INTERVAL_MINUTES"):
        changes["ingest_interval_minutes"] = _int("INGEST_INTERVAL_MINUTES", value, 1, 7 * 24 * 60)
    if value := get("SUMMARY_MAX_CHARS"):
        changes["summary_chars"] = _int("SUMMARY_MAX_CHARS", value, 40, 2000)
    if value := get("MAX_FILE_MB"):
        changes["max_file_bytes"] = _int("MAX_FILE_MB", value, 1, 1024) * 1024 * 1024
    if value := get("PAID_BROADCAST"):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError(f"PAID_BROADCAST={value!r} should be true or false")
        changes["paid_broadcast"] = value.lower() in ("true", "1", "yes")
    if value := get("LOG_LEVEL"):
        changes["log_level"] = value.upper()
    if value := get("ADMIN_IDS"):
        changes["admin_ids"] = _ids("ADMIN_IDS", value)
    if value := get("SOURCES_FILE"):
        changes["sources_file"] = Path(value).expanduser()
        try:
            changes["configured_sources"] = load_sources_file(value)
        except SourcesFileError as error:
            raise SettingsError(f"SOURCES_FILE: {error}") from None
    if value := get("HTTP_CONTACT"):
        changes["http_contact"] = value
    if value := get("FETCH_TIMEOUT_SECONDS"):
        changes["fetch_timeout_seconds"] = _int("FETCH_TIMEOUT_SECONDS", value, 1, 600)
    if value := get("SETTLE_SECONDS"):
        changes["settle_seconds"] = _int("SETTLE_SECONDS", value, 0, 3600)
    if value := get("MOVE_INGESTED_FILES"):
        changes["move_ingested_files"] = _bool("MOVE_INGESTED_FILES", value)
    return Settings(**{**settings.__dict__, **changes})
