"""Headlines as an editor writes them: the wires' desk labels read as labels, their version noise off, and an
aggregator's " - Publisher" taken out of the headline (the publisher is credited apart, see ``feeds``).

Reuters (and the papers that run its copy) put desk labels before the headline, glued with a hyphen:
"Analysis-US envoys juggle two crisis talks", "EXCLUSIVE-...", "UPDATE 2-...", "RPT-CORRECTED-...". The
version noise (UPDATE n, RPT, REFILE, CORRECTED, WRAPUP n) tells the wire's subscribers which take this is and
says nothing to a reader: it goes. A label that says what kind of story it is stays, written the way readers
read it: "Analysis: US envoys juggle ...". Only these labels are read so: a hyphen after the first word is
often the headline's own ("Pro-Russian forces", "Ex-President", "T-Mobile").
"""

from __future__ import annotations

import re

# the wires' version noise: which take of the story this is
_NOISE = r"UPDATE(?:\s+\d{1,2})?|RPT|REPEAT|REFILE|CORRECTED|CORRECTION|WRAPUP(?:\s+\d{1,2})?|RECASTS?|ADVISORY"
# the labels that tell a reader what kind of story it is, as the wires write them
_LABELS = ("Analysis|Snap Analysis|Exclusive|Factbox|Fact Box|Explainer|Insight|Focus|Timeline|Chronology|Graphic|"
           "Graphics|Column|Breakingviews|Instant View|Interview|Commentary|Special Report|Fact Check|Wider Image|"
           "Reuters Poll|Poll|Feature|Preview|Scenarios|Q\\+A|Q&A|Highlights|Obituary")
# a run of labels, each glued to what follows by a hyphen, before a headline that starts as one does
_PREFIX = re.compile(rf"^(?:(?:{_NOISE}|{_LABELS})\s?-\s?)+(?-i:(?=[\"'‘“«$€£(]?[A-Z0-9À-Þ]))", re.IGNORECASE)
_ONE = re.compile(rf"({_NOISE})|({_LABELS})", re.IGNORECASE)
_LABEL_NAMES = {name.casefold(): name for name in _LABELS.replace("\\", "").split("|")}


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
