"""Build the lede: whole sentences from the start of the article, in order, within a character budget.

What comes before the story's first sentence is taken off first: headings, labels and photo credits in
paragraphs of their own, bylines ("By ...", "Por ... e ..."), and the dateline that wire copy starts with,
in the styles of the world's agencies (``LONDON (Reuters) -``, ``AMMAN/BEIRUT (Reuters) -``, ``MADRI, 24 SET
(ANSA) -``, ``New Delhi, Aug 7 (KNN)``, ``(CNN) --``, ``Bengaluru:``), with a kicker before them ("Exclusif",
"EXCLUSIVE:"). An acronym that starts a sentence ("RBI keeps ...", "NASA launched ...") is no dateline: a
place without an agency or a date needs a dash or a colon after it, and a capital after that.

Then sentences are taken in the article's order while they fit. One that does not fit is passed over for a
shorter one after it only if that one can stand on its own (it does not open with "But", "He", "This", ...,
say "did so" or "then" of what was passed over, or ask a question: see ``_stands_alone``) and still comes
from the lede paragraphs; a first sentence longer than the budget is cut at a word boundary
and ends with an ellipsis, so the summary is never cut inside a word. A text the source cut off ("…" at its
end) gives its whole sentences only. The item's own short description (an RSS ``<description>`` beside its
full ``content:encoded``) is the summary when it reads as one: it is what the publisher wrote for the purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
             "|Agência Brasil|Folhapress|FOLHAPRESS|Europa Press|IRNA|WAM|SPA|MENA|QNA|KUNA|PAP|ČTK|CTK|TASR|MTI|BTA|HINA|Tanjug|Sputnik"
             "|Notimex|Prensa Latina|APP|BSS|UNB|PNA|VNA|KCNA|NAN|Fars|Tasnim|TNN|ENS|IANSlife|Agencies|agencies"
             "|AGENCIES|PRNewswire|PRNewswire-FirstCall|Business Wire|GLOBE NEWSWIRE|ACCESSWIRE|भाषा|वार्ता|एजेंसी")
_AGENCY = rf"[(/]\s*(?:{_AGENCIES})(?:\s*[/,]\s*(?:{_AGENCIES}))?\s*[)/]"
_DASH = r"(?:\s*(?:-{1,2}|[–—―:]|\.[-–—]|\.)(?=\s)|\s*-{1,2}(?=\w))"  # "-", "--", "—", ":", ".-" (EFE), "."
# The small words of place names and dates: "Newcastle upon Tyne", "Frankfurt am Main", "24 de septiembre".
_SMALL_WORDS = frozenset("de da do del di la le am an upon on sur en im of the y e et und".split())
# A place with an agency after it (known agencies only: "Tata Consultancy Services (TCS) reported" is a subject)
_AGENCY_AT = re.compile(rf"{_AGENCY}{_DASH}?\s*")
_AGENCY_REACH = 90  # characters before the agency's credit
# a place in capitals (any cased script, with a second city or a region), perhaps a date: then a dash or colon
_CAPITALS_DATELINE = re.compile(
    rf"^\s*(?P<place>{_LETTERS}[\w.'’-]*(?:[ /-]{_LETTERS}[\w.'’-]*){{0,3}})"
    rf"(?:\s*,\s*(?P<region>[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,2}}))?"
    rf"(?:\s*,\s*(?P<day>{_ANY_DAY}))?\s*(?:-{{1,2}}|[–—―:])\s+(?=[\W\d]*[^\W\d_])")
# a place and a date in any language, then a dash or colon: "Quito, 24 Set 2018 -", "Mumbai, November 3, 2025:"
_DATED_DATELINE = re.compile(rf"^\s*{_PLACE}\s*,\s*{_ANY_DAY}\s*(?:(?:-{{1,2}}|[–—―:])\s+|:(?=[^\W\d_]))")
# the sample's style, with an English month and no mark after it: "New Delhi, Aug 7 India and Russia met."
_ENGLISH_DATELINE = re.compile(rf"^\s*{_PLACE}\s*,\s*{_DAY}\s+(?=[A-Z])")
# Indian papers' "Bengaluru:", "New Delhi:", "नई दिल्ली:": one or two words of a place and a colon
_PLACE_COLON = re.compile(rf"^\s*(?:[A-Z][\w’'.-]+(?:\s[A-Z][\w’'.-]+)?|{_LETTERS}+(?:\s{_LETTERS}+)?)\s*:\s+"
                          rf"(?=[\W\d]*[^\W\d_])")
_PLACE_ABBREVIATIONS = frozenset({"UAE", "USA", "US", "UK", "EU", "UN", "NYC", "DC", "HK", "KSA"})
# a kicker before the story: "Exclusif Selon nos informations, ...", "Exclusif PC INpact : La Poste ...",
# "EXCLUSIVE: ...", "Breaking: ...", "Update - ..." (a capital after it; "Breaking Bad" needs a mark after it)
# A mark after it: a colon, or a dash between spaces ("Exclusive-rights deals", "Updated-look stores" are words);
# without one only the French "Exclusif" and capitals ("EXCLUSIVE Selon ..."): "Exclusive Economic Zone" is a name.
_KICKER = re.compile(r"^\s*(?:(?:Exclusi(?:ve|f|vo|va)|EXCLUSI(?:VE|F|VO|VA))(?:\s+[A-Z][^\s:]*){0,2}(?:\s*[:：]|\s+[–—-])\s+"
                     r"|(?:Exclusif|EXCLUSI(?:VE|F|VO|VA))\s+(?=[A-Z])"
                     r"|(?:Breaking(?:\s+[Nn]ews)?|BREAKING(?:\s+NEWS)?|Update|UPDATE|Updated|UPDATED)(?:\s*[:：]|\s+[–—-])\s+)"
                     r"(?=[\W\d]*[^\W\d_])")
_KICKER_STARTS = ("Exclusi", "EXCLUSI", "Breaking", "BREAKING", "Update", "UPDATE")
_BYLINE = re.compile(r"^(?:By|BY|Por|POR|Par|PAR|Von|VON|Door|Av|Af|Od|От)\s+")
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞŁŚŻ][\w.'’-]*,?|and|e|y|et|und|&|de|da|dos|van|von|der|al|el|bin)$")


def _is_place_and_date(text: str) -> bool:
    """Whether the words before an agency's credit can be a dateline: a few capitalised words (or words of a
    script without case), numbers, and lower-case words only beside a number (a month: "24 set", "24 de
    septiembre"): no sentence ("Police said on Monday (Reuters)" is none)."""
    words = [word.strip(",.:;()") for word in text.replace("/", " ").split()]
    if len(words) > 10:
        return False
    for index, word in enumerate(words):
        if not word or word[0].isdigit() or word in _SMALL_WORDS:
            continue
        if not word[0].isalpha():
            return False
        if word[0].islower() and not any(other[:1].isdigit() for other in words[max(0, index - 2): index + 2]):
            return False
    return True


def _is_upper_place(place: str) -> bool:
    """"WASHINGTON", "AMMAN/BEIRUT", "BRASÍLIA", "МОСКВА": a place written in capitals, two letters or more."""
    letters = [char for char in place if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _starts_sentence(text: str) -> bool:
    """Whether a sentence can start here: its first letter is no lower-case one ("NASA - the agency said" is
    no dateline), and it is no quotation that is all of its sentence (in "Obama: "We will win."" the name is
    the speaker; in "Mangaluru: "We will win," said the minister." the place is the dateline)."""
    for index, char in enumerate(text[:20]):
        if char.isalpha():
            return not char.islower()
        if char in _QUOTE_OPENERS:
            sentence = text[index: index + _LONGEST_QUOTE].split("\n", 1)[0]
            closing = max(sentence.find(closer, 1) for closer in _QUOTE_CLOSERS)
            return 0 < closing and _WORD_CHAR.search(sentence, closing + 1) is not None \
                and not _ENDS_SENTENCE.match(sentence, closing - 1)
    return True


def _dateline_end(text: str) -> int:
    """Where the dateline that ``text`` starts with ends (0 if it starts with none). Each form is tried only
    where a cheap look at the start allows it: this runs on the first paragraphs of every article."""
    head = text[:_AGENCY_REACH]
    for opening in "(/":
        at = head.find(opening)
        match = _AGENCY_AT.match(text, at) if at >= 0 else None
        if match and "\n" not in head[:at] and _is_place_and_date(head[:at]):
            return match.end()
    start = head[:40]
    first_word = start.split(None, 1)[0].split(",")[0] if start.strip() else ""
    if _is_upper_place(first_word):
        match = _CAPITALS_DATELINE.match(text)
        if match and _is_upper_place(match.group("place")) and _starts_sentence(text[match.end():]) and (
                match.group("day") or match.group("region") or not match.group().rstrip().endswith(":")
                or len(match.group("place")) >= 5 or " " in match.group("place")
                or match.group("place") in _PLACE_ABBREVIATIONS):  # "RBI: ..." is a subject, "UAE: ..." a place
            return match.end()
    patterns = (_DATED_DATELINE, _ENGLISH_DATELINE) if "," in start and any(c.isdigit() for c in head) else ()
    if ":" in start or "：" in start:
        patterns += (_PLACE_COLON,)
    for pattern in patterns:
        match = pattern.match(text)
        if match and _starts_sentence(text[match.end():]) and not (
                pattern is _PLACE_COLON and _is_upper_place(match.group())):  # "RBI: ..." is a subject
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
    """``text`` without the kicker, the byline and the dateline it starts with."""
    if text.startswith(_KICKER_STARTS):
        kicker = _KICKER.match(text)
        if kicker:
            text = text[kicker.end():]
    text = text[_byline_end(text):]
    return text[_dateline_end(text):]


_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "nos", "rs", "co", "corp", "ltd", "inc", "vs",
    "etc", "e.g", "i.e", "u.s", "u.k", "u.n", "govt", "gov", "sen", "rep", "gen", "col", "lt", "capt", "mt",
    "ft", "dept", "approx", "est", "fig", "vol", "pvt", "smt", "hon", "rev", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "p.m", "a.m", "op", "cf", "al", "sgt", "cpl",
    "adm", "gov", "pres", "supt", "insp", "ave", "blvd", "rd", "sra", "sr", "dra", "av", "nr", "bzw", "ca",
    "ext", "tel", "maj", "cmdr", "brig", "messrs", "mme", "mlle", "hr", "ing", "mgr", "msgr", "fr",
}
# The AP's abbreviations of US states, after a place and a comma only ("Sandisfield, Mass. Free Quarter Farm is
# ..."): elsewhere "ill.", "mass." or "ore." end sentences ("He fell ill. Doctors ...").
_STATES = frozenset({
    "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "kans", "ky", "la",
    "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex", "va",
    "vt", "wash", "wis", "wyo",
})
# "Most. Rev." (a slip for "Most Rev."), "Rt. Rev.": no sentence ends before the title they open
_BEFORE_REV = frozenset({"most", "rt", "right", "very"})
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "H.E.", "U.T.", "N.J.": letters with stops between them
# A stop (with the quote or bracket it closes) before a space and a word that is not in lower case, or run into
# the next sentence after a word or a number ("April.Previously", "since 2015.Over 120"; not "U.S.Army", "3.5",
# "Node.js", "nejm.org"). Only a "." needs a look at the word before it (see ``_is_abbreviation``).
_SENTENCE_END = re.compile(r"([.!?…।۔。！？]+)[\"'”’)\]»]*(?:(?=\s+(?![a-zß-öø-ÿα-ωа-яё])|\s*$)"
                           r"|(?<=[a-z\d][a-z\d][.!?])(?=[A-Z][a-z]))")
_CLOSERS = "\"'”’)]»"
_QUOTE_OPENERS = "\"“„«"
_QUOTE_CLOSERS = "\"”»"
_OPENERS = "\"'“‘([«"


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the "." at ``stop`` ends an abbreviation or an initial ("Mr.", "U.S.", "J.") rather than a sentence."""
    token = text[text.rfind(" ", max(0, stop - 40), stop) + 1: stop].lstrip(_OPENERS).lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()) \
        or "." in token and _INITIALS.fullmatch(token) is not None \
        or token in _BEFORE_REV and text.startswith((" Rev. ", " Rev "), stop + 1) \
        or token in _STATES and text.endswith(", ", 0, stop - len(token))


_STOP = re.compile(r"[.!?…।۔。！？]")  # what every sentence end starts with


def _sentence_ends(text: str) -> Iterator[re.Match]:
    """``_SENTENCE_END.finditer(text)``, in less than half its time: the stops found with a plain search, the
    expression tried at each (``finditer`` tries it at every place of the text, which costs more than the
    search). The same matches: one can only start at a stop, and a look behind sees the whole text."""
    search, match = _STOP.search, _SENTENCE_END.match
    found = search(text)
    while found:
        end = match(text, found.start())
        if end:
            yield end
            found = search(text, end.end())
        else:
            found = search(text, found.start() + 1)


def iter_sentences(text: str) -> Iterator[str]:
    """The sentences of ``text``, found as they are asked for."""
    start = 0
    quoting = '"' in text or "“" in text or "«" in text  # sentences do not end inside a quotation
    for match in _sentence_ends(text):
        end = match.end()
        if end == start or match.group(1)[0] == "." and _is_abbreviation(text, match.start(1) + len(match.group(1)) - 1):
            continue
        if quoting and not _balanced(text[start:end]) and end - start <= _LONGEST_QUOTE:
            continue
        sentence = text[start:end].strip()
        if sentence:
            yield sentence
        start = end
    rest = text[start:].strip()
    if rest:
        yield rest


def split_sentences(text: str, limit: int | None = None) -> list[str]:
    """The sentences of ``text``; with ``limit``, the first ``limit`` of them and then the rest as one."""
    sentences: list[str] = []
    found = iter_sentences(text)
    for sentence in found:
        if limit is not None and len(sentences) >= limit:
            return [*sentences, " ".join([sentence, *found])]
        sentences.append(sentence)
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
_ENDS_LIKE_AN_ITEM = re.compile(r"[.!?…।۔。！？:：;；,，][\"'”’)\]»]*$")  # a list's items may end in ";" or ","
_ENDS_WITH_COLON = re.compile(r"\s*[:：]$")


def _ends_with(pattern: re.Pattern, text: str) -> bool:
    """Whether ``pattern`` (a stop and what may close after it) matches at the end of ``text``: tried on its
    last characters only, where a search would try every place of a long paragraph."""
    return pattern.search(text, max(0, len(text) - 8)) is not None

_ENDS_SENTENCE = re.compile(r"[.!?।۔。！？][\"'”’)\]»]*$")
_BYLINE_PARAGRAPH = re.compile(r"^(?:By|BY|Por|Par|Von|Door|Av|Af|Od|От)\s+[^.!?\n]{2,60}\.?$")
_LIST_MARK = re.compile(r"^(?:• |\d{1,2}[.)] )")
# The words that open a sentence leaning on the one before it, in the feeds' languages: connectives ("But",
# "Then", "Mais", "También"), pronouns and demonstratives ("He", "This", "C'est", "Это"), "Other"; an -ing clause
# too ("Explaining the cuts, Murray ..."). Looked up as the first word (a set is quicker than an expression).
_LEANS_BACK_WORDS = frozenset("""but and or nor so yet also too however still meanwhile instead then thus therefore
    moreover besides furthermore nevertheless nonetheless otherwise hence indeed additionally later earlier again
    other others another both each either neither he she it they him her his its their them we us our i you this
    that these those there here such well
    mais et ou donc alors puis ensuite aussi pourtant cependant toutefois néanmoins or car il elle ils elles ce ça
    cela ceci cette ces cet celui celle lui leur pourquoi
    pero y o también además entonces luego él ella ellos ellas este esta esto estos estas ese esa eso su sus
    mas e porém contudo entretanto então ele ela eles elas isto esse essa isso seu sua
    aber und oder doch auch jedoch dann deshalb daher er sie es dies diese dieser dieses dort damit dabei
    ma anche però tuttavia poi quindi lei loro questo questa quello quella ciò
    но и а также однако тогда потом он она они оно это этот эта эти тот там его её их
    यह वह लेकिन और इस उस ये वे उन्होंने उन्हें""".split())
_LEANS_BACK_PHRASE = re.compile(
    r"(?:in\s+(?:fact|addition)|as\s+a\s+result|even\s+so|after\s+that|despite\s+(?:this|that)"
    r"|the\s+(?:same|other|latter|former)|one\s+of\s+them|sin\s+embargo|en\s+el\s+otro|au\s+secours|quoi\s+qu)\b",
    re.IGNORECASE)
_PHRASE_STARTS = frozenset("in as even after despite the one sin en au quoi".split())
# ... and the words inside one that do: "No parties involved in the case did so.", "The panel would then start over."
_CONTRACTED = frozenset("s re ll ve d m t est".split())  # what follows the apostrophe of "We're", "It's", "C'est"
# an -ing clause that leans on what was said before ("Explaining the cuts, Murray ..."); not "Beijing said",
# nor a preposition ("During the storm, ...", "According to ...")
_ING_CLAUSE = re.compile(r"[A-Z][a-z]+ing\s+(?:the|a|an|his|her|their|its|this|that|these|those)\b[^,.]{0,60},")
_PREPOSITIONS = frozenset("during according including following regarding concerning considering".split())
_REFERS_BACK_WORDS = frozenset("""then also however nevertheless toutefois cependant pourtant également
    también tampoco porém também jedoch tuttavia однако также""".split())
_REFERS_BACK_PHRASE = re.compile(r"\b(?:(?:did|do|does|doing)\s+so|as\s+well|tout\s+de\s+même|sin\s+embargo)\b")
_PHRASE_ENDS = frozenset("so well même embargo".split())
_WORD_CHAR = re.compile(r"\w")
_ASIDE = re.compile(r"^[(\[][^()\[\]]*[)\]][.]?$")  # a sentence all in brackets: tags, a credit, an aside
_LOOKAHEAD = 6  # sentences from the start that may fill the budget
_LABEL_LENGTH = 100  # characters: a label is shorter
_SHORTEST = 3  # characters: no sentence fits in less room than that (a space, a letter and its stop)
_MIN_WORDS = 5  # a shorter "sentence" after one passed over reads as a fragment
_LONGEST_QUOTE = 400  # characters: a quotation still open after them was never closed; sentences end in it


def _lede_paragraphs(text: str, budget: int) -> Iterator[tuple[str, bool]]:
    """The first paragraphs, from the first that reads as prose (a heading, a byline or a photo credit before
    it, "Key highlights", "By Staff Reporter", "Photo: PTI", ends in no sentence mark and is no lede), each with
    whether it ends the text. Lists give the items that are sentences, without their marks; a list of bare
    links or headlines gives none. The first two lose their dateline (the second's: after a standfirst or a
    list of key points)."""
    window = text[: budget * 5]
    parts = window.split("\n\n")
    last = len(parts) - 1 if len(window) == len(text) else -1
    labels: list[str] = []
    given = 0
    after_list = False
    for number, paragraph in enumerate(parts):
        paragraph_as_written = paragraph
        if len(paragraph) < _LABEL_LENGTH and parts.count(paragraph) > 1:
            continue  # said more than once: a label ("Photos:", "此主题相关图片如下：") before what was left out
        if "\n" in paragraph:
            lines = paragraph.split("\n")
            if all(_LIST_MARK.match(line) for line in lines):
                paragraph = " ".join(_LIST_MARK.sub("", line) for line in lines if _ends_with(_ENDS_LIKE_AN_ITEM, line))
            else:
                paragraph = " ".join(lines)
        elif _LIST_MARK.match(paragraph):
            paragraph = _LIST_MARK.sub("", paragraph) if _ends_with(_ENDS_LIKE_AN_ITEM, paragraph) else ""
        if "  " in paragraph or paragraph[:1].isspace() or paragraph[-1:].isspace():
            paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if not given and number < 4 and number != last and (
                _BYLINE_PARAGRAPH.match(paragraph) or not _ends_with(_ENDS_LIKE_PROSE, paragraph)):
            labels.append(paragraph)  # a label before the first prose, unless there is no prose
            continue
        if not given or after_list:
            paragraph = strip_dateline(paragraph)
        after_list = "\n" in paragraph_as_written or paragraph_as_written.startswith(("• ", "1. "))
        given += 1
        yield paragraph, number == last
    if not given and labels:
        yield labels[-1], False


def _units(text: str, budget: int) -> Iterator[tuple[str, bool | None]]:
    """The first sentences of the lede paragraphs, each with whether it is whole: True; False for the end of a
    text the source cut off; None for a heading inside the text (a paragraph with no sentence mark), where the
    lede must stop."""
    cut_off = text.endswith(ELLIPSIS)
    count = 0
    for paragraph, at_end in _lede_paragraphs(text, budget):
        sentences = list(iter_sentences(paragraph)) if at_end else iter_sentences(paragraph)
        for sentence in sentences:
            if not _WORD_CHAR.search(sentence) or len(sentence) < 120 and (
                    is_boilerplate(sentence) or _ASIDE.match(sentence)):
                continue  # ". .", "Scroll down for video .", "(Twitch, Amazon)" inside a paragraph
            if at_end and sentence is sentences[-1]:
                whole = not cut_off  # the last sentence of all: whole unless cut off, even without its stop
            else:
                whole = True if _ends_with(_ENDS_SENTENCE, sentence) or sentence.endswith((":", "：")) else None
            yield sentence, whole
            count += 1
            if count >= _LOOKAHEAD:
                return


def _all_quoted(sentence: str) -> bool:
    """A quotation that is all of its sentence: whose words it is was said before it."""
    return sentence[:1] in _QUOTE_OPENERS + "‘" and sentence.rstrip(".!?")[-1:] in _QUOTE_CLOSERS + "’"


def _stands_alone(sentence: str) -> bool:
    """Whether ``sentence`` can follow a sentence passed over: five words or more, not opening with a
    connective or a word that points back ("But", "Then", "He", "This", "Other", "C'est", "También", an -ing
    clause), not saying "did so", "then", "also", "however" and the like, not a bare quotation (whose?), a
    question or an exclamation (a subheading's "What did the commentators say?")."""
    if _word_count(sentence) < _MIN_WORDS or _all_quoted(sentence) \
            or sentence.rstrip(_CLOSERS).endswith(("?", "!", "？", "！")):
        return False
    words = sentence.lower().replace(",", " ").replace(".", " ").replace(";", " ").replace(":", " ").split()
    opening = sentence.lstrip(_OPENERS)
    written = opening.split(None, 1)[0] if opening else ""
    first = words[0].lstrip(_OPENERS) if words else ""
    if "’" in first or "'" in first:  # "We’re", "It’s", "C’est": the word before a contraction's apostrophe
        before, _, after = first.replace("’", "'").partition("'")
        if after in _CONTRACTED or before == "c":
            first = before
    if written.isupper() and len(written) > 1:  # "US officials", "IT firms": a name, not "us", "it"
        first = written
    if first in _LEANS_BACK_WORDS or first == "c" or _ING_CLAUSE.match(opening) and first not in _PREPOSITIONS \
            or first in _PHRASE_STARTS and _LEANS_BACK_PHRASE.match(opening):
        return False
    return _REFERS_BACK_WORDS.isdisjoint(words) and (
        _PHRASE_ENDS.isdisjoint(words) or not _REFERS_BACK_PHRASE.search(" ".join(words)))


def _balanced(sentence: str) -> bool:
    """Whether a sentence holds whole quotations: not the end of one that began in the sentence before."""
    return sentence.count('"') % 2 == 0 and sentence.count("“") == sentence.count("”") and \
        sentence.count("«") == sentence.count("»")


def summarize(text: str, budget: int = DEFAULT_SUMMARY_CHARS) -> str:
    """Whole sentences from the start of ``text`` that fit in ``budget`` characters, in order."""
    units = _units(text, budget)
    first, whole = next(units, ("", False))
    if whole and first.endswith(("!", "！")) and _word_count(first) <= 3:  # "Dear customers!" is no lede
        first, whole = next(units, (first, whole))
    if len(first) > budget:
        return shorten(first.removesuffix(ELLIPSIS), budget)
    if not whole:  # nothing; a standfirst without a stop; a first sentence the source cut off: as it is
        return first
    chosen, size, passed_over = [first], len(first), False
    for sentence, whole in units:
        if whole is None or budget - size < _SHORTEST:
            break
        if not whole:
            continue
        if size + 1 + len(sentence) > budget:
            passed_over = True
            continue
        if passed_over and not _stands_alone(sentence):
            continue
        if not _balanced(sentence):  # the end of a quotation too long to be kept whole
            continue
        chosen.append(sentence)
        size += 1 + len(sentence)
    if chosen[-1].endswith((":", "：")):  # it announces what follows, which is not there
        if len(chosen) > 1 and _word_count(" ".join(chosen[:-1])) >= _MIN_WORDS:
            chosen.pop()
        elif _word_count(" ".join(chosen)) < _MIN_WORDS:
            return ""  # a label ("Product details:") before what was left out
        else:
            chosen[-1] = _ENDS_WITH_COLON.sub("", chosen[-1]) + ELLIPSIS
    return " ".join(chosen)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


_CJK = re.compile("[\u3040-\u9fff]")
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|org|net|gov|edu|co|io|info|news|[a-z]{2})\b")  # "nejm.org" after a headline


def _word_count(text: str) -> int:
    """Words, counting two Chinese or Japanese characters as one (those scripts put no spaces between words)."""
    if text.isascii():
        return text.count(" ") + 1 if text else 0  # the text's spaces are single ones
    return len(text.split()) + len(_CJK.findall(text)) // 2


def reads_as_lede(summary: str) -> bool:
    """Whole sentences of some length, not a fragment, label or cut-off excerpt."""
    return _word_count(summary) >= _MIN_WORDS and _ends_with(_ENDS_SENTENCE, summary)


def _rank(summary: str) -> tuple[bool, bool, bool]:
    """How good a summary is: a lede; else whole (not cut off); else long enough to say something."""
    return reads_as_lede(summary), bool(summary) and not summary.endswith(ELLIPSIS), _word_count(summary) >= _MIN_WORDS


def item_summary(title: str, text: str, description: str = "", budget: int = DEFAULT_SUMMARY_CHARS) -> str:
    """The summary of an item: from its own short description if it has one that reads as a lede (it is what
    the publisher wrote as the summary), else from its text if that gives a better one. A summary that only
    says the headline again (an aggregator's list of links, a bulletin named like its title, "A boy asks Santa
    to ..." under "Boy asks Santa to ...", "Harlem Globetrotter visits ..." under "Globetrotter visits ...") is
    none."""
    def saying_more(summary: str) -> str:
        if len(summary) > 2 * len(title) + 20:  # longer than any repetition of it
            return summary
        # an article or a pronoun more, or one word more than a headline of some length, says nothing more
        more = _words(summary) - _words(title)
        if len(more) <= 3 and "." in summary:  # a publisher's domain says nothing more ("... | NEJM nejm.org")
            more = _words(_DOMAIN.sub("", summary)) - _words(title)
        if _CJK.search(summary):  # no spaces between words: \w+ finds phrases, not words
            return "" if not more else summary
        if len(more) <= 2 and all(len(word) <= 3 for word in more) or len(more) == 1 and _word_count(title) >= 4:
            return ""
        return summary

    if not description:
        return saying_more(summarize(text, budget))
    summary = saying_more(summarize(description, budget))
    if not reads_as_lede(summary):
        from_text = saying_more(summarize(text, budget))
        if _rank(from_text) >= _rank(summary):
            summary = from_text
    return summary
