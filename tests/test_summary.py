"""Summaries: one or two complete sentences within the budget, never cut inside a word, no dateline."""

import pytest

from digests.cleaning import html_to_text
from digests.parsing import parse_file
from digests.summary import ELLIPSIS, item_summary, shorten, split_sentences, strip_dateline, summarize
from tests.conftest import KOLKATA


def test_sample_summary(sample_file):
    [article] = parse_file(sample_file, default_source="knn", source_tz=KOLKATA).articles
    summary = summarize(html_to_text(article.html))
    # the first sentence; the next four do not fit beside it; the sixth does, and stands on its own
    assert summary == (
        "India and Russia convened the 11th Session of their Working Group on Modernisation and Industrial "
        "Cooperation on Wednesday at Vanijya Bhawan in New Delhi. The meeting highlighted several key areas of "
        "cooperation, with particular emphasis on aerospace science and technology initiatives.")
    assert len(summary) <= 300


@pytest.mark.parametrize(("text", "lede"), [
    ("New Delhi, Aug 7 (KNN) India and Russia met.", "India and Russia met."),
    ("LONDON (Reuters) - Prices rose.", "Prices rose."),
    ("WASHINGTON — The Senate voted.", "The Senate voted."),
    ("Mumbai, November 3, 2025: Markets opened.", "Markets opened."),
    ("India and Russia held talks.", "India and Russia held talks."),  # no dateline: untouched
    ("New Delhi, 7 August (IANS) The ministry said so.", "The ministry said so."),
    ("New Delhi, Aug 7 (KNN)India and Russia met.", "India and Russia met."),
    ("NEW DELHI (PTI) The government said so.", "The government said so."),
    # a company and its ticker are the subject, not a dateline
    ("Tata Consultancy Services (TCS) on Thursday reported a rise.",
     "Tata Consultancy Services (TCS) on Thursday reported a rise."),
    ("Amazon (AMZN) - shares rose.", "Amazon (AMZN) - shares rose."),
    ("Mumbai, May 2025 was hot.", "Mumbai, May 2025 was hot."),
])
def test_dateline_is_taken_off(text, lede):
    assert strip_dateline(text) == lede


def test_two_sentences_when_they_fit():
    text = "First sentence here. Second one too. Third is left out."
    assert summarize(text, 40) == "First sentence here. Second one too."
    assert summarize(text, 30) == "First sentence here."


def test_abbreviations_and_decimals_do_not_end_sentences():
    text = "Mr. Rao of Tata Sons Ltd. said growth was 7.5 per cent in the U.S. market. Next sentence."
    assert split_sentences(text) == [
        "Mr. Rao of Tata Sons Ltd. said growth was 7.5 per cent in the U.S. market.", "Next sentence."]


@pytest.mark.parametrize("budget", [40, 57, 100, 300])
def test_long_first_sentence_is_cut_at_a_word_boundary(budget):
    words = ["internationalisation", "of", "manufacturing", "supply", "chains"] * 20
    summary = summarize(" ".join(words) + ".", budget)
    assert len(summary) <= budget
    assert summary.endswith(ELLIPSIS)
    assert all(word in words for word in summary.removesuffix(ELLIPSIS).split())


def test_empty_text():
    assert summarize("") == ""


def test_text_without_spaces_is_cut_between_characters():
    chinese = "中国经济增长非常快" * 15 + "。第二句话。"
    summary = summarize(chinese, 80)
    assert summary.startswith("中国经济增长") and summary.endswith("…") and len(summary) == 80


@pytest.mark.parametrize("labels", ["Key highlights", "By Staff Reporter\n\nUpdated: Aug 7, 2025 10:00 IST",
                                    "Photo: PTI"])
def test_headings_bylines_and_credits_before_the_text_are_not_the_lede(labels):
    assert summarize(f"{labels}\n\nNew Delhi, Aug 7 (KNN) The ministry said exports grew. Imports fell.") == \
        "The ministry said exports grew. Imports fell."


@pytest.mark.parametrize("lede", [
    "RBI keeps repo rate unchanged.",
    "GST collections rose 12 per cent in July.",
    "NASA launched a probe to Europa.",
    "ISRO launched PSLV-C60 on Monday.",
    "US-India trade talks resumed.",
    # an acronym spelled out, or set off by dashes, is the subject, not a place and its agency
    "RBI (Reserve Bank of India) keeps the repo rate unchanged.",
    "NASA (Space Agency)  launched a probe.",
    "GST (Goods and Services Tax) collections rose in July.",
    "SEBI - the market regulator - tightened the rules.",
])
def test_an_acronym_opening_the_lede_is_not_a_dateline(lede):
    assert summarize(lede) == " ".join(lede.split())


@pytest.mark.parametrize(("text", "lede"), [
    ("MUMBAI (Reuters) - RBI keeps repo rate unchanged.", "RBI keeps repo rate unchanged."),
    ("NEW DELHI (PTI): GST collections rose 12 per cent.", "GST collections rose 12 per cent."),
    ("WASHINGTON — NASA launched a probe.", "NASA launched a probe."),
    ("Mumbai, Aug 7 (KNN) RBI keeps repo rate unchanged.", "RBI keeps repo rate unchanged."),
    ("NEW YORK, Aug 7 (Reuters) - Stocks fell.", "Stocks fell."),
])
def test_a_dateline_before_an_acronym_is_taken_off(text, lede):
    assert summarize(text) == lede


@pytest.mark.parametrize(("text", "sentences"), [
    ("It rose. and then it fell. Then it stopped.", ["It rose. and then it fell.", "Then it stopped."]),  # lowercase
    ("Prof. Rao spoke. Next.", ["Prof. Rao spoke.", "Next."]),  # an abbreviation at the very start
    ('They met "Dr." Rao later. Next.', ['They met "Dr." Rao later.', "Next."]),  # inside quotes
    ("Author J. K. Rowling spoke. Next.", ["Author J. K. Rowling spoke.", "Next."]),  # initials
    ("It rose. Go on", ["It rose.", "Go on"]),
])
def test_sentence_ends(text, sentences):
    assert split_sentences(text) == sentences


def test_split_sentences_stops_after_its_limit():
    assert split_sentences("Aa bb. Cc dd. Ee ff. Gg hh.", limit=2) == ["Aa bb.", "Cc dd.", "Ee ff. Gg hh."]


@pytest.mark.parametrize(("text", "budget", "cut"), [
    ("x" * 10, 10, "x" * 10),  # exactly the budget: whole
    ("aaaa bbbb cc dd", 12, "aaaa bbbb…"),  # "aaaa bbbb cc…" would be 13
    ("aa bb cc dd ee", 9, "aa bb cc…"),  # the last space in the budget, not the first
    ("a bbbbbbbbbbbbbb", 10, "a…"),  # a one-letter first word is still a word
    ("aa bb, cc dd ee", 8, "aa bb…"),  # no dangling comma
    ("NEW TAX rules apply", 10, "NEW TAX…"),  # only punctuation and spaces are taken off the end
])
def test_shorten_cuts_at_the_last_word_boundary_within_the_budget(text, budget, cut):
    assert shorten(text, budget) == cut and len(cut) <= budget


def test_labels_before_the_text_are_skipped_and_a_long_first_paragraph_is_the_lede():
    assert summarize("One\n\nTwo\n\nThree\n\nFour\n\nThe text.") == "The text."
    assert summarize("Key highlights\n\nExports grew.\n\nImports fell.") == "Exports grew. Imports fell."
    long_heading = "word " * 100 + "\n\nThe text."
    assert summarize(long_heading, 100).startswith("word word") and summarize(long_heading, 100).endswith(ELLIPSIS)


@pytest.mark.parametrize(("text", "budget", "summary"), [
    ("Exports grew fast.", 18, "Exports grew fast."),  # exactly the budget
    ("Aa bb. Cc dd.", 13, "Aa bb. Cc dd."),  # two sentences, a space between, exactly the budget
    ("Aa bb. Cc dd.", 12, "Aa bb."),  # one character over: only the first
])
def test_summary_budget_boundaries(text, budget, summary):
    assert summarize(text, budget) == summary


@pytest.mark.parametrize(("title", "summary"), [
    # cnn: the description is the headline again, give or take an article or a pronoun
    ("Boy asks Santa to make kids stop bullying his sister", "A boy asks Santa to make kids stop bullying his sister."),
    ("Homeless hero saves an officer from a suspect grabbing her gun.", "Man saves an officer from a suspect grabbing "
     "her gun."),
    ("Thanksgiving", "It's Thanksgiving."),
    ("Globetrotter visits bullied girl's school at brother's urging", "Harlem Globetrotter visits bullied girl's school."),
    ("Emmys: A look at TV's biggest winners and losers", "Here's a look at TV's biggest winners and losers."),
    ("Fed raises rates", "The Fed raises its rates."),  # two small words more
    ("Fed raises interest rates", "Fed raises interest rates sharply."),  # one word more than four
    ("收三盒泰山 要求原盒好品", "收三盒泰山"),  # kc0011
    # romatoday
    ("A Teatro Trastevere si dipinge col vino: Arianna Greco al “Salotto Teatrale”",
     "A Teatro Trastevere si dipinge col vino. Arianna Greco ospite al “Salotto Teatrale”"),
])
def test_a_summary_that_says_the_headline_again_in_other_small_words_is_none(title, summary):
    assert item_summary(title, summary) == ""


@pytest.mark.parametrize(("title", "summary"), [
    ("White House Christmas tree gets delivered today.", "The first lady accepts delivery today."),
    ("Fed raises rates", "The Fed raises its rates by half a point."),
    ("Rates", "Rates up by 2%."),
    ("Obama", "Obama resigns."),  # one word more than a one-word headline is news
    ("Fed raises rates", "Fed raises rates sharply."),  # or than a three-word one
    ("Fed raises rates", "So the Fed raises its rates."),  # three small words more
    ("★★低出爱藏MS66评级币★★", "MS66价格200元通走价"),  # kc0011: Chinese writes no spaces between words
])
def test_a_summary_that_adds_to_the_headline_stays(title, summary):
    assert item_summary(title, summary) == summary
