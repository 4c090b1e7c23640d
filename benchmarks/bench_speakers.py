"""How often "What did X say about Y?" is answered with X's own words, on questions made from the dev corpus.

The dev set has one such question; news chat has many. For each article (in a fixed shuffled order) with a
sentence "<Surname> said", a question "What did <Surname> say about <up to three words of its title>?" is asked as
of the article's day; the answer's first quote is read by the reader's own rule (answer/speakers.py `role`): does it
give the speaker's words? Also counted: answers that cite the article the question was made from, and answers
that carry the note that no sentence gives the speaker's words.

    python benchmarks/bench_speakers.py [--dataset ../shared/eval/realtimeqa] [--index DIR] [--n 80] [--seed 7]

Writes var/bench/speakers.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.answer.speakers import asked_speaker, role  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402

_SAID = re.compile(r"\b([A-Z][a-z]{3,}) said\b")
_NOT_NAMES = {"She", "They", "Officials", "Police", "Biden"}  # pronouns and bodies; Biden: too many stories to name one
_STOP = frozenset({"the", "a", "an", "of", "to", "in", "on", "for", "and", "with", "as", "at", "by", "from", "is",
                   "are", "was", "were", "be", "has", "have", "had", "will", "would", "its", "it", "this", "that",
                   "after", "over", "into", "new", "says", "said"})


def questions(dataset: Path, n: int, seed: int) -> list[tuple[str, str, date | None]]:
    """(question, the article it was made from, that article's day), at most n."""
    with gzip.open(dataset / "corpus.jsonl.gz", "rt") as f:
        articles = [json.loads(line) for line in f]
    random.Random(seed).shuffle(articles)
    out = []
    for a in articles:
        m = _SAID.search(a["body"])
        if not m or m.group(1) in _NOT_NAMES:
            continue
        words = [w for w in re.findall(r"[A-Za-z]+", a["title"] or "") if w.lower() not in _STOP and w != m.group(1)][:3]
        if len(words) < 2:
            continue
        day = date.fromisoformat(a["published_at"][:10]) if a.get("published_at") else None
        out.append((f"What did {m.group(1)} say about {' '.join(words)}?", a["id"], day))
        if len(out) >= n:
            break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    ap.add_argument("--index", default=str(ROOT / "var" / "eval" / "realtimeqa" / "index"))
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not (Path(args.index) / "manifest.json").exists():
        print(f"no dev index at {args.index}: run `sitrep eval --dataset {args.dataset}` first (make bench does)")
        return 2
    engine = Engine.open(Path(args.index), query_encoder(None, ROOT / "var" / "models"))
    rows = []
    for question, article, day in questions(Path(args.dataset), args.n, args.seed):
        a = engine.ask(Query(question, k=10, as_of=day))
        first = a.sentences[0][0] if a.sentences else ""
        rows.append({"question": question, "abstained": a.abstained, "first": first,
                     "gives_words": bool(first) and role(first, asked_speaker(question)) > 0,
                     "cites_source": article in {c.article_id for c in a.citations},
                     "noted": any(n.startswith("no sentence found gives") for n in a.notes)})
    answered = [r for r in rows if not r["abstained"]]
    summary = {"questions": len(rows), "answered": len(answered),
               "first_quote_gives_words": sum(r["gives_words"] for r in answered),
               "cites_source_article": sum(r["cites_source"] for r in answered),
               "noted_no_words": sum(r["noted"] for r in answered)}
    out = ROOT / "var" / "bench" / "speakers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(f"{summary['questions']} questions, {summary['answered']} answered: the first quote gives the speaker's words in "
          f"{summary['first_quote_gives_words']}, cites the article asked from in {summary['cites_source_article']}, "
          f"notes that no sentence gives them in {summary['noted_no_words']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
