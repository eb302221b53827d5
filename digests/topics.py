"""Topics a person can use, made from the categories feeds and CMSs write.

A category becomes a topic only if it reads as one: paywall, sponsor and CMS labels ("PAID", "sponsorshipblock",
"Uncategorized", "homepage_regional_europe", a URL, a number, a slug) never do. Near-copies are one topic:
the key a topic is stored and matched by ignores case, punctuation, plural forms and a trailing "news"
("World", "world news", "worldNews" and "World News" are one), and a name written surname first ("Trump,
Donald J") is put in reading order. A comma-separated list of labels ("Politics, Argentina") is several.

The operator's topic map (``[topics]`` and each source's ``topics`` in the sources file) comes on top:
more labels to ignore, aliases that merge or rename topics, and per source an allow-list that sends every
other label to the source's own topic. See ``TopicRules``.

A label that names a language ("urdu" on every item of BBC Urdu, "English", "Español", "हिन्दी") names the
feed's edition, not a subject: it is no topic either (``is_language``).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from babel import localedata

from digests.parsing import NEWS_LANGUAGES

DEFAULT_TOPIC = "General"  # for articles that name no (usable) category
MAX_TOPICS_PER_ARTICLE = 5  # a keyword list is not a set of sections
MAX_TOPIC_CHARS = 60  # longer is a sentence or a keyword dump, not a section name

# Labels that are never topics, by key (see ``topic_key``): paywall and sponsor flags, CMS placeholders and
# flags, formats of the page and genres of the piece rather than subjects, and "news"/"other" in the feeds'
# languages.
_JUNK = {
    # paywall, subscriptions, advertising
    "paid", "paywall", "paywall free", "free", "premium", "subscriber only", "subscribers only", "subscriber",
    "exclusive", "metered", "locked", "unlocked", "sponsor", "sponsored", "sponsored content", "sponsorship",
    "sponsorshipblock", "sponsorship block", "partner", "partner content", "paid content", "paid post",
    "advertorial", "advertisement", "advertising", "ad", "promoted", "promotion", "affiliate",
    "deal", "brand studio", "branded content", "native", "tc", "tcp", "insider",
    # CMS placeholders, states and widgets
    "uncategorized", "uncategorised", "non classe", "sans categorie", "sin categoria", "senza categoria",
    "allgemein", "default", "none", "null", "undefined", "untitled", "misc", "miscellaneous", "other",
    "others", "various", "active", "inactive", "работает", "не работает", "временно не работает", "pinned", "sticky", "featured", "feature", "top", "top story",
    "top stories", "headline", "homepage", "home", "front page", "frontpage", "main", "index", "rss", "feed",
    "syndication", "external", "internal", "post", "posts", "article", "articles", "story", "stories", "item",
    "blog", "blogs", "latest", "breaking", "breaking news", "just in", "live", "update", "embed",
    "audio embed", "video embed", "post to buffer", "share", "amp", "test", "author", "authors", "ugc",
    # formats of the page, not subjects
    "multimedia", "video", "videos", "photo", "photos", "picture", "pics", "image", "gallery", "photo gallery",
    "slideshow", "audio", "infographic", "transcript", "excerpt",
    # what kind of piece it is, not what it is about: a genre or format (Foreign Policy's "Analysis" and "Argument"
    # beside "India" and "Pakistan"). Opinion sections stay ("Opinion", "Editorial", "Commentary", "Tribune"):
    # readers follow them, or drop them from their digest, as they do in a paper.
    "analysis", "analyses", "argument", "explainer", "explained", "in depth", "indepth", "deep dive", "long read",
    "longread", "longform", "interview", "interviews", "q&a", "quiz", "quizzes", "review", "reviews", "report",
    "reports", "reportage", "podcast", "podcasts", "live blog", "liveblog", "brief", "briefs", "briefing",
    "newsletter", "calendar", "weekend",
    "analyse", "décryptage", "entretien", "enquête", "eventkalender", "hintergrund", "análisis", "entrevista",
    "reportaje", "analisi", "intervista", "approfondimento", "análise", "reportagem", "аналитика", "интервью",
    "репортаж", "подкаст", "видео", "фото",
    # "news" and "other" in the feeds' languages (a section called News says nothing in a news digest)
    "news", "nachrichten", "actualites", "actualite", "noticias", "noticia", "notizie", "notizia", "nieuws",
    "actualités", "actualité", "новости", "статьи", "другое", "прочее", "sonstiges", "divers", "autres", "otros",
    "altro", "outros", "non classé", "sans catégorie", "sin categoría",
}
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|\.(?:html?|php|aspx?|jpe?g|png|gif)$", re.IGNORECASE)
_CODE = re.compile(r"^[^\s]*_[^\s]*$")  # homepage_regional_europe, nyt_per
# a URL's slug: three or more lower-case words joined by hyphens, or ending in one (not covid-19, hip-hop)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){2,}$|^(?=.{19})[a-z0-9]+(?:-[a-z0-9]*)+$|^[a-z0-9-]+-$")
_TICKER = re.compile(r"^[A-Z]{2,8}:[A-Z0-9.]{1,8}$")  # ASX:NVX, PAR:BNP
_LOWER_CAMEL = re.compile(r"^[a-z]{3,}(?:[A-Z][a-z]+)+$")  # worldNews, businessNews (not iPhone, eBay)
_CAMEL_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z])")
_INITIAL = re.compile(r"^[A-Z]\.?$")
_NAME_WORD = re.compile(r"^[A-Z][\w'’.-]*$")
_SUFFIXES = {"Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"}
_LIST = re.compile(r"[,;،、，；]")  # the separators of a list of labels, Latin, Arabic and CJK
_PERSON_SCHEMES = re.compile(r"(?:^|[/_#:])(?:per|person|persons|people)$", re.IGNORECASE)


def topic_key(name: str) -> str:
    """The form topics are stored and matched by: case, punctuation, a trailing "news", plural forms and
    initials do not count ("World news", "worldNews", "world" are one; "Donald J. Trump" is "Donald Trump")."""
    return _key(name)


@functools.lru_cache(maxsize=65536)
def _key(name: str) -> str:
    if "&" in name:
        name = html.unescape(name)
    if "," in name:  # "Trump, Donald J" as it would be stored, "Donald Trump"
        name = name_in_order(" ".join(name.split())) or name
    text = _latin_unaccented(name.replace("&", " and ").casefold())
    # letters, digits and the marks of other scripts (a Devanagari vowel sign is no punctuation) make words
    words = "".join(ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " " for ch in text).split()
    words = [word for n, word in enumerate(words)  # the J. of Donald J. Trump, not the S of U.S. Congress
             if len(word) > 1 or word.isdigit() or not 0 < n < len(words) - 1
             or len(words[n - 1]) == 1 or len(words[n + 1]) == 1]
    if len(words) > 1 and any(len(word) == 1 for word in words):  # U S Congress: US Congress
        words = re.sub(r"\b(\w) (?=\w\b)", r"\1", " ".join(words)).split()
    if len(words) > 1 and words[-1] == "news":
        words.pop()
    elif len(words) == 1 and len(words[0]) > 6 and words[0].endswith("news"):  # worldnews, sportsnews
        words[0] = words[0][:-4]
    return " ".join(_singular(word) for word in words)[:200]


def preferred_name(names: Iterable[str]) -> str:
    """The name a topic shows, of the spellings its articles carry (one key): the one its key does not fold,
    singular rather than plural ("Business", not "Businesses"), without a trailing "news" ("World", not "World
    News") or initials ("Donald Trump"); then not in capitals throughout ("World", not "WORLD"); then the first
    in Unicode order, so that the name depends only on the spellings seen, never on the order they came in."""
    return min(names, key=_name_rank)


def _name_rank(name: str) -> tuple[bool, bool, str]:
    text = _latin_unaccented(html.unescape(name).replace("&", " and ").casefold())
    literal = " ".join("".join(ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " "
                               for ch in text).split())
    shouting = name.isupper() and any(len(word) > 4 for word in name.split())
    return literal != _key(name), shouting, name


def _latin_unaccented(text: str) -> str:
    """Accents off Latin letters ("Cinéma" is "Cinema"); other scripts' marks stay (a Hindi vowel sign is a
    letter of its word)."""
    if text.isascii():
        return text
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
            kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept))


def _singular(word: str) -> str:
    """A plural's singular, by the regular rules English (and French, Spanish, ...) share; enough for a key."""
    if len(word) < 4 or word.endswith(("ss", "us", "is", "ws")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


# Curation labels say where an item sits on the page, not what it is about: "Editors' Picks", "Top Stories",
# "Most Read", "Breaking News", "Trending Now", "Subscribers' Picks", "À la une", "Lo más leído". A label is
# one when every word of its key is one of these (or a number) and one of them says what is picked or pushed.
_CURATION_HEADS = set("""pick picks picked choice choices top most featured breaking latest trending popular recommended
    highlight highlights spotlight must miss hot viral best favourite favorite exclusive live une destaque
    destaques destacado destacados leido leidos leida leidas letti lette meistgelesen topthema topthemen lus
    ultima ultimas ultimo ultimi ultime derniere dernieres tendance tendances tendencia tendencias главное
    популярное читаемое важное""".split())
_CURATION_WORDS = _CURATION_HEADS | set("""editor editors editorial staff subscriber subscribers reader readers our my your
    the of this a in on for you now today today's day daily week weekly weekend month year all time story stories
    news headline headlines article articles post posts read reads reading viewed view shared emailed commented
    watched update updates alert alerts topic topics don't don t a la le les l de des du el lo los las mas plus
    piu di der die das noticia noticias notizie nachrichten infos info hora самое""".split())
_CURATION_HEAD_KEYS = frozenset(part for word in _CURATION_HEADS for part in _key(word).split())
_CURATION_KEYS = frozenset(part for word in _CURATION_WORDS for part in _key(word).split())


def _is_curation(key: str) -> bool:
    words = key.split()
    return (any(word in _CURATION_HEAD_KEYS for word in words)
            and all(word in _CURATION_KEYS or word.isdigit() for word in words))


def is_curation_word(word: str) -> bool:
    """A word of curation labels ("Topics", "News", "Headlines", "Top"): no subject of its own."""
    return all(part in _CURATION_KEYS for part in _key(word).split())


JUNK_LABELS = frozenset(_key(label) for label in _JUNK)


# A newsletter's or a series' name says how the piece came, not what it is about: "World Brief", "China Brief",
# "Morning Briefing", "Tech Newsletter", "Weekly Roundup", "Politics Podcast", Foreign Policy's daily "Situation
# Report" and its "The Reading List"; so does a listing's ("Md health calendar", "Events Listings"): a label of at
# most four words
_SERIES_TAILS = frozenset({"brief", "briefing", "newsletter", "roundup", "podcast", "calendar", "listing",
                           "report", "list"})


def _is_series(key: str) -> bool:
    words = key.split()
    return 1 < len(words) <= 4 and words[-1] in _SERIES_TAILS


# A listing's headline: a calendar or listings of a stretch of days ("Fairfax wellness calendar, Aug. 23-30",
# "Events listings: week of 12 May"). Its labels name the venues and hosts of its events (the Washington Post
# tags its county calendars "Episcopal Church", "United Methodist Church", "Jesus Christ"), not what it is about.
_MONTH = r"[A-Z][a-z]{2,8}\.?"
_LISTING = re.compile(r"\b(?i:calendar|listings?)\s*[,:–—-]\s*(?:"
                      rf"(?i:week of)\s+(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\.?\s+{_MONTH})"  # week of Aug. 23, of 12 May
                      rf"|{_MONTH}\s+\d{{1,2}}\s*[-–]\s*(?:{_MONTH}\s+)?\d{{1,2}}\b"  # Aug. 23-30, Aug. 30 - Sept. 6
                      rf"|\d{{1,2}}\.?\s*[-–]\s*\d{{1,2}}\.?\s+{_MONTH})")  # 23-30 August


def is_listing(headline: str) -> bool:
    """Whether an item is a calendar or listings of some days, whose labels are its events' venues."""
    return bool(_LISTING.search(headline))


_LATIN_SLUG = re.compile(r"^[a-z]+(?:-[a-z]+)+$")  # respubliki-belarus
_LATIN = re.compile(r"[A-Za-z]")


def headline_labels(labels: Iterable[str], headline: str) -> list[str]:
    """An item's labels that may be topics, judged by its headline: none for a calendar's or listings'
    (``is_listing``); no Latin slug under a headline in another script (metan.by's "respubliki-belarus" under
    "Концептуальное исследование газомоторного рынка Республики Беларусь": its address's, transliterated)."""
    if is_listing(headline):
        return []
    labels = list(labels)
    if _LATIN.search(headline) or not any(_LATIN_SLUG.match(label) for label in labels):
        return labels
    return [label for label in labels if not _LATIN_SLUG.match(label)]


def is_junk(name: str) -> bool:
    """A label that is not a subject a reader would follow (a flag, a code, an address, a number, a format)."""
    key = _key(name)
    return (key in JUNK_LABELS or _is_curation(key) or _is_series(key) or not any(ch.isalpha() for ch in name)
            or len(name) > MAX_TOPIC_CHARS or bool(_URL.search(name) or _CODE.match(name) or _SLUG.match(name) or _TICKER.match(name)))


def is_language(key: str, language: str = "") -> bool:
    """Whether a label's key names a language: one of the news languages (``NEWS_LANGUAGES``) or the item's own
    (``language``, a code such as "ur" or "pt-BR"), in English or in itself (CLDR's names, by Babel)."""
    return key in _language_keys(NEWS_LANGUAGES) or (bool(language) and key in _language_keys((language,)))


@functools.lru_cache(maxsize=256)
def _language_keys(codes: tuple[str, ...]) -> frozenset[str]:
    """The keys of these languages' names in English and in themselves, less those that are also a place's
    name in either (Indonesian calls itself "Indonesia", Finnish "suomi"): those stay topics."""
    english = localedata.load("en")
    keys = set()
    for code in codes:
        code = re.split(r"[-_]", code.strip().lower())[0]
        if not code.isalpha() or not localedata.exists(code):
            continue
        own = localedata.load(code, merge_inherited=False)
        names = {english["languages"].get(code), own.get("languages", {}).get(code)}
        places = {_key(place) for data in (english, own) for place in data.get("territories", {}).values()}
        keys |= {_key(name) for name in names if name} - places
    return frozenset(keys)


def name_in_order(label: str, person: bool = False) -> str | None:
    """"Trump, Donald J" as "Donald Trump"; None if the label is not a name written surname first. Without
    ``person`` (a feed's scheme saying so), a name needs an initial or suffix to be told from a list."""
    surname, comma, given = label.partition(",")
    surname_words, given_words = surname.split(), given.split()
    if (not comma or "," in given or not 1 <= len(surname_words) <= 3 or not 1 <= len(given_words) <= 4
            or not all(_NAME_WORD.match(word) for word in surname_words + given_words)):
        return None
    initials = [word for word in given_words if _INITIAL.match(word) or word in _SUFFIXES]
    first = [word for word in given_words if word not in initials]
    if not first or not (initials or person) or len(first[0]) < 2:
        return None
    return " ".join(first + surname_words)


def display_name(label: str) -> str:
    """The label as a topic's name: entities decoded, spaces folded, "worldNews" as "World News", a label
    written all in lower case with a capital first ("sport": "Sport")."""
    name = " ".join(html.unescape(label).split())
    if _LOWER_CAMEL.match(name):
        name = " ".join(word[0].upper() + word[1:] for word in _CAMEL_BREAK.split(name))
    if len(name) == 2 and name.isalpha() and name.islower():  # a code: "us", "tv", "uk"
        return name.upper()
    if name[:1].islower() and name == name.lower():
        name = name[0].upper() + name[1:]
    return name


def site_name(url: str) -> str:
    """The key of a site's name, from its address: "https://www.rue89.com/" is "rue89", bbc.co.uk "bbc"."""
    host = (urlsplit(url).hostname or "") if "://" in url else ""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:  # bbc.co.uk, abc.net.au
        labels.pop()
    return topic_key(labels[-2]) if len(labels) >= 2 and len(labels[-2]) >= 3 else ""


def without_feed_name(label: str, name: str, initials: str = "") -> str:
    """A label less the name of the feed's own site (``site_name``) or its publisher's ``initials``: rue89's
    "Rue89 Culture" is "Culture", its "Rue89" no label at all (''); Foreign Policy's "FP Weekend" is "Weekend"
    (an edition, which the junk rules then drop); any other label as it is."""
    first, _, rest = label.partition(" ")
    if initials and first == initials:
        return rest.strip()
    if not name or label[:1].casefold() != name[:1]:
        return label
    key = topic_key(label)
    if key == name:
        return ""
    return rest.strip() if rest.strip() and topic_key(first) == name else label


def publisher_initials(name: str) -> str:
    """The initials a publisher brands its series with: "FP" of "Foreign Policy"; '' for a name of one word
    (its initial says nothing) or of lower-case words."""
    words = [word for word in name.split() if word not in ("The", "the")]
    initials = "".join(word[0] for word in words if word[:1].isupper() and word[:1].isalpha())
    return initials if len(words) >= 2 and len(initials) == len(words) else ""


@functools.lru_cache(maxsize=256)
def place_names(language: str) -> Mapping[str, str]:
    """The names of countries and regions in a language other than English (CLDR's, by Babel), by key, each to
    its English name: French "Allemagne" is "Germany", Italian "Mondo" is "World", Urdu "پاکستان" "Pakistan"."""
    code = re.split(r"[-_]", language.strip().lower())[0]
    if not code.isalpha() or code == "en" or not localedata.exists(code):
        return {}
    english = localedata.load("en")["territories"]
    names = {}
    for territory, name in localedata.load(code).get("territories", {}).items():
        if territory in english and territory != "ZZ" and _key(name) != _key(english[territory]):
            names[_key(name)] = english[territory][0].upper() + english[territory][1:]
    return names


@functools.lru_cache(maxsize=16384)
def label_topics(label: str, language: str = "") -> tuple[str, ...]:
    """The topics (names) one category label gives: none for junk or a language's name (``language``: the
    item's), several for a comma-separated list; a country or region named in the item's language goes by
    its English name, so that one topic gathers every feed's ("Allemagne", "Germany")."""
    label = " ".join(html.unescape(label).split())
    named = name_in_order(label)
    parts = [named] if named else _LIST.split(label)
    places = place_names(language) if language else {}
    return tuple(places.get(_key(part.strip())) or display_name(part) for part in parts
                 if part.strip() and not is_junk(part.strip()) and not is_language(_key(part.strip()), language))


@dataclass(frozen=True)
class TopicRules:
    """How one source's labels become topics: the built-in rules, then the operator's map.

    ``ignore``: more labels that are never topics (keys); ``aliases``: a label's key -> the topic it goes under;
    ``allowed``: if set, only these topics (keys, after aliases), every other label goes to ``default``;
    ``default``: the topic of items left without one.
    """

    default: str = DEFAULT_TOPIC
    ignore: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=dict)
    allowed: frozenset[str] | None = None

    def __hash__(self) -> int:  # a dict field: hashed by what the rest holds
        return hash((self.default, self.ignore, self.allowed, tuple(sorted(self.aliases.items()))))

    @classmethod
    def make(cls, default: str | None = None, ignore: Iterable[str] = (), aliases: Mapping[str, str] | None = None,
             allowed: Iterable[str] | None = None) -> TopicRules:
        allowed = None if allowed is None else list(allowed)
        # the allowed topics show as the operator wrote them ("World", whatever the feed's "World News")
        renames = {topic_key(name): display_name(name) for name in allowed or ()}
        renames.update((topic_key(label), display_name(name)) for label, name in (aliases or {}).items())
        return cls(default=display_name(default) if default else DEFAULT_TOPIC,
                   ignore=frozenset(topic_key(name) for name in ignore), aliases=renames,
                   allowed=None if allowed is None else frozenset(topic_key(name) for name in allowed))

    def topics(self, labels: Iterable[str], language: str = "") -> list[str]:
        """An item's topics (names, without repeats, at most ``MAX_TOPICS_PER_ARTICLE``) from its labels
        (``language``: the item's, whose name is no topic). An alias or an allowed topic keeps any label."""
        found: dict[str, str] = {}
        for label in labels:
            alias = self.aliases.get(topic_key(label)) if self.aliases else None
            for name in (alias,) if alias else label_topics(label, language):
                key = topic_key(name)
                if key in self.ignore or key in found:
                    continue
                if self.aliases and (renamed := self.aliases.get(key)):
                    name, key = renamed, topic_key(renamed)
                if self.allowed is not None and key not in self.allowed:
                    continue
                found.setdefault(key, name)
        return list(found.values())[:MAX_TOPICS_PER_ARTICLE] or [self.default]


BUILT_IN = TopicRules()


def is_person_scheme(scheme: str) -> bool:
    """A category scheme for people's names (the New York Times' ``.../keywords/nyt_per``)."""
    return bool(scheme and _PERSON_SCHEMES.search(scheme.rstrip("/")))
