"""Stories: whether two articles report the same event, told from their headlines and ledes.

Two sources rarely word a story alike ("Taiwan president heads to US as Beijing watches" / "Taiwan leader
heads to Americas; U.S. stops set to irk China"), so exact headlines find few of them. Here a headline and its
lede become sets of words (case, accents, punctuation and function words left out, English words stemmed with
Snowball so that "heads" and "head" meet, Chinese and Japanese cut into pairs of characters), and two
articles are compared by how many words they share: the cosine of the headlines' sets and that of the
headlines with their ledes, both of which must be high (their geometric mean), so that a shared lede under
unrelated headlines, or a shared topic word, is not enough. Headlines that each carry a number the other lacks
("wellness calendar, Aug. 16-23" / "Aug. 23-30", "АГНКС «Лида»: 18 июня" / "«Гомель-1»: 24 июня") are other
items of one series, whatever else they share; a number in one only ("Pixel 7 Pro Uses 3 Samsung ISOCELL
Cameras" / "Pixel 7 and Pixel 7 Pro camera sensor specs have leaked") is a detail one of them gives.

``SIMILAR`` was chosen on tests/fixtures/story_pairs.tsv (pairs from the real feeds, labelled by hand) for
precision: a wrong merge hides a story, a missed one only shows a duplicate.

Within one source that is not enough: a source's own items on one topic share its templates and words and
are most often other angles (an interview, an analysis) or other items of a series (one county's calendar and
the next's, two matches of one tournament), which is where the wrong merges were. A source that runs two
wires' copy of one event side by side (al-monitor's AFP and Reuters: "Over 80 Berlin Film Festival alumni
sign open letter ..." / "Dozens of film figures condemn Berlin Film Festival 'silence' on Gaza") tells it in
the same particulars, though: so within one source the ledes alone must also share half their words
(``SAME_SOURCE_LEDES``) and at least ``SAME_SOURCE_PARTICULARS`` names and figures ("80", "Tilda Swinton",
"Javier Bardem"), words written with a capital inside a sentence or with digits, and one of those must be in
both headlines ("Berlin Film Festival", "Menendez"). A follow-up recaps the first report's particulars in its lede
(the victim's name, the day of the crime) but heads its own news: massanews' "Suspeitos de matar policial
militar em Pinhais são presos" and, hours later, "Suspeito de morte de PM é filho de policial" share the
lede's "Bárbara Aline da Rocha" and "24 de dezembro" and no name in their headlines; they are two stories, and
the second is news a reader would otherwise never see. A source's shorter heading of its own story (a photo
gallery's or video's beside it: "Comet ISON" / "Photos: Comet ISON") is that story too (``headed_within``). Where a
script has no capitals (Urdu, Chinese) no names are seen, and only the same headline (or a shorter heading of it)
merges.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import Stemmer

SIMILAR = 0.40  # the least similarity of two sources' articles that are one story
SIMILAR_HOURS = 24  # ... published at most this far apart
SAME_SOURCE_LEDES = 0.5  # within one source, besides: the least cosine of the two ledes' own words
SAME_SOURCE_PARTICULARS = 2  # ... and the least names and figures the two ledes share
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


_SENTENCE_END = (".", "!", "?", ":", "…", "—")
_PUNCTUATION = "\"'“”‘’„«»()[]{},;:.!?…"
_BRACKETS = "\"'“”‘’„«»()[]{},;:"
_ABBREVIATED = re.compile(r"^(?:\w\.){2,}$|^[A-Z][a-z]{0,3}\.$")  # N.J., U.S., Sen., Dr.: no sentence ends there


def particulars(text: str) -> frozenset[str]:
    """The names and figures of a text, as ``words``: words written with digits, or with a capital where a
    sentence does not start ("More than 80 ... including Tilda Swinton" gives 80, tilda, swinton)."""
    found: set[str] = set()
    starts = True
    for token in text.split():
        core = token.strip(_PUNCTUATION)
        if core and (not starts and core[0].isupper() or any(ch.isdigit() for ch in core)):
            found.update(words(token.strip(_BRACKETS)))
        starts = not core or token.endswith(_SENTENCE_END) and not _ABBREVIATED.match(token.strip(_BRACKETS))
    return frozenset(found)


class Telling:
    """One article's headline and lede, as compared (the word sets are made once; the lede's particulars
    when first needed)."""

    __slots__ = ("headline", "lede", "both", "numbers", "_lede_text", "_particulars")

    def __init__(self, title: str, lede: str = ""):
        self.headline = frozenset(words(title))
        self.lede = frozenset(words(lede)) if lede else frozenset()
        self.both = self.headline | self.lede if lede else frozenset()
        self.numbers = numbers(title)
        self._lede_text, self._particulars = lede, None

    @property
    def particulars(self) -> frozenset[str]:
        if self._particulars is None:
            self._particulars = particulars(self._lede_text)
        return self._particulars


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def similarity(a: Telling, b: Telling) -> float:
    """0 (other events) to 1 (the same words): see the module's docstring."""
    # other items of a series ("story 4" / "story 14"): each headline has a number the other lacks
    if a.numbers and b.numbers and not (a.numbers <= b.numbers or b.numbers <= a.numbers):
        return 0.0
    headlines = _cosine(a.headline, b.headline)
    if not (a.both and b.both) or not headlines:
        return headlines
    return math.sqrt(headlines * _cosine(a.both, b.both))


VIA = "via "  # an aggregator's item credits its publisher in ``author``: "via Reuters" (``digests.feeds``)


def outlet(source: str, author: str | None) -> str:
    """Who told the story, for ``same_story``'s ``same_source``: an aggregator's item is its publisher's ("via
    Reuters" in ``author``: two Google News items from two outlets are two sources), any other its source's."""
    return author[len(VIA):] if author and author.startswith(VIA) else source


def same_story(a: Telling, b: Telling, same_source: bool = False) -> bool:
    """Whether two articles published within ``SIMILAR_HOURS`` report one event (``same_source``: of one
    source, which must also tell it in the same particulars: see the module's docstring)."""
    return similarity(a, b) >= SIMILAR and (not same_source or told_alike(a, b) or headed_within(a, b))


def told_alike(a: Telling, b: Telling) -> bool:
    """Whether two ledes tell the same particulars: half their words, and ``SAME_SOURCE_PARTICULARS`` names
    and figures, shared, one of them in both headlines (see the module's docstring)."""
    if _cosine(a.lede, b.lede) < SAME_SOURCE_LEDES:
        return False
    shared = a.particulars & b.particulars
    return len(shared) >= SAME_SOURCE_PARTICULARS and bool(shared & a.headline & b.headline)


def headed_within(a: Telling, b: Telling) -> bool:
    """Whether one headline is the other's in fewer words, as a source heads a photo or video beside its story
    ("Comet ISON" / "Photos: Comet ISON", "White House Christmas tree" / "... gets delivered today"): two words
    at least, every one of them in the other headline, and, where both have ledes, half their words shared."""
    shorter, longer = sorted((a.headline, b.headline), key=len)
    return (len(shorter) >= 2 and shorter <= longer
            and (not (a.lede and b.lede) or _cosine(a.lede, b.lede) >= SAME_SOURCE_LEDES))
