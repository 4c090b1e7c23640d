"""How often sitrep reads a quote's "Wednesday" as the right day (answer/said_days.py), against the days the dev
corpus dates itself.

News often writes a weekday with its date ("on Wednesday, October 5", "Wednesday (Oct. 5)"). Each such weekday, in
an article with a publication date, is read again with its date taken away, by the same rule the answers use (the
sentence's tense, the article's date), and compared with the date it had — where that date is within six days of
the publication (a day weeks away, which news dates in full, a weekday alone could not say; counted apart). Also:
weekdays named together ("Wednesday through Friday", "Saturday and Sunday") — how many are read, and how many of
those read out of order (a day before the one named before it, or more than six days on: "met Wednesday through
Friday" read as a Wednesday and the Friday of the week after).

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

from sitrep.answer.said_days import _DAYS, _MONTH, _WEEKDAY, _named_together, published, said_days  # noqa: E402
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


def stretches(sentence: str, pub: date, read: object = said_days) -> tuple[int, int, int]:
    """(groups of weekdays named together, those read, those read out of order) in one sentence; `read` is the
    reading (said_days, or an older version to compare)."""
    named = read_n = out = 0
    days = dict(read(sentence, pub))  # type: ignore[operator]
    for group in _named_together(list(_WEEKDAY.finditer(sentence)), sentence):
        if len(group) < 2:
            continue
        named += 1
        got = [days.get(m.group(0)) for m in group]
        if all(d is not None for d in got):
            read_n += 1
            out += any(not 0 <= (b - a).days <= 6 for a, b in zip(got, got[1:]))  # type: ignore[operator]  # 0: "Monday morning and Monday night"
    return named, read_n, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    args = ap.parse_args()
    corpus = Path(args.dataset) / "corpus.jsonl.gz"
    right = wrong = far = 0
    off: Counter[int] = Counter()
    examples: list[str] = []
    named = read = out_of_order = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        articles = [json.loads(line) for line in lines]
    for a in articles:
        pub = published(a.get("published_at"))
        if pub is None:
            continue
        body = a.get("body") or ""
        for s, e in sentence_spans(body):
            sentence = body[s:e]
            n_named, n_read, n_out = stretches(sentence, pub)
            named, read, out_of_order = named + n_named, read + n_read, out_of_order + n_out
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
              "wrong_by_days_off": dict(sorted(off.items())), "examples_wrong": examples,
              "stretches_named": named, "stretches_read": read, "stretches_read_out_of_order": out_of_order}
    out = ROOT / "var" / "bench" / "said_days.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
