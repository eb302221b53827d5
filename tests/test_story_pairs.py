"""The story matcher measured on pairs of real articles labelled by hand (tests/fixtures/story_pairs.tsv).

The pairs come from ../shared/testdata/realfeeds: Google News' clusters of one event told by several outlets,
the February 2026 feeds (NPR, ABC, Al-Monitor, Boston.com, The Week, ...), older feeds in French, Portuguese,
Spanish, Italian, German, Russian, Slovak and Chinese, and hard negatives: the same topic or the same words
and another event (a series' template headlines, two stories on Iran's nuclear talks, two stabbings).

The matcher is judged as ingest uses it: the same headline, or ``same_story`` (within one source, its stricter
form). Measured at SIMILAR = 0.40, SAME_SOURCE_LEDES = 0.5, SAME_SOURCE_PARTICULARS = 2 (one of them in both
headlines): precision 1.00 (30 merges, none wrong), recall 0.43 (30 of 70; 24 of the 49 cross-source pairs, 6 of
the 21 same-source ones). Before a source's shorter heading of its story merged (``headed_within``: "Comet ISON" /
"Photos: Comet ISON") and while a number in one headline only made two headlines a series ("Pixel 7 Pro Uses 3
Samsung ISOCELL Cameras" / "Pixel 7 and Pixel 7 Pro camera sensor specs"), 0.34 (22 and 2); where only identical
headlines merged within one source, 0 of 21. Before a shared particular had
to be in both headlines, massanews' arrest of a murder's suspects and its follow-up that one of them is a
policeman's son merged, hiding the second (labelled a different story since: a source's follow-up that reports
news of its own is another story). Most misses share one or two words at most ("Fed
unleashes another big rate hike" / "Federal Reserve raises interest rates by 0.75%"), beyond any word matcher;
within one source, most are a short video title beside the story's ("Etna erupts") with no names in common. The floors leave room
for one wrong merge in twenty, not for a matcher that merges what it should not, or finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digests.links import headline_key
from digests.stories import Telling, same_story

PAIRS = Path(__file__).parent / "fixtures" / "story_pairs.tsv"
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.30


@dataclass
class Pair:
    same: bool
    kind: str
    lang: str
    a: tuple[str, str, str]  # source, headline, lede
    b: tuple[str, str, str]

    def merged(self) -> bool:
        (source_a, title_a, lede_a), (source_b, title_b, lede_b) = self.a, self.b
        same_source = source_a == source_b
        if same_source and headline_key(title_a) == headline_key(title_b):
            return True
        return same_story(Telling(title_a, lede_a), Telling(title_b, lede_b), same_source)


def load_pairs() -> list[Pair]:
    lines = [line.rstrip("\n") for line in PAIRS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    header, *rows = [line.split("\t") for line in lines]
    assert header[0] == "label" and all(len(row) == 9 for row in rows)
    return [Pair(row[0] == "same", row[1], row[2], tuple(row[3:6]), tuple(row[6:9])) for row in rows]


def test_the_labelled_set_has_hard_cases_in_several_languages():
    pairs = load_pairs()
    kinds = {pair.kind for pair in pairs}
    assert {"paraphrase", "same-source", "hard-negative", "multilingual"} <= kinds
    assert sum(pair.same for pair in pairs) >= 60 and sum(not pair.same for pair in pairs) >= 80
    assert len({pair.lang for pair in pairs}) >= 8
    assert all(len(text) <= 240 for pair in pairs for text in (*pair.a, *pair.b))  # short excerpts only


def test_precision_and_recall_of_the_story_matcher():
    pairs = load_pairs()
    merged = [(pair, pair.merged()) for pair in pairs]
    true_merges = sum(1 for pair, m in merged if m and pair.same)
    wrong_merges = [pair for pair, m in merged if m and not pair.same]
    precision = true_merges / (true_merges + len(wrong_merges))
    recall = true_merges / sum(pair.same for pair in pairs)
    print(f"\nstory pairs: precision {precision:.2f}, recall {recall:.2f} "
          f"({true_merges} right merges, {len(wrong_merges)} wrong, {len(pairs)} pairs)")
    assert precision >= PRECISION_FLOOR, [(pair.a[1], pair.b[1]) for pair in wrong_merges]
    assert recall >= RECALL_FLOOR


def test_within_one_source_no_wrong_merge_and_the_wire_copies_merge():
    """A source's own items are where wrong merges came from: none of its labelled other angles, follow-ups or
    series items merge, and its two tellings of one event do (al-monitor's two wires on the Berlin Film Festival
    letter, TPM's two reports of the Menendez jury's second day)."""
    pairs = [pair for pair in load_pairs() if pair.a[0] == pair.b[0]]
    assert sum(not pair.same for pair in pairs) >= 50
    assert [(pair.a[1], pair.b[1]) for pair in pairs if pair.merged() and not pair.same] == []
    merged = [pair.a[1] for pair in pairs if pair.same and pair.merged()]
    assert any("Berlin Film Festival" in title for title in merged) and any("Menendez" in title for title in merged)
    assert not [pair.a[1] for pair in pairs if pair.merged() and "policial" in pair.a[1] + pair.b[1]]


def test_a_number_only_one_headline_has_does_not_make_a_series():
    """A series' items each carry a number of their own ("Aug. 16-23" / "Aug. 23-30"); a headline that only adds
    one to the other's ("3 Samsung ISOCELL Cameras", "killing 7, injuring over 45") tells the same event."""
    assert same_story(Telling("The Google Pixel 7 Pro Uses 3 Samsung ISOCELL Cameras"),
                      Telling("Google Pixel 7 and Pixel 7 Pro camera sensor specs have leaked"))
    assert same_story(Telling("Grand jury indicts Highland Park parade shooting on 117 charges for killing 7, "
                              "injuring over 45"),
                      Telling("Highland Park Fourth of July shooting suspect Robert Crimo indicted on 117 counts"))
    assert not same_story(Telling("D.C. wellness calendar, Aug. 16-23"), Telling("D.C. wellness calendar, Aug. 23-30"))
    assert not same_story(Telling("Mega Millions jackpot swells to over $1B after no winner in massive $830M drawing"),
                          Telling("No Mega Millions jackpot, but 4 $1 million winners between NY, NJ"))


def test_a_source_s_shorter_heading_of_its_story_is_that_story():
    """cnn heads a photo gallery or a video beside its story with a few of the story's headline words."""
    lede = "The first lady accepts delivery today."
    assert same_story(Telling("White House Christmas tree gets delivered today", lede),
                      Telling("White House Christmas tree", lede), same_source=True)
    assert same_story(Telling("Photos: Comet ISON"), Telling("Comet ISON", "Hold the obituary. Experts now think "
                      "Comet ISON -- or at least part of it -- survived its close encounter with the sun."), True)
    # not when another word comes in, nor when the ledes tell other things, nor from one word alone
    assert not same_story(Telling("Homeless hero", "Man saves an officer from a suspect grabbing her gun."),
                          Telling("Homeless man returns $40K, gets $140K", "A Boston homeless man returns money "
                                  "he finds in a bag and gets so much more back from generous donations."), True)
    assert not same_story(Telling("Live updates", "Russia launched drones at Kyiv overnight, officials said."),
                          Telling("Live updates: Iran talks", "Envoys met in Geneva on Tuesday for a second round."),
                          True)
    assert not same_story(Telling("Iran"), Telling("Iran announces closure of vital shipping route"), True)
