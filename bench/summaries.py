"""Benchmark (not a test): score our ledes against human reference summaries, beside Lead.

    .venv/bin/pip install -e '.[bench]'      # rouge-score, once
    .venv/bin/python bench/summaries.py [--budget 300] [--pairs ../shared/testdata/summaries/pairs.jsonl]

For every article of the set (see its README), our lede (``summarize`` of the article's clean text) and
Lead (the first whole sentences that fit, exactly as the set's README computes it) are scored with Google's
``rouge-score`` against the human reference: Porter stemming for English, and a Unicode tokenizer (runs of
letters, marks and digits) for the other languages, whose words rouge-score's own tokenizer drops. Prints
ROUGE-1/2/L F-measures (x100) of both per data set and language, and for CNN/DailyMail's multi-sentence
("highlights") references also against all of an article's references (best of them, ``score_multi``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests.cleaning import html_to_text  # noqa: E402
from digests.summary import summarize  # noqa: E402

try:
    from rouge_score import rouge_scorer, tokenizers
except ImportError:  # pragma: no cover - an optional extra
    sys.exit("bench/summaries.py needs rouge-score: .venv/bin/pip install -e '.[bench]'")

PAIRS = ROOT.parent / "shared" / "testdata" / "summaries" / "pairs.jsonl"
METRICS = ("rouge1", "rouge2", "rougeL")


class UnicodeTokenizer(tokenizers.Tokenizer):
    """Lower-cased runs of letters, marks and digits (Unicode L*, M*, N*): rouge-score's default keeps only
    a-z0-9, so Hindi or Russian would come out empty, and ``\\w+`` splits Indic words at their vowel signs."""

    def tokenize(self, text):
        words, current = [], []
        for char in text.lower():
            if unicodedata.category(char)[0] in "LMN":
                current.append(char)
            elif current:
                words.append("".join(current))
                current = []
        if current:
            words.append("".join(current))
        return words


def lead(text: str, budget: int) -> str:
    """Lead as the set's README computes it: whole leading sentences while they fit (the first always)."""
    sentences = [s for s in re.split(r"(?<=[.!?।۔])\s+", re.sub(r"\s+", " ", text).strip()) if s]
    chosen: list[str] = []
    for sentence in sentences:
        if chosen and len(" ".join([*chosen, sentence])) > budget:
            break
        chosen.append(sentence)
        if len(" ".join(chosen)) >= budget:
            break
    return " ".join(chosen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    parser.add_argument("--budget", type=int, default=300, help="characters, for ours and for Lead")
    parser.add_argument("--show", type=int, default=0, help="print this many ledes beside their Lead")
    args = parser.parse_args()
    if not args.pairs.is_file():
        print(f"no pairs at {args.pairs} (the shared test data is absent)")
        return 1
    english = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    other = rouge_scorer.RougeScorer(list(METRICS), tokenizer=UnicodeTokenizer())
    scores: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    lengths: dict[str, list[int]] = defaultdict(list)
    over_budget = shown = 0
    for line in args.pairs.open(encoding="utf-8"):
        pair = json.loads(line)
        ours = summarize(html_to_text(pair["article"]), args.budget)
        baseline = lead(pair["article"], args.budget)
        over_budget += len(ours) > args.budget
        lengths["ours"].append(len(ours))
        lengths["lead"].append(len(baseline))
        scorer = english if pair["language"] == "en" else other
        style = "highlights" if pair["dataset"] == "cnn_dailymail" else "one sentence or intro"
        keys = [(pair["dataset"], "all", style)]
        if pair["dataset"] == "xlsum":  # the only set in several languages: each one too, for the eye
            keys.append((pair["dataset"], pair["language"], style))
        for key in keys:
            for name, summary in (("ours", ours), ("lead", baseline)):
                scores[key][name].append(scorer.score(pair["reference"], summary))
        if pair["other_references"]:
            references = [pair["reference"], *pair["other_references"]]
            for name, summary in (("ours", ours), ("lead", baseline)):
                scores[("cnn_dailymail", "all", "best of all references")][name].append(scorer.score_multi(references, summary))
        if shown < args.show and ours != baseline:
            shown += 1
            print(f"--- {pair['id']}\nours: {ours}\nlead: {baseline}\nref:  {' '.join(pair['reference'].split())}\n")

    print(f"ROUGE F-measure x100 at {args.budget} characters (rouge-score, stemming for English); the per-language"
          " rows of xlsum have 5 to 15 pairs each: for the eye, not for decisions")
    print(f"{'data set':<44} {'pairs':>5}   {'ours R-1/R-2/R-L':<20} {'Lead R-1/R-2/R-L':<20} R-1 ours-Lead")
    for key in sorted(scores):
        rows = scores[key]
        figures = {name: [100 * statistics.mean(s[m].fmeasure for s in rows[name]) for m in METRICS]
                   for name in ("ours", "lead")}
        label = " / ".join(key)
        print(f"{label:<44} {len(rows['ours']):>5}   "
              + " ".join(f"{value:5.1f}" for value in figures["ours"]) + "    "
              + " ".join(f"{value:5.1f}" for value in figures["lead"])
              + f"    {figures['ours'][0] - figures['lead'][0]:+6.2f}")
    print(f"median length: ours {statistics.median(lengths['ours']):.0f}, Lead {statistics.median(lengths['lead']):.0f}"
          f" characters; ours over the budget: {over_budget}; Lead over it: "
          f"{sum(n > args.budget for n in lengths['lead'])} (a first sentence longer than the budget, kept whole)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
