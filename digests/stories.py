"""Stories: whether two articles report the same event, told from their headlines and ledes.

Two sources rarely word a story alike ("Taiwan president heads to US as Beijing watches" / "Taiwan leader
heads to Americas; U.S. stops set to irk China"), so exact headlines find few of them. Here a headline and its
lede become sets of words (case, accents, punctuation and function words left out, English words stemmed with
Snowball so that "heads" and "head" meet, Chinese and Japanese cut into pairs of characters), and two
articles are compared by how many words they share: the cosine of the headlines' sets and that of the
headlines with their ledes, both of which must be high (their geometric mean), so that a shared lede under
unrelated headlines, or a shared topic word, is not enough. Headlines that both carry numbers, not the same
ones ("wellness calendar, Aug. 16-23" / "Aug. 23-30", "АГНКС «Лида»: 18 июня" / "«Гомель-1»: 24 июня") are
other items of one series, whatever else they share.

``SIMILAR`` was chosen on tests/fixtures/story_pairs.tsv (pairs from the real feeds, labelled by hand) for
precision: a wrong merge hides a story, a missed one only shows a duplicate. Within one source only an
identical headline merges: a source's own items on one topic share its templates and are most often other
angles (an interview, an analysis), which is where the wrong merges were.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import Stemmer

SIMILAR = 0.40  # the least similarity of two sources' articles that are one story
SIMILAR_HOURS = 24  # ... published at most this far apart
INDEX_WORDS = 10  # a headline's words that go into the index, at most
WORD_CHARS = 40  # longer "words" (URLs, codes) are cut to this

# Function words of the languages the feeds come in: they say nothing about which event a headline is about.
STOPWORDS = frozenset("""
a an the and or but if of to in on at by for with from as into onto over under about after before than then
so not no nor is are was were be been being has have had do does did will would can could should may might
must shall this that these those it its he she they them his her their our your my we you i me him what which
who whom whose when where why how all any both each few more most other some such own same too very just also
via vs says said say
le la les un une des du de d l et ou en au aux à dans par pour sur avec sans sous chez ce cette ces qui que
quoi dont où est sont été être il elle ils elles se sa son ses leur leurs ne pas plus
der die das den dem des ein eine einer eines einem und oder im ist sind war mit von zu zum zur auf für an am
bei aus nach über unter vor wie als auch nicht noch sich es er sie wir
el los las una unos unas y o del por para con sin sobre su sus es son al lo
os um uma uns umas e do da dos das no na nos nas em com sem é
il lo gli uno di della dei degli delle dal nel nella per che si è alla
и в во на с со по к из за от до о об не что как это а но или для у же
""".split())

_NOT_WORD = re.compile(r"[\W_]+")
_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")  # U.S., L.A., D.C.
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")  # 800,000 is 800000
_DIGITS = re.compile(r"\d+")
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")  # scripts written without spaces
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _word(token: str) -> str:
    """A token's comparable form: accents off Latin letters, English endings off, at most ``WORD_CHARS``; ''
    for a function word or a single letter."""
    if token in STOPWORDS or (len(token) == 1 and not token.isdigit()):
        return ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))
    if plain.isascii():
        token = _stemmer.stemWord(plain) if plain.isalpha() else plain
    return token[:WORD_CHARS]


def words(text: str) -> list[str]:
    """The words of a text that tell one event from another, in order (repeats kept)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    if "." in text or "," in text:
        text = _ABBREVIATION.sub(lambda match: match.group(0).replace(".", ""), _THOUSANDS.sub("", text))
    tokens = _NOT_WORD.sub(" ", text.replace("'s ", " ")).split()
    if not _WIDE.search(text):
        return [word for word in map(_word, tokens) if word]
    found = []
    for token in tokens:
        if _WIDE.search(token):
            found.extend([a + b for a, b in zip(token, token[1:])] or [token])
        elif word := _word(token):
            found.append(word)
    return found


def index_words(title: str) -> list[str]:
    """The headline's words by which other sources' versions of the story are looked up (no bare numbers)."""
    return list(dict.fromkeys(word for word in words(title) if not word.isdigit()))[:INDEX_WORDS]


def numbers(title: str) -> frozenset[str]:
    return frozenset(_DIGITS.findall(_THOUSANDS.sub("", title)))


class Telling:
    """One article's headline and lede, as compared (the word sets are made once)."""

    __slots__ = ("headline", "both", "numbers")

    def __init__(self, title: str, lede: str = ""):
        self.headline = frozenset(words(title))
        self.both = self.headline | frozenset(words(lede)) if lede else frozenset()
        self.numbers = numbers(title)


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def similarity(a: Telling, b: Telling) -> float:
    """0 (other events) to 1 (the same words): see the module's docstring."""
    if a.numbers and b.numbers and a.numbers != b.numbers:  # other items of a series ("story 4" / "story 14")
        return 0.0
    headlines = _cosine(a.headline, b.headline)
    if not (a.both and b.both) or not headlines:
        return headlines
    return math.sqrt(headlines * _cosine(a.both, b.both))


def same_story(a: Telling, b: Telling) -> bool:
    """Whether two sources' articles (published within ``SIMILAR_HOURS``) report one event."""
    return similarity(a, b) >= SIMILAR
