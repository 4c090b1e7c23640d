"""Situation reports against the labelled topic set (benchmarks/topics.jsonl) on the dev corpus (issue 22).

    python benchmarks/bench_brief.py [--fit [--without-spread]] [--dataset DIR] [--index DIR]

- Brief: each topic's brief over its window (no cap on entries): precision and recall of its articles
  against the labels; every quote checked verbatim; story grouping by pairs of labelled articles
  (same-story pairs put together, other pairs kept apart) and near-duplicate pairs split (goal 0).
- Follow: each topic as a follow; the corpus replayed in date order, one refresh a week (the real
  Follower and SQLite store; the index shows only what has "arrived"): matcher precision / recall
  over its window, posts per topic per week, duplicates (a story posted twice), time per refresh.
- Scale: one refresh's matching with 10, 100 and 1,000 follows (dev questions as topics).
- Latency: brief p50 / p95 on the dev index.
- --fit: refits the relevance cut (logistic over cosine, coverage, title coverage and spread: how much of
  the article is on the topic) with topics held out in 4 folds, prints the held-out precision / recall per
  threshold, and the weights on all topics; --without-spread: the three features the cut had before.

The labels: for each topic and window, the union of the brief's candidates, BM25's top 150 and every
article whose title names the topic's key word was read (title and lede); an article is about the topic
when that is its subject, or when a news round-up's headline names it. Recall is against that set.
Writes var/bench/brief.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.follows.follower import Follower  # noqa: E402
from sitrep.follows.state import FollowStore  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402

TOPICS = ROOT / "benchmarks" / "topics.jsonl"


def load_topics() -> list[dict]:
    return [json.loads(line) for line in TOPICS.read_text().splitlines() if line.strip()]


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}


def brief_eval(engine: Engine, topics: list[dict]) -> dict:
    tp = fp = fn = 0
    together = together_ok = apart = apart_ok = twins_split = quotes = not_verbatim = 0
    per_topic = {}
    times = []
    for t in topics:
        since, until = date.fromisoformat(t["since"]), date.fromisoformat(t["until"])
        t0 = time.perf_counter()
        b = engine.brief(t["topic"], since, until, max_entries=1000)
        times.append((time.perf_counter() - t0) * 1000)
        stories = list(b.stories) + list(b.undated)
        got = {a for s in stories for a in s.article_ids}
        gold = set(t["relevant"])
        tp += len(got & gold)
        fp += len(got - gold)
        fn += len(gold - got)
        per_topic[t["id"]] = {"returned": len(got), "relevant": len(gold), "hits": len(got & gold), "stories": len(stories)}
        entry = {a: i for i, s in enumerate(stories) for a in s.article_ids}
        label = {a: i for i, g in enumerate(t.get("stories", [])) for a in g}
        found = sorted(got & gold)
        for i, a in enumerate(found):
            for b_ in found[i + 1:]:
                same = a in label and b_ in label and label[a] == label[b_]
                if same:
                    together += 1
                    together_ok += entry[a] == entry[b_]
                else:
                    apart += 1
                    apart_ok += entry[a] != entry[b_]
        ids = sorted(got)
        if len(ids) > 1:
            ledes = engine.backend.vectors(engine.backend.lede_ids(ids))
            sims = ledes @ ledes.T
            twins_split += int(sum(1 for i in range(len(ids)) for j in range(i + 1, len(ids))
                                   if sims[i, j] >= 0.97 and entry[ids[i]] != entry[ids[j]]))
        for s in stories:
            for q in s.quotes:
                quotes += 1
                rows = engine.backend.passages(engine.backend.article_passages([q.article_id])[q.article_id], text=True)
                not_verbatim += not any(q.text in x for x in rows.text or [])
    return {**prf(tp, fp, fn), "topics": per_topic,
            "grouping": {"same_story_pairs": together, "put_together": together_ok, "other_pairs": apart,
                         "kept_apart": apart_ok, "near_duplicates_split": twins_split},
            "quotes": quotes, "quotes_not_verbatim": not_verbatim,
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(float(np.percentile(times, 95)), 1)}


class Arrived:
    """The index as a refresh would see it: only the articles published up to the replay's week."""

    def __init__(self, engine: Engine) -> None:
        self.backend = engine.backend
        self.all = dict(self.backend.article_hashes())
        self.day = {a: m.date for a, m in self.backend.articles(list(self.all)).items()}
        self.upto = ""
        self.backend.article_hashes = self.hashes  # type: ignore[method-assign]

    def hashes(self) -> dict[str, str]:
        return {a: h for a, h in self.all.items() if self.day[a] and self.day[a] <= self.upto}


def replay(engine: Engine, topics: list[dict], weeks_from: str, weeks_to: str, digest_after: int = 5) -> dict:
    """Every topic followed from `weeks_from`; one refresh per week of publication dates."""
    view = Arrived(engine)
    with tempfile.TemporaryDirectory() as tmp:
        store = FollowStore(Path(tmp) / "state.sqlite3")
        follower = Follower(store, digest_after)
        view.upto = (date.fromisoformat(weeks_from) - timedelta(days=1)).isoformat()
        store.sync(view.hashes())
        follows = {store.add(1000 + i, t["topic"]).id: t for i, t in enumerate(topics)}
        tp = fp = fn = 0
        posts: Counter[str] = Counter()
        weekly: dict[str, list[int]] = {t["id"]: [] for t in topics}
        duplicates = 0
        seconds = []
        day = date.fromisoformat(weeks_from)
        end = date.fromisoformat(weeks_to)
        told: dict[int, set[str]] = {f: set() for f in follows}
        while day <= end:
            view.upto = (day + timedelta(days=6)).isoformat()
            report, seq = follower.check(engine)
            seconds.append((report.seconds, report.articles_new))
            for d in report.deliveries:
                t = follows[d.follow.id]
                label = {a: i for i, g in enumerate(t.get("stories", [])) for a in g}
                posted_before = {label[a] for a in told[d.follow.id] if a in label}
                n = 0
                for s in d.new:
                    n += 1
                    if any(a in told[d.follow.id] for a in s.article_ids) or \
                            any(label.get(a) in posted_before for a in s.article_ids if a in label):
                        duplicates += 1
                    told[d.follow.id].update(s.article_ids)
                for _, s in d.updates:
                    told[d.follow.id].update(s.article_ids)
                weekly[t["id"]].append(1 if d.digest and n else n)
                posts[t["id"]] += 1 if d.digest and n else n
                store.record(d, seq, {s.key: None for s in d.new})
            day += timedelta(days=7)
        store.close()
    for f, t in follows.items():
        lo, hi = t["since"], t["until"]
        window = {a for a, d in view.day.items() if d and lo <= d <= hi}
        got = told[f] & window
        gold = set(t["relevant"]) & window
        tp += len(got & gold)
        fp += len(got - gold)
        fn += len(gold - got)
    per_refresh = [s for s, n in seconds]
    articles = [n for s, n in seconds]
    return {**prf(tp, fp, fn), "refreshes": len(seconds), "duplicates_posted": duplicates,
            "posts_per_topic_per_week": round(sum(posts.values()) / max(len(topics), 1) / max(len(seconds), 1), 3),
            "max_posts_in_a_week": max((max(w) if w else 0) for w in weekly.values()),
            "refresh_ms_p50": round(statistics.median(per_refresh) * 1000, 1),
            "refresh_ms_max": round(max(per_refresh) * 1000, 1),
            "new_articles_per_refresh_p50": statistics.median(articles)}


def scale(engine: Engine, counts: tuple[int, ...] = (10, 100, 1000)) -> dict:
    """One refresh (one week of new articles) matched against N follows: the topic texts are the dev
    set's quiz questions (and variants), embedded once per check as the bot does."""
    questions = [q.question for q in evaluate.load_queries(Path(ROOT.parent / "shared" / "eval" / "realtimeqa" / "queries.jsonl"))]
    view = Arrived(engine)
    out = {}
    for n in counts:
        with tempfile.TemporaryDirectory() as tmp:
            store = FollowStore(Path(tmp) / "state.sqlite3")
            follower = Follower(store)
            view.upto = "2022-08-31"
            store.sync(view.hashes())
            for i in range(n):
                store.add(i + 1, questions[i % len(questions)][:180] + ("" if i < len(questions) else f" ({i // len(questions)})"))
            view.upto = "2022-09-07"
            t0 = time.perf_counter()
            report, _ = follower.check(engine)  # the first check embeds every topic
            cold = time.perf_counter() - t0
            t0 = time.perf_counter()
            report, _ = follower.check(engine)  # later ones reuse the topics' vectors (the bot's case)
            total = time.perf_counter() - t0
            matched = sum(len(d.new) for d in report.deliveries)
            store.close()
        pairs = max(report.articles_new * n, 1)
        out[str(n)] = {"follows": n, "new_articles": report.articles_new, "first_check_s": round(cold, 3),
                       "seconds": round(total, 3), "stories_matched": matched,
                       "ms_per_article_per_topic": round(total * 1000 / pairs, 4)}
        print(f"scale: {n} follows x {report.articles_new} new articles: {total:.2f} s ({cold:.2f} s for the first check, "
              f"which embeds the topics); {out[str(n)]['ms_per_article_per_topic']} ms per article per topic; "
              f"{matched} stories matched and quoted", flush=True)
    return out


def fit(engine: Engine, topics: list[dict], spread: bool = True) -> dict:
    """The relevance cut fitted on the labels, topics held out in 4 folds (sklearn, a bench dependency)."""
    from sklearn.linear_model import LogisticRegression

    rows, labels, groups = [], [], []
    b = engine.briefer
    for k, t in enumerate(topics):
        topic = b.topic(t["topic"])
        ids, _ = b.candidates(topic, date.fromisoformat(t["since"]), date.fromisoformat(t["until"]), None)
        for s in b.score([topic], ids)[0]:
            rows.append([s.cosine, s.coverage, s.title_coverage, s.spread][: 4 if spread else 3])
            labels.append(int(s.article_id in set(t["relevant"])))
            groups.append(k)
    X, y, g = np.array(rows), np.array(labels), np.array(groups)
    held = np.zeros(len(y))
    for fold in range(4):
        test = g % 4 == fold
        model = LogisticRegression(C=10.0, max_iter=2000).fit(X[~test], y[~test])
        held[test] = model.predict_proba(X[test])[:, 1]
    table = []
    for thr in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        pred = held >= thr
        table.append({"threshold": thr, **prf(int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()),
                                                int((~pred & (y == 1)).sum()))})
        print(f"held-out threshold {thr}: {table[-1]}", flush=True)
    model = LogisticRegression(C=10.0, max_iter=2000).fit(X, y)
    names = ("w_cosine", "w_coverage", "w_title", "w_spread")
    weights = {**{n: round(float(w), 4) for n, w in zip(names, model.coef_[0])}, "bias": round(float(model.intercept_[0]), 4)}
    print("fitted on all topics:", weights, f"({len(y)} candidate articles, {int(y.sum())} relevant)")
    return {"held_out": table, "weights": weights, "candidates": len(y), "relevant": int(y.sum())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--fit", action="store_true", help="refit the relevance cut (topics held out) and print it")
    ap.add_argument("--without-spread", action="store_true", help="--fit on the three features the cut had before")
    ap.add_argument("--no-scale", action="store_true")
    args = ap.parse_args()
    if not args.index.exists():
        sys.exit(f"no dev index at {args.index}: run `sitrep eval --dataset ../shared/eval/realtimeqa` first")
    encoder = query_encoder(None, ROOT / "var" / "models")
    engine = Engine.open(args.index, encoder, today=lambda: date(2026, 12, 2))
    topics = load_topics()
    out: dict = {"topics": len(topics), "labelled_relevant": sum(len(t["relevant"]) for t in topics)}
    if args.fit:
        out["fit"] = fit(engine, topics, not args.without_spread)
    out["brief"] = brief_eval(engine, topics)
    b = out["brief"]
    print(f"brief: precision {b['precision']} recall {b['recall']} (tp {b['tp']}, fp {b['fp']}, fn {b['fn']}); "
          f"quotes {b['quotes']}, not verbatim {b['quotes_not_verbatim']}; grouping {b['grouping']}; "
          f"p50 {b['p50_ms']} ms p95 {b['p95_ms']} ms", flush=True)
    out["follow"] = replay(Engine.open(args.index, encoder), topics, "2022-01-03", "2022-12-31")
    f = out["follow"]
    print(f"follow replay: precision {f['precision']} recall {f['recall']} (tp {f['tp']}, fp {f['fp']}, fn {f['fn']}); "
          f"{f['refreshes']} weekly refreshes, {f['posts_per_topic_per_week']} posts per topic per week "
          f"(max {f['max_posts_in_a_week']} in a week), duplicates {f['duplicates_posted']}; "
          f"refresh p50 {f['refresh_ms_p50']} ms, max {f['refresh_ms_max']} ms", flush=True)
    if not args.no_scale:
        out["scale"] = scale(Engine.open(args.index, encoder))
    path = ROOT / "var" / "bench" / "brief.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
