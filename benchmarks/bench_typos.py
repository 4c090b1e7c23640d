"""Typos in questions, on the dev set: what one slip of the keyboard costs, and what reading it back
(retrieval/spelling.py) recovers — without reading anything else differently.

Each answerable dev question gets one typo in one of its words that the corpus holds (five letters or
more, the word chosen at random with a fixed seed), of each kind in turn: two neighbouring letters
swapped, a letter dropped, a letter doubled, a letter replaced by a neighbouring key (never the first
letter). Every question is asked as of its date (hybrid, k 50) by the same engine with the spelling
reader on (the default) and off (`spell_min_df` 0). Reported per kind: recall@10 / MRR@10, the share of
answerable questions refused, and how many typos were read back to the word typed. On the clean
questions and the 200 unanswerable probes: which are read differently at all, and the probes' refusals
on and off (a probe read as a corpus word must still be refused).

Two ways a question is written that are no slip, measured the same way:
- *words of chat* ("…, exactly?", "pls …", "… lol", "tbh …") and *phrases that put a question* ("Can you tell me
  …", "I want to know …"), one at a time on every dev question and probe:
  with them dropped from the question's terms and vector (the default, retrieval/lexical.py) and kept;
- *no question mark* (every question and probe typed without its "?", as chat messages often are): embedded
  with one where it asks (the default, `hybrid.embedded`) and as typed;
- *words of English the corpus lacks* (3,000 of the encoder's whole words, five letters or more, drawn with
  the seed): how many are read as another word with the dictionary (the default) and without, on the dev
  index and on the bundled corpus's (var/index, which `make run` builds).

    python benchmarks/bench_typos.py [--seed 7]

Writes var/bench/typos.json. Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.evaluation.evaluate import EvalQuery, article_ranking, load_queries, retrieval_metrics  # noqa: E402
from sitrep.index import lexicon  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval import hybrid, lexical, spelling  # noqa: E402
from sitrep.retrieval.spelling import Speller, language_words  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402

_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
NEAR = {c: "".join(r[j] for j in (i - 1, i + 1) if 0 <= j < len(r)) for r in _ROWS for i, c in enumerate(r)}
KINDS = {
    "swap": lambda w, i, rng: w[:i] + w[i + 1] + w[i] + w[i + 2:],
    "drop": lambda w, i, rng: w[:i] + w[i + 1:],
    "double": lambda w, i, rng: w[:i] + w[i] + w[i:],
    "near key": lambda w, i, rng: w[:i] + _near(w[i], rng) + w[i + 1:],
}
WORD = re.compile(r"\b[A-Za-z]{5,}\b")


def _near(c: str, rng: random.Random) -> str:
    keys = NEAR.get(c.lower(), "")
    return rng.choice(keys) if keys else c


def typo(engine: Engine, question: str, kind: str, rng: random.Random) -> tuple[str, str, str] | None:
    """(the question with one typo, the word, the word as mistyped), or None when it has no word to mistype."""
    words = list(dict.fromkeys(WORD.findall(question)))
    terms = lexicon.word_terms(words, engine.retriever.terms.settings)
    df = engine.retriever.terms.df([t for t in terms if t])
    held = [w for w, t in zip(words, terms) if t and df[t] > 0]
    if not held:
        return None
    word = rng.choice(held)
    bad = KINDS[kind](word, rng.randrange(1, len(word) - 2), rng)
    if bad.lower() == word.lower():
        return None
    return re.sub(rf"\b{word}\b", bad, question, count=1), word, bad


def refused(engine: Engine, texts: list[str], qs: list[EvalQuery]) -> tuple[float, list]:
    answers = [engine.ask(Query(t, k=50, as_of=q.question_date)) for t, q in zip(texts, qs)]
    return round(sum(a.abstained for a in answers) / len(answers), 4), answers


def scores(engine: Engine, texts: list[str], qs: list[EvalQuery]) -> dict:
    share, answers = refused(engine, texts, qs)
    m = retrieval_metrics([article_ranking(a.hits) for a in answers], [q.gold for q in qs])
    return {"recall@10": m["recall@10"], "mrr@10": m["mrr@10"], "refused": share}


CHAT = {
    "exactly": lambda q: q.rstrip("?") + ", exactly?",
    "pls": lambda q: "pls " + q,
    "lol": lambda q: q + " lol",
    "tbh": lambda q: "tbh " + q[:1].lower() + q[1:],
    "can you tell me": lambda q: "Can you tell me " + q[:1].lower() + q[1:],
    "I want to know": lambda q: "I want to know " + q[:1].lower() + q[1:],
}


def chat_words(engine: Engine, queries: list[EvalQuery], nulls: list[EvalQuery]) -> dict:
    """Each question with a word of chat: scored with such words dropped (the default) and kept (the
    module-level hooks swapped for ones that keep them)."""
    out: dict = {}
    dropping = (lexical.drop_fillers, hybrid.drop_fillers, spelling.drop_fillers)
    keeping = (lambda t: t, lambda t: t, lambda t: t)
    for name, write in CHAT.items():
        texts, probes = [write(q.question) for q in queries], [write(q.question) for q in nulls]
        row = {}
        for way, hooks in (("kept", keeping), ("dropped", dropping)):
            lexical.drop_fillers, hybrid.drop_fillers, spelling.drop_fillers = hooks
            row[way] = {**scores(engine, texts, queries), "probes_refused": refused(engine, probes, nulls)[0]}
        lexical.drop_fillers, hybrid.drop_fillers, spelling.drop_fillers = dropping
        out[name] = row
        print("chat", name, json.dumps(row), flush=True)
    return out


def no_question_mark(engine: Engine, queries: list[EvalQuery], nulls: list[EvalQuery]) -> dict:
    """Every question and probe without its "?": scored with the mark put back for the vector (the default) and
    embedded as typed (hybrid._ASKS swapped for a pattern that matches nothing)."""
    texts, probes = [q.question.rstrip().rstrip("?") for q in queries], [q.question.rstrip().rstrip("?") for q in nulls]
    asks, out = hybrid._ASKS, {}
    for way, pattern in (("as typed", re.compile(r"(?!)")), ("mark put back", asks)):
        hybrid._ASKS = pattern
        out[way] = {**scores(engine, texts, queries), "probes_refused": refused(engine, probes, nulls)[0]}
    hybrid._ASKS = asks
    print("no question mark", json.dumps(out), flush=True)
    return out


def english_words(indexes: dict[str, Path], seed: int, encoder: object) -> dict:
    """Of 3,000 words of English (the encoder's whole words, 5–20 letters), how many each index's speller
    reads as another word, with the dictionary and without."""
    words = sorted(w for w in language_words() if 5 <= len(w) <= 20 and w.isascii())
    sample = random.Random(f"{seed}:english").sample(words, min(3000, len(words)))
    out: dict = {}
    for name, path in indexes.items():
        if not path.exists():
            print(f"english words: no index at {path}, skipped (`make run` builds the bundled one)")
            continue
        speller = Engine.open(path, encoder).retriever.speller  # type: ignore[arg-type]
        bare = Speller(speller.df, speller.settings, speller.min_df, speller._words, language=frozenset)
        misread = [(w, f[0][1]) for w in sample if (f := bare.correct(w)[1])]
        out[name] = {"words": len(sample), "read_otherwise_without_dictionary": len(misread),
                     "read_otherwise": sum(bool(speller.correct(w)[1]) for w in sample), "examples": misread[:10]}
        print("english", name, json.dumps(out[name]), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--small-index", type=Path, default=ROOT / "var" / "index", help="the bundled corpus's index")
    args = ap.parse_args()
    if not args.index.exists():
        sys.exit(f"no dev index at {args.index}: run `sitrep eval --dataset ../shared/eval/realtimeqa` first")
    on = Engine.open(args.index, query_encoder(None, ROOT / "var" / "models"), today=lambda: date(2026, 12, 2))
    off = Engine(on.backend, on.retriever.encoder, replace(on.retriever.params, spell_min_df=0), today=on.retriever.today)
    queries = load_queries(args.dataset / "queries.jsonl")
    nulls = load_queries(args.dataset / "queries_null.jsonl")
    speller = on.retriever.speller
    out: dict = {"questions": len(queries), "probes": len(nulls)}
    out["clean_read_differently"] = [dict(q=q.question, read=list(f)) for q in queries if (f := speller.correct(q.question)[1])]
    out["probes_read_differently"] = [dict(q=q.question, read=list(f)) for q in nulls if (f := speller.correct(q.question)[1])]
    out["clean"] = {"on": scores(on, [q.question for q in queries], queries)}
    out["probes_refused"] = {name: refused(e, [q.question for q in nulls], nulls)[0] for name, e in (("on", on), ("off", off))}
    out["kinds"] = {}
    timings: list[float] = []
    for kind in KINDS:
        rng = random.Random(f"{args.seed}:{kind}")
        made = [(q, typo(on, q.question, kind, rng)) for q in queries]
        texts = [t[0] if t else q.question for q, t in made]
        read_back = 0
        for _, t in made:
            if t is None:
                continue
            start = time.perf_counter()
            _, fixes = speller.correct(t[0])
            timings.append((time.perf_counter() - start) * 1000)
            read_back += any(typed == t[2] and read.lower() == t[1].lower() for typed, read in fixes)
        typos = sum(t is not None for _, t in made)
        out["kinds"][kind] = {"typos": typos, "read_back": read_back,
                              "off": scores(off, texts, queries), "on": scores(on, texts, queries)}
        print(kind, json.dumps(out["kinds"][kind]), flush=True)
    out["chat_words"] = chat_words(on, queries, nulls)
    out["no_question_mark"] = no_question_mark(on, queries, nulls)
    out["english_words"] = english_words({"dev": args.index, "bundled": args.small_index}, args.seed, on.retriever.encoder)
    out["read_ms_p50"] = round(statistics.median(timings), 3)
    out["read_ms_max"] = round(max(timings), 3)
    print(json.dumps({k: v for k, v in out.items() if k not in ("kinds", "chat_words", "english_words", "no_question_mark")},
                     indent=1))
    path = ROOT / "var" / "bench" / "typos.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
