"""Build the lede: one or two complete sentences from the start of the article, within a character budget.

The dateline that wire copy starts with (``New Delhi, Aug 7 (KNN)``, ``LONDON (Reuters) -``) is taken off
first. A first sentence longer than the budget is cut at a word boundary and ends with an ellipsis; the
summary is never cut inside a word.
"""

from __future__ import annotations

import re

DEFAULT_SUMMARY_CHARS = 300
ELLIPSIS = "…"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_PLACE = r"[A-Z][\w.'’-]*(?:[ -][A-Z][\w.'’-]*){0,3}"
_CAPITALS = r"[A-Z][A-Z.'’-]+(?:\s[A-Z][A-Z.'’-]+){0,3}"  # LONDON, NEW DELHI
_AGENCY = r"\([A-Z][\w .&/-]{0,30}\)"
_DAY = rf"(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH})(?:\s*,?\s*\d{{4}})?"  # Aug 7, 7 August 2025
# Without a date, only a place in capitals counts: "Tata Consultancy Services (TCS) reported" is a subject.
_DATELINE = re.compile(
    rf"""^\s*(?:
        {_PLACE}\s*,\s*{_DAY}\s*(?:{_AGENCY})?\s*[-–—:]?      # New Delhi, Aug 7 (KNN)
      | {_CAPITALS}\s*{_AGENCY}\s*[-–—:]?                     # LONDON (Reuters) -
      | {_CAPITALS}\s*[-–—:]                                  # WASHINGTON —
    )(?:\s+|(?<=\))(?=\w))(?![\sa-z])""",  # "(KNN)India": no space after the agency
    re.VERBOSE,  # the lede starts as a sentence: "RBI (Reserve Bank of India) keeps" is a subject, no dateline
)

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "no", "nos", "rs", "co", "corp", "ltd", "inc", "vs",
    "etc", "e.g", "i.e", "u.s", "u.k", "u.n", "govt", "gov", "sen", "rep", "gen", "col", "lt", "capt", "mt",
    "ft", "dept", "approx", "est", "fig", "vol", "pvt", "smt", "hon", "rev", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "p.m", "a.m", "op", "cf", "al",
}
_LAST_WORD = re.compile(r"(?<![\w.])([\w.]+)\.$")  # the lookbehind: one try per word, not per character
_SENTENCE_END = re.compile(r"[.!?…।。！？]+[\"'”’)\]]*(?=\s|$)")


def strip_dateline(text: str) -> str:
    return _DATELINE.sub("", text, count=1)


def _ends_sentence(text: str, end: int, mark: str) -> bool:
    following = text[end:].lstrip()
    if following and following[0].islower():
        return False
    if mark.startswith("."):
        before = text[max(0, end - 64): end - (len(mark) - len(mark.rstrip("\"'”’)]")))]  # the last word is enough
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
        if _ends_sentence(text, match.end(), match.group()):
            sentence = text[start : match.end()].strip()
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


_ENDS_LIKE_PROSE = re.compile(r"[.!?…।。！？:][\"'”’)\]]*$")


def _without_leading_labels(text: str, budget: int) -> str:
    """The text from its first paragraph that reads as prose: a heading, a byline or a photo credit before it
    ("Key highlights", "By Staff Reporter", "Photo: PTI") ends in no sentence mark, and is no lede."""
    start = 0
    for _ in range(3):
        end = text.find("\n\n", start, start + budget)
        if end < 0 or _ENDS_LIKE_PROSE.search(text, start, end):
            break
        start = end + 2
    return text[start:]


def summarize(text: str, budget: int = DEFAULT_SUMMARY_CHARS) -> str:
    """The first one or two sentences of ``text`` that fit in ``budget`` characters."""
    text = _without_leading_labels(text, budget)
    # The start is all a lede needs: sentences ending past twice the budget are cut by ``shorten`` or left
    # out either way, and sentence marks are judged by the character after them, well inside the window.
    lede = " ".join(strip_dateline(text[: budget * 4]).split())
    if not lede:
        return ""
    sentences = split_sentences(lede[: budget * 2], limit=2)
    summary = sentences[0]
    if len(summary) > budget:
        return shorten(summary, budget)
    if len(sentences) > 1 and len(summary) + 1 + len(sentences[1]) <= budget:
        summary = f"{summary} {sentences[1]}"
    return summary
