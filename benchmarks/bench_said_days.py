"""How often sitrep reads a quote's "Wednesday" as the right day (answer/said_days.py), against the days the dev
corpus dates itself.

News often writes a weekday with its date ("on Wednesday, October 5", "Wednesday (Oct. 5)"). Each such weekday, in
an article with a publication date, is read again with its date taken away, by the same rule the answers use (the
sentence's tense, the article's date), and compared with the date it had — where that date is within six days of
the publication (a day weeks away, which news dates in full, a weekday alone could not say; counted apart). Also: how many of the dev answers'
quotes name a relative day, and how many of those get one.

    python benchmarks/bench_said_days.py [--dataset ../shared/eval/realtimeqa]

Writes var/bench/said_days.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.said_days import _DAYS, _MONTH, published, said_days  # noqa: E402
from sitrep.index.readings import sentence_spans  # noqa: E402

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# "Wednesday, October 5" / "Wednesday (Oct. 5)": the weekday, then its month and day
_SELF_DATED = re.compile(r"\b(?P<day>" + "|".join(_DAYS) + r")(?P<date>,?\s*\(?\s*(?P<month>" + _MONTH + r")\s+(?P<dom>\d{1,2})\b\)?)")


def _meant(month: str, dom: int, pub: date) -> date | None:
    """The date a month and day without a year mean, in the year nearest the publication date."""
    m = _MONTHS[month[:3].lower()]
    best = None
    for year in (pub.year - 1, pub.year, pub.year + 1):
        try:
            d = date(year, m, dom)
        except ValueError:
            continue
        if best is None or abs((d - pub).days) < abs((best - pub).days):
            best = d
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    args = ap.parse_args()
    corpus = Path(args.dataset) / "corpus.jsonl.gz"
    right = wrong = far = 0
    off: Counter[int] = Counter()
    examples: list[str] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        articles = [json.loads(line) for line in lines]
    for a in articles:
        pub = published(a.get("published_at"))
        if pub is None:
            continue
        body = a.get("body") or ""
        for s, e in sentence_spans(body):
            sentence = body[s:e]
            for m in _SELF_DATED.finditer(sentence):
                truth = _meant(m.group("month"), int(m.group("dom")), pub)
                if truth is None or _DAYS[truth.weekday()] != m.group("day"):
                    continue  # a date that is not that weekday (a typo, or another year): no ground truth
                if abs((truth - pub).days) > 6:
                    far += 1  # weeks away: a weekday alone could not say it, and news dates such a day in full
                    continue
                undated = sentence[: m.end("day")] + sentence[m.end("date"):]
                got = dict(said_days(undated, pub)).get(m.group("day"))
                if got is None:
                    continue
                if got == truth:
                    right += 1
                else:
                    wrong += 1
                    off[(got - truth).days] += 1
                    if len(examples) < 12:
                        examples.append(f"{pub} {m.group(0)!r} read as {got}: {sentence[:160]}")
    n = right + wrong
    report = {"weekdays_checked": n, "weekdays_weeks_away_left_out": far, "right": right, "accuracy": round(right / n, 4) if n else None,
              "wrong_by_days_off": dict(sorted(off.items())), "examples_wrong": examples}
    out = ROOT / "var" / "bench" / "said_days.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
