"""Evaluation over a dataset folder in the RealTimeQA layout.

corpus.jsonl[.gz] (articles), queries.jsonl ({id, question, gold_article_ids,
question_date?}), optional queries_null.jsonl (questions the corpus cannot answer).
Only `question` and `question_date` ever reach the engine. Scores are at the article
level: a passage counts for its article, and each article only at its best rank.

Over 300 lines on purpose: dataset reading, the metrics and the three evaluations (questions, votes,
conversations) share the record types and must score the same way.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sitrep.evaluation.errors import DatasetError
from sitrep.retrieval.types import Answer, Hit, Query


@dataclass(frozen=True)
class EvalQuery:
    id: str
    question: str
    gold: tuple[str, ...]
    question_date: date | None
    answer: str | None = None  # the dataset's answer text, for scoring quotes only


def corpus_file(folder: Path) -> Path:
    for name in ("corpus.jsonl.gz", "corpus.jsonl"):
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(f"dataset folder {folder} has no corpus.jsonl or corpus.jsonl.gz: point --dataset at a folder in the RealTimeQA layout")


def load_queries(path: Path, required: bool = True) -> list[EvalQuery]:
    if not path.is_file():
        if required:
            raise DatasetError(f"dataset folder {path.parent} has no {path.name}: it needs queries.jsonl with question and gold_article_ids")
        return []
    out: list[EvalQuery] = []
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            qd = rec.get("question_date")
            out.append(EvalQuery(str(rec["id"]), str(rec["question"]), tuple(rec.get("gold_article_ids") or ()),
                                 date.fromisoformat(qd[:10]) if qd else None, rec.get("answer")))
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path} line {lineno}: not a query record ({exc}): each line needs id and question") from None
    return out


def load_feedback(path: Path) -> tuple[list[EvalQuery], list[EvalQuery]]:
    """The bot's 👍/👎 log as extra questions: (up-voted, down-voted).

    Each line is {time, question, answer_ids, vote, user}. A question's latest vote counts. An
    up-voted answer's articles become its gold articles; a down-voted one's are articles that
    should no longer be cited first. The vote's day is the question's as-of date.
    """
    if not path.is_file():
        raise DatasetError(f"feedback file {path} does not exist: the bot writes it (SITREP_FEEDBACK_PATH) when users vote")
    latest: dict[str, EvalQuery] = {}
    votes: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            question, vote, ids = str(rec["question"]).strip(), rec["vote"], tuple(str(i) for i in rec["answer_ids"])
            when = date.fromisoformat(str(rec["time"])[:10]) if rec.get("time") else None
            if vote not in ("up", "down"):
                raise ValueError(f"vote {vote!r} is neither up nor down")
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path} line {lineno}: not a feedback record ({exc}): each line needs question, answer_ids and vote") from None
        if question and ids:
            latest[question] = EvalQuery(f"feedback-{lineno}", question, ids, when)
            votes[question] = vote
    ups = [q for text, q in latest.items() if votes[text] == "up"]
    downs = [q for text, q in latest.items() if votes[text] == "down"]
    return ups, downs


def down_votes_still_first(ask: Ask, downs: Sequence[EvalQuery], mode: str = "hybrid") -> float:
    """Share of down-voted questions whose first cited (or, abstaining, first ranked) article is still one voted down."""
    if not downs:
        return 0.0
    repeated = 0
    for q in downs:
        ans = ask(Query(q.question, mode=mode, as_of=q.question_date))
        first = ans.citations[0].article_id if ans.citations else (ans.hits[0].article_id if ans.hits else None)
        repeated += first in q.gold
    return round(repeated / len(downs), 4)


def article_ranking(hits: Sequence[Hit]) -> list[str]:
    """The articles in the order the answer shows them: each hit's article, then the near-duplicate
    copies folded into it ("also in": shown with the hit, so a syndicated copy of the same story is
    found where it is shown, not lost), each article once at its first place."""
    seen: dict[str, None] = {}
    for h in hits:
        for article in (h.article_id, *h.also_in):
            seen.setdefault(article, None)
    return list(seen)


def retrieval_metrics(rankings: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> dict[str, float]:
    n = len(rankings) or 1
    out: dict[str, float] = {}
    for k in (1, 5, 10, 20):
        out[f"recall@{k}"] = sum(len(set(r[:k]) & set(g)) / len(g) for r, g in zip(rankings, golds)) / n
    out["hit@10"] = sum(bool(set(r[:10]) & set(g)) for r, g in zip(rankings, golds)) / n
    mrr = ndcg = 0.0
    for r, g in zip(rankings, golds):
        gold = set(g)
        first = next((i for i, a in enumerate(r[:10], start=1) if a in gold), None)
        mrr += 1.0 / first if first else 0.0
        dcg = sum(1.0 / math.log2(i + 1) for i, a in enumerate(r[:10], start=1) if a in gold)
        ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), 10) + 1))
        ndcg += dcg / ideal if ideal else 0.0
    out["mrr@10"] = mrr / n
    out["ndcg@10"] = ndcg / n
    return {k: round(v, 4) for k, v in out.items()}


def _percentile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def norm_text(text: str) -> str:
    """Lower-cased, quote marks dropped: how an answer string is looked for in a text."""
    return re.sub(r"[\"'“”‘’]", "", text.lower())


Ask = Callable[[Query], Answer]


def _quoted(answer: Answer, q: EvalQuery, first: bool = False) -> bool:
    """The dataset's answer text is in what the answer quotes (`first`: in its first quote)."""
    quoted = (answer.sentences[0][0] if answer.sentences else "") if first else answer.text or ""
    return bool(q.answer) and norm_text(q.answer or "") in norm_text(quoted)


def _by_type(answered: Sequence[tuple[Answer, EvalQuery]]) -> dict[str, dict[str, float]]:
    """quote_contains_answer by question type (reader.QuestionKind.type), with each type's count."""
    from sitrep.answer.reader import QuestionKind

    groups: dict[str, list[bool]] = {}
    for a, q in answered:
        groups.setdefault(QuestionKind.of(q.question).type, []).append(_quoted(a, q))
    return {t: {"questions": len(v), "quote_contains_answer": round(sum(v) / len(v), 4)} for t, v in sorted(groups.items())}


def evaluate(ask: Ask, queries: Sequence[EvalQuery], nulls: Sequence[EvalQuery], modes: Sequence[str], k: int = 50,
             default_mode: str = "hybrid") -> dict[str, object]:
    """Metrics per mode, abstention and quote quality for the default mode, latency per mode."""
    report: dict[str, object] = {"queries": len(queries), "null_queries": len(nulls), "modes": {}}
    modes_out: dict[str, dict[str, float]] = {}
    for mode in modes:
        rankings, latencies, answers = [], [], []
        for q in queries:
            t = time.perf_counter()
            ans = ask(Query(q.question, k=k, mode=mode, as_of=q.question_date))
            latencies.append((time.perf_counter() - t) * 1000)
            rankings.append(article_ranking(ans.hits))
            answers.append(ans)
        m = retrieval_metrics(rankings, [q.gold for q in queries])
        m["p50_ms"] = round(_percentile(latencies, 0.5), 2)
        m["p95_ms"] = round(_percentile(latencies, 0.95), 2)
        if mode == default_mode:
            null_answers = [ask(Query(q.question, k=k, mode=mode, as_of=q.question_date)) for q in nulls]
            answered = [(a, q) for a, q in zip(answers, queries) if not a.abstained]
            report["abstention"] = {
                "null_abstained": round(sum(a.abstained for a in null_answers) / max(len(nulls), 1), 4),
                "answerable_abstained": round(1 - len(answered) / max(len(queries), 1), 4),
            }
            report["answers"] = {
                "cites_gold_article": round(sum(any(c.article_id in q.gold for c in a.citations) for a, q in answered) / max(len(answered), 1), 4),
                "quote_contains_answer": round(sum(_quoted(a, q) for a, q in answered) / max(len(answered), 1), 4),
                # ... in the first quote, which a reader takes for the answer
                "first_quote_contains_answer": round(sum(_quoted(a, q, first=True) for a, q in answered)
                                                     / max(len(answered), 1), 4),
                "quotes_verbatim": all(c.quote in c.passage for a, _ in answered for c in a.citations),
                "words_quoted": round(sum(len(" ".join(s for s, _ in a.sentences).split()) for a, _ in answered)
                                      / max(len(answered), 1), 2),
                "by_type": _by_type(answered),
            }
        modes_out[mode] = m
    report["modes"] = modes_out
    return report


@dataclass(frozen=True)
class ConvTurn:
    question: str
    gold: tuple[str, ...]
    as_of: date | None
    rewrite: str | None = None  # the follow-up written out in full (the ceiling)
    answer: str | None = None  # a pattern (regular expression, any case) the quote that answers it holds


@dataclass(frozen=True)
class EvalConversation:
    id: str
    kind: str  # "followup" (later turns point back) or "switch" (the second question changes subject)
    turns: tuple[ConvTurn, ...]


def load_conversations(path: Path, queries: Sequence[EvalQuery]) -> list[EvalConversation]:
    """A conversation set (benchmarks/conversations.jsonl): one conversation a line, {id, kind, as_of?,
    turns: [{ref} | {q, gold, rewrite?, as_of?}]}. A `ref` names a dataset question by id (its text,
    gold and date come from the dataset, read at run time); other turns are written out."""
    if not path.is_file():
        raise DatasetError(f"conversation file {path} does not exist: see benchmarks/conversations.jsonl for the format")
    by_id = {q.id: q for q in queries}
    out: list[EvalConversation] = []
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            default = date.fromisoformat(rec["as_of"]) if rec.get("as_of") else None
            turns: list[ConvTurn] = []
            for t in rec["turns"]:
                if "ref" in t:
                    q = by_id[t["ref"]]
                    turns.append(ConvTurn(q.question, q.gold, q.question_date))
                    default = default or q.question_date
                else:
                    when = date.fromisoformat(t["as_of"]) if t.get("as_of") else default
                    turns.append(ConvTurn(str(t["q"]), tuple(t["gold"]), when, t.get("rewrite"), t.get("answer")))
            if rec["kind"] not in ("followup", "switch") or len(turns) < 2:
                raise ValueError("kind must be followup or switch, with two turns or more")
            out.append(EvalConversation(str(rec["id"]), rec["kind"], tuple(turns)))
        except KeyError as exc:
            raise DatasetError(f"{path} line {lineno}: unknown dataset question or missing field {exc}: "
                               "a ref must name a question of --dataset") from None
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path} line {lineno}: not a conversation record ({exc})") from None
    return out


AskIn = Callable[[Query, Any], Answer]  # (query, conversation) -> answer: Engine.ask


def evaluate_conversations(ask_in: AskIn, new_conversation: Callable[[], object],
                           conversations: Sequence[EvalConversation], k: int = 10, compare: bool = True) -> dict[str, object]:
    """Each conversation asked in order, every later turn three ways: alone (a new conversation), with
    the conversation so far (built from sitrep's own earlier answers), and, where written, as its
    full rewrite (the ceiling). Retrieval metrics per group; latency of the turns asked in context.
    compare=False: only the way with the conversation (for sweeps)."""
    groups: dict[str, dict[str, list[list[str]]]] = {}
    golds: dict[str, list[tuple[str, ...]]] = {}
    latencies: dict[str, list[float]] = {"first": [], "followup": [], "switch": []}
    understood: list[dict[str, object]] = []
    said: dict[str, list[tuple[bool, bool, bool]]] = {}  # later turns with an answer pattern: (first quote holds
    # it, a quote holds it, the first quote is one the answer before quoted)

    def record(group: str, way: str, answer: Answer) -> None:
        groups.setdefault(group, {}).setdefault(way, []).append(article_ranking(answer.hits))

    for conv in conversations:
        context = new_conversation()
        before: set[str] = set()
        for i, turn in enumerate(conv.turns):
            query = Query(turn.question, k=k, as_of=turn.as_of)
            t = time.perf_counter()
            answer = ask_in(query, context)
            elapsed = (time.perf_counter() - t) * 1000
            group = "first" if i == 0 else conv.kind
            latencies[group].append(elapsed)
            golds.setdefault(group, []).append(turn.gold)
            record(group, "with_conversation", answer)
            quotes = [" ".join(q.split()) for q, _ in answer.sentences]
            if i > 0 and turn.answer:
                holds = [bool(re.search(turn.answer, q, re.I)) for q in quotes]
                said.setdefault(group, []).append((holds[:1] == [True], any(holds), bool(quotes) and quotes[0] in before))
            before = set(quotes)
            if i == 0:
                continue
            if compare:
                record(group, "alone", ask_in(query, new_conversation()))
                if turn.rewrite:
                    record(group, "rewrite", ask_in(Query(turn.rewrite, k=k, as_of=turn.as_of), new_conversation()))
            asked = answer.asked_as
            understood.append({"id": conv.id, "turn": i + 1, "question": turn.question,
                               "asked_as": asked.text if asked else turn.question,
                               "carried": list(asked.carried) if asked else [], "reason": asked.reason if asked else "",
                               "gold_in_top10": bool(set(article_ranking(answer.hits)[:10]) & set(turn.gold))})
    report: dict[str, object] = {"conversations": len(conversations)}
    for group, ways in groups.items():
        gold = golds[group]
        entry: dict[str, object] = {"turns": len(gold)}
        for way, rankings in ways.items():
            # The rewrite exists for follow-ups only; score it on those turns.
            g = gold if way != "rewrite" else [x for x, c in zip(gold, _has_rewrite(conversations, group)) if c]
            m = retrieval_metrics(rankings, g)
            entry[way] = {"recall@10": m["recall@10"], "mrr@10": m["mrr@10"], "hit@10": m["hit@10"]}
        if group in said:  # what the answers say: the same turns, asked with the conversation
            first, any_, again = zip(*said[group])
            entry["answered_turns"] = len(first)
            entry["first_quote_holds_answer"] = round(sum(first) / len(first), 4)
            entry["a_quote_holds_answer"] = round(sum(any_) / len(any_), 4)
            entry["first_quote_said_before"] = round(sum(again) / len(again), 4)
        entry["p50_ms"] = round(_percentile(latencies[group], 0.5), 2)
        entry["p95_ms"] = round(_percentile(latencies[group], 0.95), 2)
        report[group] = entry
    fu = report.get("followup")
    if isinstance(fu, dict) and "rewrite" in fu:
        ceiling, got = fu["rewrite"], fu["with_conversation"]
        fu["share_of_ceiling"] = {m: round(got[m] / ceiling[m], 4) if ceiling[m] else None for m in ("recall@10", "mrr@10")}
    sw = report.get("switch")
    if isinstance(sw, dict) and "alone" in sw:
        sw["recall@10_lost"] = round(sw["alone"]["recall@10"] - sw["with_conversation"]["recall@10"], 4)
    report["understood"] = understood
    return report


def _has_rewrite(conversations: Sequence[EvalConversation], group: str) -> list[bool]:
    return [t.rewrite is not None for c in conversations for i, t in enumerate(c.turns)
            if i > 0 and c.kind == group]
