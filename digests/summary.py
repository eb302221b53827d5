"""Build the lede: whole sentences from the start of the article, in order, within a character budget.

What comes before the story's first sentence is taken off first: headings, labels and photo credits in
paragraphs of their own, bylines ("By ...", "Por ... e ..."), and the dateline that wire copy starts with,
in the styles of the world's agencies (``LONDON (Reuters) -``, ``AMMAN/BEIRUT (Reuters) -``, ``MADRI, 24 SET
(ANSA) -``, ``New Delhi, Aug 7 (KNN)``, ``(CNN) --``, ``Bengaluru:``). An acronym that starts a sentence ("RBI
keeps ...", "NASA launched ...") is no dateline: a place without an agency or a date needs a dash or a colon
after it, and a capital after that.

Then sentences are taken in the article's order while they fit. One that does not fit is passed over for a
shorter one after it only if that one can stand on its own (it does not open with "But", "He", "This", ...)
and still comes from the lede paragraphs; a first sentence longer than the budget is cut at a word boundary
and ends with an ellipsis, so the summary is never cut inside a word. A text the source cut off ("…" at its
end) gives its whole sentences only. The item's own short description (an RSS ``<description>`` beside its
full ``content:encoded``) is the summary when it reads as one: it is what the publisher wrote for the purpose.
"""

from __future__ import annotations

import re
from collections import Counter

from digests.cleaning import ELLIPSIS, is_boilerplate

DEFAULT_SUMMARY_CHARS = 300

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_PLACE = r"[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,3}"
_DAY = rf"(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH})(?:\s*,?\s*\d{{4}})?"  # Aug 7, 7 August 2025
_LETTERS = r"[^\W\d_]"
# A date in any language: "Aug 7", "7 August 2025", "24 SET", "24 Set 2018", "24 сентября", "Sept. 24, 2018",
# "24.09.2018"; told from a place's name by its number.
_ANY_DAY = (rf"(?:\d{{1,2}}\.?\s+(?:de\s+)?{_LETTERS}{{3,12}}\.?(?:\s+(?:de\s+)?\d{{4}})?"
            rf"|{_LETTERS}{{3,12}}\.?\s+\d{{1,2}}(?:\s*,?\s*\d{{4}})?|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}})")
# News agencies, as their credit is written after the dateline: "(Reuters)", "(AP)", "/PRNewswire/", "(भाषा)".
_AGENCIES = ("Reuters|Reuters Breakingviews|Reuters Health|AP|AFP|AFP-JIJI|ANSA|ANSAmed|EFE|dpa|DPA|PTI|IANS|ANI|UNI"
             "|KNN|Xinhua|XINHUA|UPI|Bloomberg|CNN|CNN Business|BBC|TASS|ТАСС|RIA Novosti|РИА Новости|Interfax"
             "|Интерфакс|Kyodo|Jiji|Yonhap|Anadolu|AA|Bernama|Antara|AAP|CP|APA|SDA|ATS|Belga|ANP|NTB|TT|STT|Lusa"
             "|Agência Brasil|Europa Press|IRNA|WAM|SPA|MENA|QNA|KUNA|PAP|ČTK|CTK|TASR|MTI|BTA|HINA|Tanjug|Sputnik"
             "|Notimex|Prensa Latina|APP|BSS|UNB|PNA|VNA|KCNA|NAN|Fars|Tasnim|TNN|ENS|IANSlife|Agencies|agencies"
             "|AGENCIES|PRNewswire|PRNewswire-FirstCall|Business Wire|GLOBE NEWSWIRE|ACCESSWIRE|भाषा|वार्ता|एजेंसी")
_AGENCY = rf"[(/]\s*(?:{_AGENCIES})(?:\s*[/,]\s*(?:{_AGENCIES}))?\s*[)/]"
_DASH = r"(?:\s*(?:-{1,2}|[–—―:]|\.[-–—]|\.)(?=\s)|\s*-{1,2}(?=\w))"  # "-", "--", "—", ":", ".-" (EFE), "."
# The words of a place and a date in a dateline: capitalised or upper-case words of any cased script, words
# of uncased scripts, numbers, and the small words of place names ("upon", "de", "am").
_PLACE_WORD = re.compile(r"^(?:[^\W\d_][\w.'’-]*|\d{1,4}[.,]?|\(?[A-Z]{1,3}\)?|de|da|do|del|di|la|le|am|an|upon|on"
                         r"|sur|en|im|of|the|y|e|et|und)[,.:]?$")
# A place with an agency after it (known agencies only: "Tata Consultancy Services (TCS) reported" is a subject)
_AGENCY_DATELINE = re.compile(rf"^\s*(?P<pre>[^()\n]{{0,80}}?)\s*{_AGENCY}{_DASH}?\s*")
# a place in capitals (any cased script, with a second city or a region), perhaps a date: then a dash or colon
_CAPITALS_DATELINE = re.compile(
    rf"^\s*(?P<place>{_LETTERS}[\w.'’-]*(?:[ /-]{_LETTERS}[\w.'’-]*){{0,3}})"
    rf"(?:\s*,\s*(?P<region>[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,2}}))?"
    rf"(?:\s*,\s*(?P<day>{_ANY_DAY}))?\s*(?:-{{1,2}}|[–—―:])\s+(?=[\W\d]*[^\W\d_])")
# a place and a date in any language, then a dash or colon: "Quito, 24 Set 2018 -", "Mumbai, November 3, 2025:"
_DATED_DATELINE = re.compile(rf"^\s*{_PLACE}\s*,\s*{_ANY_DAY}\s*(?:-{{1,2}}|[–—―:])\s+")
# the sample's style, with an English month and no mark after it: "New Delhi, Aug 7 India and Russia met."
_ENGLISH_DATELINE = re.compile(rf"^\s*{_PLACE}\s*,\s*{_DAY}\s+(?=[A-Z])")
# Indian papers' "Bengaluru:", "New Delhi:", "नई दिल्ली:": one or two words of a place and a colon
_PLACE_COLON = re.compile(rf"^\s*(?:[A-Z][\w’'.-]+(?:\s[A-Z][\w’'.-]+)?|{_LETTERS}+(?:\s{_LETTERS}+)?)\s*:\s+"
                          rf"(?=[\W\d]*[^\W\d_])")
_BYLINE = re.compile(r"^(?:By|BY|Por|POR|Par|PAR|Von|VON|Door|Av|Af|Od|От)\s+")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞŁŚŻ][\w.'’-]*,?|and|e|y|et|und|&|de|da|dos|van|von|der|al|el|bin)$")


def _is_place_and_date(text: str) -> bool:
    """Whether the words before an agency's credit can be a dateline: short, no sentence in them."""
    words = text.replace("/", " ").split()
    if len(words) > 10:
        return False
    lower = sum(1 for word in words if word[:1].islower() and not _PLACE_WORD.match(word))
    return lower <= 2 and all(_PLACE_WORD.match(word) or word[:1].islower() for word in words)


def _is_upper_place(place: str) -> bool:
    """"WASHINGTON", "AMMAN/BEIRUT", "BRASÍLIA", "МОСКВА": a place written in capitals, two letters or more."""
    letters = [char for char in place if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _dateline_end(text: str) -> int:
    """Where the dateline that ``text`` starts with ends (0 if it starts with none)."""
    match = _AGENCY_DATELINE.match(text)
    if match and _is_place_and_date(match.group("pre")):
        return match.end()
    match = _CAPITALS_DATELINE.match(text)
    if match and _is_upper_place(match.group("place")):
        return match.end()
    for pattern in (_DATED_DATELINE, _ENGLISH_DATELINE, _PLACE_COLON):
        match = pattern.match(text)
        if match:
            return match.end()
    return 0


def _byline_end(text: str) -> int:
    """Where a byline that runs into the dateline ends: "Por Matt Spetalnick e Jason Szep WASHINGTON (Reuters) -"."""
    start = _BYLINE.match(text)
    if not start:
        return 0
    words = text[start.end(): start.end() + 200].split(" ")
    position = start.end()
    for count, word in enumerate(words[:8], start=1):
        if not _NAME_WORD.match(word):
            return 0
        position += len(word) + 1
        if count >= 2 and _dateline_end(text[position:]):
            return position
    return 0


def strip_dateline(text: str) -> str:
    """``text`` without the byline and dateline it starts with (and without a second, as in "(CNN) --" after
    a place)."""
    text = text[_byline_end(text):]
    for _ in range(2):
        end = _dateline_end(text)
        if not end:
            break
        text = text[end:]
    return text


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "nos", "rs", "co", "corp", "ltd", "inc", "vs",
    "etc", "e.g", "i.e", "u.s", "u.k", "u.n", "govt", "gov", "sen", "rep", "gen", "col", "lt", "capt", "mt",
    "ft", "dept", "approx", "est", "fig", "vol", "pvt", "smt", "hon", "rev", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "p.m", "a.m", "op", "cf", "al", "sgt", "cpl",
    "adm", "gov", "pres", "supt", "insp", "ave", "blvd", "rd", "sra", "sr", "dra", "av", "nr", "bzw", "ca",
}
_LAST_WORD = re.compile(r"(?<![\w.])([\w.]+)\.$")  # the lookbehind: one try per word, not per character
_SENTENCE_END = re.compile(r"[.!?…।۔。！？]+[\"'”’)\]»]*(?=\s|$)|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


def _ends_sentence(text: str, end: int, mark: str) -> bool:
    following = text[end:].lstrip()
    if following and following[0].islower():
        return False
    if mark.startswith("."):
        before = text[max(0, end - 64): end - (len(mark) - len(mark.rstrip("\"'”’)]»")))]  # the last word is enough
        word = _LAST_WORD.search(before)
        if word:
            token = word.group(1).lower()
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                return False
    return True


def split_sentences(text: str, limit: int | None = None) -> list[str]:
    """The sentences of ``text``; with ``limit``, the first ``limit`` of them and then the rest as one."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if limit is not None and len(sentences) >= limit:
            break
        if match.end() == start:
            continue
        if _ends_sentence(text, match.end(), match.group() or ".") and (
                _balanced(text[start: match.end()]) or match.end() - start > _LONGEST_QUOTE):
            sentence = text[start: match.end()].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def shorten(text: str, budget: int) -> str:
    """Cut ``text`` to at most ``budget`` characters at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= budget:
        return text
    cut = text[: budget - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    # no space at all (Chinese, Japanese, or one huge token): cut between characters rather than lose it all
    cut = cut[:space] if space > 0 else cut[: budget - len(ELLIPSIS)]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS if cut else ELLIPSIS


_ENDS_LIKE_PROSE = re.compile(r"[.!?…।۔。！？:：][\"'”’)\]»]*$")
_ENDS_WITH_COLON = re.compile(r"\s*[:：]$")
_ENDS_SENTENCE = re.compile(r"[.!?।۔。！？][\"'”’)\]»]*$")
_BYLINE_PARAGRAPH = re.compile(r"^(?:By|BY|Por|Par|Von|Door|Av|Af|Od|От)\s+[^.!?\n]{2,60}\.?$")
_LIST_MARK = re.compile(r"^(?:• |\d{1,2}[.)] )")
# A sentence that leans on the one before it cannot follow a sentence passed over: "But ...", "He said ...".
_LEANS_BACK = re.compile(
    r"^[\"'“‘]?(?:but|and|or|so|yet|also|however|still|meanwhile|instead|then|thus|therefore|moreover|besides"
    r"|he|she|it|they|him|her|his|its|their|them|this|that|these|those|there|here|such|the\s+(?:same|other|latter"
    r"|former)|mas|e|mais|et|aber|und|pero|y|ma|но|и|а|यह|वह|लेकिन|और)\b",
    re.IGNORECASE)
_ASIDE = re.compile(r"^[(\[][^()\[\]]*[)\]][.]?$")  # a sentence all in brackets: tags, a credit, an aside
_LOOKAHEAD = 6  # sentences from the start that may fill the budget
_MIN_WORDS = 5  # a shorter "sentence" after one passed over reads as a fragment
_LONGEST_QUOTE = 400  # characters: a quotation still open after them was never closed; sentences end in it


def _lede_paragraphs(text: str, budget: int) -> tuple[list[str], bool]:
    """The first paragraphs, from the first that reads as prose (a heading, a byline or a photo credit before
    it, "Key highlights", "By Staff Reporter", "Photo: PTI", ends in no sentence mark and is no lede), and
    whether they are all of the text. Lists keep the items that are sentences, without their marks; a list of
    bare links or headlines gives none."""
    paragraphs: list[str] = []
    labels: list[str] = []
    size = 0
    parts = text[: budget * 6].split("\n\n")
    counts = Counter(parts)
    for number, paragraph in enumerate(parts):
        if counts[paragraph] > 1:
            continue  # said more than once: a label ("Photos:", "此主题相关图片如下：") before what was left out
        lines = paragraph.split("\n")
        if all(_LIST_MARK.match(line) for line in lines):
            paragraph = " ".join(_LIST_MARK.sub("", line) for line in lines if _ENDS_LIKE_PROSE.search(line))
            if not paragraph:
                continue
        else:
            paragraph = " ".join(paragraph.split())
        if not paragraphs and number < 4 and number < len(parts) - 1 and (
                _BYLINE_PARAGRAPH.match(paragraph) or not _ENDS_LIKE_PROSE.search(paragraph)):
            labels.append(paragraph)  # a label before the first prose, unless there is no prose
            continue
        paragraphs.append(paragraph)
        size += len(paragraph)
        if size > budget * 3:
            return paragraphs, False
    if not paragraphs and labels:
        return labels[-1:], False
    return paragraphs, len(text) <= budget * 6


def _units(paragraphs: list[str], complete: bool, cut_off: bool) -> list[tuple[str, bool | None]]:
    """The first sentences, each with whether it is whole: True; False for the end of a text the source cut
    off; None for a heading inside the text (a paragraph with no sentence mark), where the lede must stop."""
    units: list[tuple[str, bool | None]] = []
    for number, paragraph in enumerate(paragraphs):
        at_end = complete and number == len(paragraphs) - 1
        sentences = split_sentences(paragraph)
        for index, sentence in enumerate(sentences):
            if not any(char.isalnum() for char in sentence) or is_boilerplate(sentence) or _ASIDE.match(sentence):
                continue  # ". .", "Scroll down for video .", "(Twitch, Amazon)" inside a paragraph
            if at_end and index == len(sentences) - 1:
                whole = not cut_off  # the last sentence of all: whole unless cut off, even without its stop
            else:
                whole = True if _ENDS_SENTENCE.search(sentence) else None
            units.append((sentence, whole))
            if len(units) >= _LOOKAHEAD:
                return units
    return units


def _balanced(sentence: str) -> bool:
    """Whether a sentence holds whole quotations: not the end of one that began in the sentence before."""
    return sentence.count('"') % 2 == 0 and sentence.count("“") == sentence.count("”") and \
        sentence.count("«") == sentence.count("»")


def summarize(text: str, budget: int = DEFAULT_SUMMARY_CHARS) -> str:
    """Whole sentences from the start of ``text`` that fit in ``budget`` characters, in order."""
    paragraphs, complete = _lede_paragraphs(text, budget)
    paragraphs = [paragraph for paragraph in map(strip_dateline, paragraphs) if paragraph]
    units = _units(paragraphs, complete, text.endswith(ELLIPSIS))
    if not units:
        return ""
    first, whole = units[0]
    if len(first) > budget:
        return shorten(first.removesuffix(ELLIPSIS), budget)
    if not whole:  # a standfirst without a stop, or a first sentence the source cut off: as it is
        return first
    chosen, size, passed_over = [first], len(first), False
    for sentence, whole in units[1:]:
        if whole is None:
            break
        if not whole:
            continue
        if size + 1 + len(sentence) > budget:
            passed_over = True
            continue
        if passed_over and (_LEANS_BACK.match(sentence) or _word_count(sentence) < _MIN_WORDS):
            continue
        if not _balanced(sentence):  # the end of a quotation too long to be kept whole
            continue
        chosen.append(sentence)
        size += 1 + len(sentence)
    if _ENDS_WITH_COLON.search(chosen[-1]):  # it announces what follows, which is not there
        if len(chosen) > 1 and _word_count(" ".join(chosen[:-1])) >= _MIN_WORDS:
            chosen.pop()
        else:
            chosen[-1] = _ENDS_WITH_COLON.sub("", chosen[-1]) + ELLIPSIS
    return " ".join(chosen)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _word_count(text: str) -> int:
    """Words, counting two Chinese or Japanese characters as one (those scripts put no spaces between words)."""
    return len(text.split()) + sum(1 for char in text if "\u3040" <= char <= "\u9fff") // 2


def reads_as_lede(summary: str) -> bool:
    """Whole sentences of some length, not a fragment, label or cut-off excerpt."""
    return _word_count(summary) >= _MIN_WORDS and bool(_ENDS_SENTENCE.search(summary))


def _rank(summary: str) -> tuple[bool, bool, bool]:
    """How good a summary is: a lede; else whole (not cut off); else long enough to say something."""
    return reads_as_lede(summary), bool(summary) and not summary.endswith(ELLIPSIS), _word_count(summary) >= _MIN_WORDS


def item_summary(title: str, text: str, description: str = "", budget: int = DEFAULT_SUMMARY_CHARS) -> str:
    """The summary of an item: from its own short description if it has one that reads as a lede (it is what
    the publisher wrote as the summary), else from its text if that gives a better one. A summary that only
    says the headline again (an aggregator's list of links, a bulletin named like its title) is none."""
    headline = _words(title)

    def saying_more(summary: str) -> str:
        return "" if _words(summary) <= headline else summary

    summary = saying_more(summarize(description, budget)) if description else ""
    if not reads_as_lede(summary):
        from_text = saying_more(summarize(text, budget))
        if _rank(from_text) >= _rank(summary):
            summary = from_text
    return summary
