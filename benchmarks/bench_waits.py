"""Questions left waiting (🔔 under a refusal), replayed on the dev corpus: is the late answer right, and
is nobody told something false?

The corpus arrives day by day in publication order (the index shows a refresh only what was published by
then; each question is asked as of its day, nothing later used), one refresh a day:

- Each answerable dev question is asked `--before` days (7) before its first gold article is published.
  Refused then (the corpus does not answer it yet), it is left waiting for `--days` (14), as 🔔 does, and
  the real WaitStore asks it again at every refresh that brings articles. Measured: how many get a late
  answer, how many of those cite a gold article and quote the dataset's answer, and on which day.
- Each of the 200 unanswerable probes is asked on one of those days (spread over them in turn, so it waits
  while news arrives; on its own quiz date, after most of the corpus, it would see few arrivals) and,
  refused, left waiting the same way: every late answer to one of them is a false alert (no article in
  the corpus holds its answer).
- The refreshes' time with the questions waiting then (the asks each one made, ms per refresh).
- "Any news?": each question asked the same 7 days early in a conversation, then "Any news?" on the day
  its first gold article is published (each probe a week after it was asked): how many get news, citing
  gold and quoting the answer, and how many probes get "news" that can only be false.

    python benchmarks/bench_waits.py [--before 7] [--days 14]

Writes var/bench/waits.json. Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_brief import Arrived  # noqa: E402

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.evaluation.evaluate import EvalQuery, load_queries, norm_text  # noqa: E402
from sitrep.follows.state import FollowStore  # noqa: E402
from sitrep.follows.waiting import WaitStore  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402


def replay(engine: Engine, queries: list[EvalQuery], nulls: list[EvalQuery], before: int, days: int) -> dict:
    view = Arrived(engine)
    plan: dict[date, list[tuple[EvalQuery, str, date | None]]] = {}
    undated_gold = 0
    for q in queries:
        published = [date.fromisoformat(view.day[g]) for g in q.gold if view.day.get(g)]
        if not published:
            undated_gold += 1
            continue
        first = min(published)
        plan.setdefault(first - timedelta(days=before), []).append((q, "answerable", first))
    busy = sorted(plan)  # the probes wait while news arrives: on the answerable questions' days, in turn (on their
    for i, q in enumerate(nulls):  # own quiz dates, after most of the corpus, they would see few arrivals)
        plan.setdefault(busy[i * len(busy) // max(len(nulls), 1)], []).append((q, "null", None))
    start, end = min(plan), max(plan) + timedelta(days=days)
    stats = {kind: {"asked": 0, "answered_at_once": 0, "left_waiting": 0, "asked_again": 0, "late_answers": 0,
                    "cite_gold": 0, "quote_holds_answer": 0, "expired": 0} for kind in ("answerable", "null")}
    kind_of: dict[str, str] = {}  # what a waiting question searches -> answerable or null
    on_arrival = later = 0
    confidences: list[tuple[str, bool, float]] = []  # each late answer: (kind, cites gold, its confidence)
    refreshes: list[tuple[float, int, int]] = []  # (seconds, asks, waiting)
    with tempfile.TemporaryDirectory() as tmp:
        store = FollowStore(Path(tmp) / "state.sqlite3")
        waits = WaitStore(store)
        view.upto = (start - timedelta(days=1)).isoformat()
        store.sync(view.hashes())  # what was published before the replay is there from the start
        placed: dict[int, tuple[EvalQuery, str, date | None, date]] = {}
        seen = len(view.hashes())
        day = start
        while day <= end:
            view.upto = day.isoformat()
            hashes = view.hashes()
            if len(hashes) != seen and placed:  # a refresh that brings articles
                seen = len(hashes)
                asks = [0]

                def ask(query: Query, on: date = day, asks: list[int] = asks) -> object:
                    asks[0] += 1
                    stats[kind_of[query.text]]["asked_again"] += 1
                    return engine.ask(replace(query, as_of=on))
                t0 = time.perf_counter()
                found, seq = waits.answered(hashes, ask)  # type: ignore[arg-type]
                refreshes.append((time.perf_counter() - t0, asks[0], len(placed)))
                for f in found:
                    q, kind, first, _ = placed.pop(f.wait.id)
                    s = stats[kind]
                    s["late_answers"] += 1
                    confidences.append((kind, any(c.article_id in q.gold for c in f.answer.citations),
                                        round(f.answer.confidence, 3)))
                    s["cite_gold"] += any(c.article_id in q.gold for c in f.answer.citations)
                    s["quote_holds_answer"] += bool(q.answer) and norm_text(q.answer or "") in norm_text(f.answer.text or "")
                    if first is not None:
                        on_arrival += day == first
                        later += day > first
                    waits.end(f.wait.id)
                waits.advance(seq)
            seen = len(hashes)
            for wait_id, (_q, kind, _, on) in list(placed.items()):  # past their days: they end unanswered
                if (day - on).days >= days:
                    stats[kind]["expired"] += 1
                    waits.end(wait_id)
                    del placed[wait_id]
            for q, kind, first in plan.get(day, []):
                s = stats[kind]
                s["asked"] += 1
                answer = engine.ask(Query(q.question, as_of=day))
                if not answer.abstained:
                    s["answered_at_once"] += 1
                    continue
                s["left_waiting"] += 1
                searched = answer.asked_as.text if answer.asked_as is not None else q.question
                kind_of[searched] = kind
                w = waits.add(1, len(placed) + 1 + sum(x["asked"] for x in stats.values()), f"u-{q.id}", q.question,
                              searched, None, days)
                placed[w.id] = (q, kind, first, day)
            day += timedelta(days=1)
        store.close()
    seconds = [r[0] for r in refreshes]
    return {"before_days": before, "wait_days": days, "answerable_with_undated_gold": undated_gold, **stats,
            "late_answers_on_the_gold_articles_day": on_arrival, "late_answers_later": later,
            "refreshes": len(refreshes), "refresh_ms_p50": round(statistics.median(seconds) * 1000, 1) if seconds else 0,
            "refresh_ms_max": round(max(seconds) * 1000, 1) if seconds else 0,
            "asks_per_refresh_p50": statistics.median(r[1] for r in refreshes) if refreshes else 0,
            "asks_per_refresh_max": max((r[1] for r in refreshes), default=0),
            "late_answer_confidences": sorted(confidences, key=lambda c: c[2]),
            "ms_per_ask": round(sum(seconds) * 1000 / max(sum(r[1] for r in refreshes), 1), 2)}


def any_news(engine: Engine, queries: list[EvalQuery], nulls: list[EvalQuery], before: int) -> dict:
    """The same questions asked `before` days ahead of their first gold article, then "Any news?" in the same
    conversation on the day it is published; each probe likewise, a week apart, on the answerable questions'
    days in turn (its "news" can only be false)."""
    from datetime import UTC, datetime

    from sitrep.retrieval.conversation import Conversation

    def at(day: date) -> float:
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()

    view = {a: m.date for a, m in engine.backend.articles(list(engine.backend.article_hashes())).items()}
    days = []
    for q in queries:
        first = min(date.fromisoformat(view[g]) for g in q.gold if view.get(g))
        days.append((q, "answerable", first - timedelta(days=before), first))
    for i, q in enumerate(nulls):
        asked = days[i * len(queries) // max(len(nulls), 1)][2]
        days.append((q, "null", asked, asked + timedelta(days=before)))
    out = {kind: {"asked": 0, "news": 0, "cite_gold": 0, "quote_holds_answer": 0, "nothing_new": 0}
           for kind in ("answerable", "null")}
    for q, kind, first_day, news_day in days:
        talk = Conversation(clock=lambda d=news_day: at(d))
        engine.ask(Query(q.question, as_of=first_day), talk)
        talk.turns[-1] = replace(talk.turns[-1], at=at(first_day))  # asked then, as a thread's message would say
        a = engine.ask(Query("Any news?", as_of=news_day), talk)
        s = out[kind]
        s["asked"] += 1
        if a.abstained:
            s["nothing_new"] += 1
            continue
        s["news"] += 1
        s["cite_gold"] += any(c.article_id in q.gold for c in a.citations)
        s["quote_holds_answer"] += bool(q.answer) and norm_text(q.answer or "") in norm_text(a.text or "")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--before", type=int, default=7, help="days before its first gold article a question is asked")
    ap.add_argument("--days", type=int, default=14, help="days a question waits (SITREP_WAIT_DAYS)")
    args = ap.parse_args()
    if not args.index.exists():
        sys.exit(f"no dev index at {args.index}: run `sitrep eval --dataset ../shared/eval/realtimeqa` first")
    engine = Engine.open(args.index, query_encoder(None, ROOT / "var" / "models"), today=lambda: date(2026, 12, 2))
    queries = load_queries(args.dataset / "queries.jsonl")
    nulls = load_queries(args.dataset / "queries_null.jsonl")
    out = replay(engine, queries, nulls, args.before, args.days)
    out["any_news"] = any_news(engine, queries, nulls, args.before)
    print(json.dumps(out, indent=1))
    path = ROOT / "var" / "bench" / "waits.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
