"""Headlines as an editor writes them: the wires' desk labels read as labels, their version noise off, and an
aggregator's " - Publisher" taken out of the headline (the publisher is credited apart, see ``feeds``).

Reuters (and the papers that run its copy) put desk labels before the headline, glued with a hyphen:
"Analysis-US envoys juggle two crisis talks", "EXCLUSIVE-...", "UPDATE 2-...", "RPT-CORRECTED-...". The
version noise (UPDATE n, RPT, REFILE, CORRECTED, WRAPUP n) tells the wire's subscribers which take this is and
says nothing to a reader: it goes. A label that says what kind of story it is stays, written the way readers
read it: "Analysis: US envoys juggle ...". Only these labels are read so: a hyphen after the first word is
often the headline's own ("Pro-Russian forces", "Ex-President", "T-Mobile").

A headline has no full stop of its own (CNN's feeds end theirs with one); two sentences keep theirs. A label
in brackets ("[Édito] ...") reads as a label, and one in capitals throughout is written in title case.
"""

from __future__ import annotations

import re

# the wires' version noise, in capitals as they write it: which take of the story this is
_NOISE = r"UPDATE(?:\s+\d{1,2})?|RPT|REPEAT|REFILE|CORRECTED|CORRECTION|WRAPUP(?:\s+\d{1,2})?|RECASTS?|ADVISORY"
# the labels that tell a reader what kind of story it is: in any case those no headline starts with ...
_LABELS = ("Analysis|Snap Analysis|Exclusive|Factbox|Fact Box|Explainer|Insight|Breakingviews|Instant View|"
           "Commentary|Special Report|Fact Check|Wider Image|Reuters Poll|Q\\+A|Q&A|Obituary")
# ... and in capitals only those a title-case headline may start with ("Feature-Length", "Focus-Group", "Poll-Tax")
_CAPITAL_LABELS = "FOCUS|TIMELINE|CHRONOLOGY|GRAPHICS?|COLUMN|INTERVIEW|POLL|FEATURE|PREVIEW|SCENARIOS|HIGHLIGHTS"
_ANY_LABEL = rf"{_NOISE}|{_CAPITAL_LABELS}|(?i:{_LABELS})"
# a run of labels, each glued to what follows by a hyphen, before a headline that starts as one does
_PREFIX = re.compile(rf"^(?:(?:{_ANY_LABEL})\s?-\s?)+(?=[\"'‘“«$€£(]?[A-Z0-9À-Þ])")
_ONE = re.compile(rf"({_NOISE})|({_CAPITAL_LABELS}|(?i:{_LABELS}))")
_LABEL_NAMES = {name.casefold(): name for name in (_LABELS.replace("\\", "") + "|Focus|Timeline|Chronology|Graphic|"
                "Graphics|Column|Interview|Poll|Feature|Preview|Scenarios|Highlights").split("|")}


def without_wire_labels(title: str) -> str:
    """The headline without the wire's version noise, its kind-of-story labels written "Label: headline"."""
    match = _PREFIX.match(title)
    if not match:
        return title
    labels = [_LABEL_NAMES.get(" ".join(label.split()).casefold(), label)
              for noise, label in _ONE.findall(match.group()) if label]
    rest = title[match.end():]
    if not rest.strip():
        return title
    return "".join(f"{label}: " for label in dict.fromkeys(labels)) + rest


def without_publisher(title: str, publisher: str) -> str:
    """"Headline - Publisher" (an aggregator's way, Google News') as "Headline", and the page's own " | Site"
    before it when that names the publisher ("... Fractures | NEJM" from nejm.org); else the title as it is."""
    if not publisher:
        return title
    for dash in (" - ", " – ", " — ", " | "):
        if title.endswith(dash + publisher) and title[:-len(dash + publisher)].strip():
            title = title[:-len(dash + publisher)].rstrip()
            break
    headline, bar, site = title.rpartition(" | ")
    if bar and headline.strip() and _name(site) in {_name(publisher), _name(publisher.rsplit(".", 1)[0])}:
        return headline.rstrip()
    return title


def _name(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# another sentence before the last ("Iran's Protests Have Ended. The State's Terror Campaign Has Not.")
_INNER_STOP = re.compile(r"[.!?][\"'”’)]*\s+\S")
_LAST_WORD = re.compile(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?")  # a word, not "U.S", "5" or an initial
_ABBREVIATIONS = frozenset("Inc Ltd Co Corp Jr Sr St Dr Mr Mrs Ms Mt Ave Gen Gov Sen Rep Bros No vs etc al".split())


def without_final_stop(title: str) -> str:
    """A one-sentence headline without the full stop some feeds end it with ("Europe's most active volcano
    erupts over Sicily."): headlines carry none. Two sentences keep theirs, as does an abbreviation."""
    if not title.endswith(".") or title.endswith("..") or _INNER_STOP.search(title):
        return title
    last = title[:-1].rsplit(None, 1)[-1] if title[:-1].strip() else ""
    if last in _ABBREVIATIONS or not _LAST_WORD.fullmatch(last):
        return title
    return title[:-1]


# a label in brackets before the headline, as French and German sites write them: "[Brève] ...", "[MàJ] ..."
_BRACKET_LABEL = re.compile(r"^\[([^\W\d_][^\[\]]{0,24})\]\s*(?=\S)")
# the labels that say the item was updated, or is short: nothing a reader needs
_BRACKET_NOISE = frozenset({"màj", "maj", "mise à jour", "update", "updated", "actualisé", "actualisée", "actualizado",
                            "actualizada", "aktualisiert", "aggiornato", "aggiornamento", "upd", "brève", "breve",
                            "brief", "en bref", "kurz"})


def without_bracket_label(title: str) -> str:
    """"[Édito] Le jeu vidéo ..." as "Édito: Le jeu vidéo ..."; "[MàJ] ...", "[Brève] ..." without the label."""
    match = _BRACKET_LABEL.match(title)
    if not match or match.end() == len(title):
        return title
    label = " ".join(match.group(1).split())
    rest = title[match.end():]
    return rest if label.casefold() in _BRACKET_NOISE else f"{label}: {rest}"


def edited_headline(title: str) -> str:
    """The headline as shown: wire labels as labels, no version noise, no full stop of its own."""
    if title.startswith("["):
        title = without_bracket_label(title)
    return without_final_stop(without_wire_labels(title))


_SMALL_WORDS = frozenset("a an and as at but by for from in into of on or the to with".split())
_WORD = re.compile(r"\w+(?:['’]\w+)*")


def is_shouting(title: str) -> bool:
    """A headline in capitals throughout (varthabharathi's "KARNATAKA BANK BAGS MSME BANKING EXCELLENCE AWARDS")."""
    return len(title) >= 16 and title.isupper() and title.count(" ") >= 3


def unshouted(title: str, text: str) -> str:
    """A headline in capitals in title case, as a headline is written: small words in lower case, and the
    acronyms and brands as its story spells them ("MSME", "NRI", "UAE", "iPhone")."""
    spelled: dict[str, str] = {}
    for word in _WORD.findall(text):
        if not word.islower():
            spelled.setdefault(word.casefold(), word)

    def recased(match: re.Match) -> str:
        word = match.group()
        found = spelled.get(word.casefold(), "")
        if found and (found.isupper() and len(found) <= 5 or not found.isupper() and found[1:] != found[1:].lower()):
            return found
        lower = word.lower()
        if lower in _SMALL_WORDS and match.start() > 0 or not word[0].isalpha():
            return lower
        return lower[0].upper() + lower[1:]

    return _WORD.sub(recased, title)
