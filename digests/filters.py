"""Keyword filters of a chat's digest: ``+word`` keeps only items that mention one of the kept words,
``-word`` drops items that mention it. Whole words, case-insensitive, in the headline or the summary."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from digests.models import Article

MAX_WORD = 100


@dataclass(frozen=True)
class Filters:
    keep: frozenset[str] = frozenset()
    drop: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.keep or self.drop)

    @property
    def signature(self) -> str:
        """A stable text for the rendering key: chats with other filters get other renderings."""
        return ",".join(sorted(f"+{w}" for w in self.keep) + sorted(f"-{w}" for w in self.drop))

    def admits(self, article: Article) -> bool:
        text = f"{article.title}\n{article.summary}"
        if self.drop and _mentions(text, self.drop):
            return False
        return not self.keep or _mentions(text, self.keep)

    def apply(self, articles: Iterable[Article]) -> list[Article]:
        return [article for article in articles if self.admits(article)]


def normalise_word(word: str) -> str:
    return " ".join(word.split()).casefold()[:MAX_WORD]


def _mentions(text: str, words: frozenset[str]) -> bool:
    pattern = "|".join(re.escape(word) for word in sorted(words))
    return re.search(rf"(?<!\w)(?:{pattern})(?!\w)", text, re.IGNORECASE) is not None
