"""Configuration from the environment, or from a ``.env`` file beside it (the environment wins).

Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from digests.digest import DEFAULT_MAX_AGE, DEFAULT_MAX_ITEMS
from digests.parsing import DEFAULT_MAX_FILE_BYTES
from digests.fetching import user_agent
from digests.schedule import Schedule
from digests.sources import Source, SourcesFileError, TopicMap, load_sources_file, load_topic_map, split_sources
from digests.storage.base import DatabaseURLError, database_url
from digests.summary import DEFAULT_SUMMARY_CHARS

TELEGRAM_API = "https://api.telegram.org/bot"
WEBHOOK_PATH = "/telegram"
WEBHOOK_SECRET_ALPHABET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # Telegram's rule for secret_token
TELEGRAM_WEBHOOK_PORTS = {443, 80, 88, 8443}  # the only ports Telegram's servers call
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_DIGEST_SENDERS = 100
MAX_DIGEST_AGE_HOURS = 24 * 365


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
    digest_max_items: int = DEFAULT_MAX_ITEMS
    digest_max_age: timedelta = DEFAULT_MAX_AGE  # older news is left out of digests (DIGEST_MAX_AGE_HOURS)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    log_level: str = "INFO"
    admin_ids: list[int] = field(default_factory=list)
    sources_file: Path | None = None
    configured_sources: list[Source] = field(default_factory=list)
    topic_map: TopicMap | None = None  # the sources file's [topics], for NEWS_SOURCES and paths given too
    http_contact: str | None = None
    fetch_timeout_seconds: int = 20
    settle_seconds: int = 5
    move_ingested_files: bool = False
    paid_broadcast: bool = False
    digest_senders: int = 1  # how many sender shards the workers run; they share one pace (bot.delivery.SharedPace)
    webhook_url: str | None = None  # the public URL Telegram posts updates to (`newsdigest webhook set`)
    webhook_path: str = WEBHOOK_PATH  # where `newsdigest serve` answers them
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: str | None = field(default=None, repr=False)
    serve_jobs: bool | None = None  # None: by database kind (SQLite: yes; a server database: no)

    @property
    def sources(self) -> list[str | Source]:
        """``NEWS_SOURCES`` and the sources file together."""
        return [*self.with_topic_map(self.news_sources), *self.configured_sources]

    def with_topic_map(self, locations: list[str]) -> list[str | Source]:
        """Locations named outside the sources file, with its topic map if it has one."""
        if self.topic_map is None:
            return list(locations)
        return [Source(location=location, topic_map=self.topic_map) for location in locations]

    @property
    def user_agent(self) -> str:
        return user_agent(self.http_contact)

    @property
    def schedule(self) -> Schedule:
        """The digest time and timezone of chats that have not chosen their own."""
        return Schedule(self.digest_time, self.digest_tz)

    @property
    def sqlite(self) -> bool:
        return self.database_url.split(":", 1)[0].split("+", 1)[0] == "sqlite"

    @property
    def jobs_in_serve(self) -> bool:
        """Whether ``newsdigest serve`` runs ingest and delivery itself (``SERVE_JOBS``; by default only on SQLite,
        where it is the one process; with a server database other processes do the jobs)."""
        return self.sqlite if self.serve_jobs is None else self.serve_jobs


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
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"TELEGRAM_API_BASE_URL={value!r} is not a URL: expected http://HOST:PORT or "
                            "https://HOST, such as http://localhost:8081")
    return value if value.endswith("/bot") else value + "/bot"


def _webhook_url(value: str, api: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a port that is not a number
        parts = port = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"WEBHOOK_URL={value!r} is not a URL such as https://news.example.org/telegram")
    if api == TELEGRAM_API:  # a local Bot API server (TELEGRAM_API_BASE_URL) may call any URL
        if parts.scheme != "https":
            raise SettingsError(f"WEBHOOK_URL={value!r} must start with https://: Telegram calls webhooks over HTTPS "
                                "only")
        if (port or 443) not in TELEGRAM_WEBHOOK_PORTS:
            raise SettingsError(f"WEBHOOK_URL={value!r} has port {port}: Telegram calls only ports 443, 80, "
                                "88 and 8443")
    return value


def _webhook_secret(value: str) -> str:
    if not WEBHOOK_SECRET_ALPHABET.fullmatch(value):  # the value itself is never shown
        raise SettingsError("WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1 to 256 characters), as "
                            "Telegram requires")
    return value


def _home(get, env_file: str | Path | None) -> Path:
    """Where a relative SQLite path in DATABASE_URL starts from: NEWSDIGEST_HOME, else the settings file's folder."""
    if value := get("NEWSDIGEST_HOME"):
        return Path(value).expanduser().resolve()
    return Path(env_file).resolve().parent if env_file else Path.cwd()


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL={value!r} is not a logging level: expected one of {', '.join(LOG_LEVELS)}")
    return level


def read_env_file(path: str | Path) -> dict[str, str]:
    """The variables of a ``.env`` file.

    A line that is neither ``NAME=value`` nor a comment stops the program, naming the file and the line:
    skipping it would run the bot without a setting its operator believes is set.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            bad = next((binding for binding in parse_stream(stream) if binding.error), None)
        values = dotenv_values(path) if bad is None else {}
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text") from None
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error.strerror or error}") from None
    if bad is not None:
        text = bad.original.string.strip().splitlines()[0] if bad.original.string.strip() else ""
        raise SettingsError(f"{path}, line {bad.original.line}: {text!r} is not NAME=value (quote a value "
                            "that has spaces, quotes or #)")
    return {name: value for name, value in values.items() if value is not None}


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env", *,
                  must_exist: bool = False) -> Settings:
    """The settings from ``environ`` (default: the process's) over those of ``env_file``.

    ``env_file`` may be absent unless ``must_exist`` (a file the operator named). Every mistake raises
    ``SettingsError`` with one line that names the setting and what is expected.
    """
    values: dict[str, str] = {}
    if env_file and (must_exist or Path(env_file).exists()):
        if not Path(env_file).exists():
            raise SettingsError(f"--env-file: no such file: {env_file}")
        values.update(read_env_file(env_file))
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name, "").strip()
        return value or None

    settings = Settings()
    changes: dict[str, object] = {"token": get("TELEGRAM_BOT_TOKEN")}
    if value := get("TELEGRAM_API_BASE_URL"):
        changes["api_base_url"] = api_base_url(value)
    try:
        changes["database_url"] = database_url(get("DATABASE_URL") or settings.database_url, _home(get, env_file))
    except DatabaseURLError as error:
        raise SettingsError(str(error)) from None
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
    if value := get("DIGEST_MAX_ITEMS"):
        changes["digest_max_items"] = _int("DIGEST_MAX_ITEMS", value, 1, 1000)
    if value := get("DIGEST_MAX_AGE_HOURS"):
        changes["digest_max_age"] = timedelta(hours=_int("DIGEST_MAX_AGE_HOURS", value, 1, MAX_DIGEST_AGE_HOURS))
    if value := get("MAX_FILE_MB"):
        changes["max_file_bytes"] = _int("MAX_FILE_MB", value, 1, 1024) * 1024 * 1024
    if value := get("PAID_BROADCAST"):
        changes["paid_broadcast"] = _bool("PAID_BROADCAST", value)
    if value := get("DIGEST_SENDERS"):
        changes["digest_senders"] = _int("DIGEST_SENDERS", value, 1, MAX_DIGEST_SENDERS)
    if value := get("LOG_LEVEL"):
        changes["log_level"] = _log_level(value)
    if value := get("ADMIN_IDS"):
        changes["admin_ids"] = _ids("ADMIN_IDS", value)
    if value := get("SOURCES_FILE"):
        changes["sources_file"] = Path(value).expanduser()
        try:
            changes["configured_sources"] = load_sources_file(value)
            changes["topic_map"] = load_topic_map(value)
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
    if value := get("WEBHOOK_URL"):
        changes["webhook_url"] = _webhook_url(value, str(changes.get("api_base_url", TELEGRAM_API)))
        changes["webhook_path"] = urlsplit(value).path or WEBHOOK_PATH
    if value := get("WEBHOOK_PATH"):
        if not value.startswith("/") or value == "/healthz":
            raise SettingsError(f"WEBHOOK_PATH={value!r} should be a path such as /telegram (not /healthz)")
        changes["webhook_path"] = value
    if value := get("WEBHOOK_LISTEN"):
        changes["webhook_listen"] = value
    if value := get("WEBHOOK_PORT"):
        changes["webhook_port"] = _int("WEBHOOK_PORT", value, 1, 65535)
    if value := get("WEBHOOK_SECRET"):
        changes["webhook_secret"] = _webhook_secret(value)
    if value := get("SERVE_JOBS"):
        if value.lower() not in ("auto", "true", "false", "yes", "no", "on", "off", "1", "0"):
            raise SettingsError(f"SERVE_JOBS={value!r} should be auto, true or false")
        changes["serve_jobs"] = None if value.lower() == "auto" else _bool("SERVE_JOBS", value)
    return Settings(**{**settings.__dict__, **changes})
