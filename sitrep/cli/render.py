"""Answer -> terminal text or a JSON-ready dict. Pure functions."""

from __future__ import annotations

import textwrap
from typing import Any

from sitrep.answer.brief import Brief, Story
from sitrep.answer.engine import Meta
from sitrep.answer.present import (
    answer_parts,
    refusal,
    shown_windows,
    snippet_parts,
    understood,
    why,
    window,
    window_text,
)
from sitrep.answer.said_days import said_days_json, said_days_text
from sitrep.corpus.metadata import web_address
from sitrep.retrieval.hybrid import SearchResult
from sitrep.retrieval.types import Answer, Citation

BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


def asked_json(answer: Answer) -> dict[str, Any]:
    """How the question was understood: what was searched, and what came from earlier turns."""
    a = answer.asked_as
    if a is None:
        return {"text": answer.question, "terms": [], "carried": [], "swapped": [], "prior_articles": [], "reason": "",
                "more": False, "not_repeated": False, "rewrite": ""}
    return {"text": a.text, "terms": list(a.terms), "carried": list(a.carried), "swapped": [list(p) for p in a.swapped],
            "prior_articles": list(a.prior_articles), "reason": a.reason, "more": a.more, "not_repeated": answer.not_repeated,
            "rewrite": a.rewrite}  # "What did he say?" read as "What did Rajnath Singh say?"


def as_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "asked_as": asked_json(answer),
        "answer": answer.text,
        "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "notes": list(answer.notes),
        "citations": [
            {
                "n": c.n,
                "article_id": c.article_id,
                "title": c.title,
                "source": c.source,
                "date": c.date,
                "seen": c.seen,
                "location": c.location,
                "url": c.url,
                "passage": c.passage,
                "quote": c.quote,
                "quote_start": c.quote_start,
                "highlights": [list(s) for s in c.highlights],
                "answer_spans": [list(s) for s in c.answer_spans],  # the answer phrase, offsets in passage
                "said_days": said_days_json(c.quote, c.date),  # "Wednesday" in the quote: the day it was
                "also_in": list(c.also_in),  # other outlets carrying the passage (a wire copy)
                "copies": list(c.copies),  # ... their articles
            }
            for c in answer.citations
        ],
        "hits": [
            {
                "article_id": h.article_id,
                "passage_id": h.passage_id,
                "score": round(h.score, 6),
                "rank_bm25": h.rank_bm25,
                "rank_dense": h.rank_dense,
                "also_in": list(h.also_in),
            }
            for h in answer.hits
        ],
    }


def snippet(c: Citation, color: bool, width: int = 320, span: tuple[int, int] | None = None) -> str:
    """The passage around the quote (or the `span` of it given), question words in bold (on a terminal)."""
    start, end = span or window(c, width)
    body = "".join(f"{BOLD}{t}{RESET}" if m and color else t for t, m in snippet_parts(c, start, end))
    body = " ".join(body.split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(c.passage) else "")


def marked(sentence: str, c: Citation | None, color: bool) -> str:
    """The sentence with its answer phrase in bold on a terminal; verbatim either way."""
    if not color:
        return sentence
    return "".join(f"{BOLD}{t}{RESET}" if m else t for t, m in answer_parts(sentence, c))


def describe(title: str | None, source: str | None, date: str | None) -> str:
    meta = ", ".join(x for x in (source, date) if x)
    return f"{title or '(untitled)'}" + (f" — {meta}" if meta else "")


def as_text(answer: Answer, meta: Meta | None = None, color: bool = False) -> str:
    """meta: the articles' metadata (Engine.answer_meta), for an abstention's nearest articles."""
    headline, notes = refusal(answer) if answer.abstained else ("", answer.notes)
    lines = [f"note: {n}" for n in notes]
    told = understood(answer)
    if told:
        told = f"{told} {why(answer) or ''}".rstrip()
        lines.append(f"{DIM}{told}{RESET}" if color else told)
    if answer.abstained:
        lines.append(headline)
        nearest = list(dict.fromkeys(h.article_id for h in answer.hits))[:3]
        if nearest and meta:
            lines.append("Nearest articles:")
            for aid in nearest:
                m = meta[aid]
                lines.append(f"  - {describe(m.shown_title, m.source, m.date)} ({m.address})")
        return "\n".join(lines)
    body = " ".join(f"{marked(s, answer.citation(i), color)} [{n}]" for i, (s, n) in enumerate(answer.sentences))
    lines.extend(textwrap.wrap(body, 100) or [body])
    lines.append("")
    lines.append(f"{BOLD}Sources{RESET}" if color else "Sources")
    for group in answer.sources():  # one an article, with each of its quotes
        c = group[0]
        lines.append(f"[{c.n}] {describe(c.title, c.source, c.shown_date)}")
        also = list(dict.fromkeys(name for x in group for name in x.also_in))
        if also:
            lines.append(f"    also in: {', '.join(also)}")
        for days in dict.fromkeys(said_days_text(x.quote, x.date) for x in group):  # "on Wednesday": which Wednesday
            if days:
                lines.append(f"    {days}")
        lines.append(f"    {c.address}")
        for x, a, b in shown_windows(group, 320):  # the passage around each quote, one snippet where they overlap
            lines.append(textwrap.indent(textwrap.fill(snippet(x, color, span=(a, b)), 96), "    "))
    return "\n".join(lines)


def explain(result: SearchResult, titles: dict[str, str | None]) -> str:
    """One line per hit: fused score, BM25 and vector rank/score, its article's lede rank."""
    def part(rank: int | None, score: float | None) -> str:
        return f"#{rank:<3} {score:7.3f}" if rank is not None and score is not None else "   -        "

    def lede(rank: int | None) -> str:
        return f"#{rank:<3}" if rank is not None else "  - "

    rows = [
        f"as of {result.as_of.isoformat()}"
        + (f", window {result.window.start} .. {result.window.end} ({result.window.reason})" if result.window.start
           else f", hint {result.window.reason!r}: ranked by recency" if result.window.reason else "")
        + (f", recency counted from {result.recency_from.isoformat()}" if result.recency_from else "")
        + f"; terms: {' '.join(result.terms) or '-'}",
        f"{'rank':>4}  {'fused':>8}  {'bm25':<12}  {'dense':<12}  {'lede':<4}  passage",
    ]
    for i, h in enumerate(result.hits, start=1):
        title = (titles.get(h.article_id) or "")[:50]
        rows.append(f"{i:>4}  {h.score:8.5f}  {part(h.rank_bm25, h.score_bm25)}  {part(h.rank_dense, h.score_dense)}  {lede(h.rank_lede)}  {h.passage_id}  {title}")
    return "\n".join(rows)


def _story_json(s: Story) -> dict[str, Any]:
    day = {x.article_id: x.date for x in s.sources}
    return {"key": s.key, "day": s.day, "relevance": round(s.relevance, 4), "outlets": list(s.outlets),
            "quotes": [{"text": q.text, "article_id": q.article_id, "passage_id": q.passage_id,
                        "said_days": said_days_json(q.text, day.get(q.article_id))} for q in s.quotes],
            "sources": [{"article_id": x.article_id, "title": x.title, "source": x.source, "date": x.date, "seen": x.seen,
                         "url": x.url, "location": x.location} for x in s.sources]}


def brief_json(b: Brief) -> dict[str, Any]:
    return {"topic": b.topic, "since": b.since.isoformat() if b.since else None, "until": b.until.isoformat(),
            "stories": [_story_json(s) for s in b.stories], "undated": [_story_json(s) for s in b.undated],
            "more": b.more, "notes": list(b.notes)}


def story_text(s: Story, color: bool = False) -> list[str]:
    lead = s.sources[0]
    head = f"{s.day or lead.shown_date or 'undated'}  {lead.title or '(untitled)'}"
    lines = [f"{BOLD}{head}{RESET}" if color else head]
    for q in s.quotes:
        lines.extend(textwrap.wrap(q.text, 94, initial_indent="    │ ", subsequent_indent="    │ "))
    if days := s.said_days:
        lines.append(f"    {days}")
    said = ", ".join(x for x in (lead.source, lead.shown_date) if x)
    lines.append(f"    — {said + '  ' if said else ''}{web_address(lead.url) or lead.location}")
    others = [name + (f" ({', '.join(days)})" if days else "") for name, days in s.also_in()]
    if others:
        lines.append(f"    also in: {', '.join(others)}")
    return lines


def brief_text(b: Brief, color: bool = False) -> str:
    """A brief for a terminal: the dated stories (newest first unless asked), then the undated apart."""
    when = window_text(b.since, b.until)
    notes = [f"note: {n}" for n in b.notes]
    if b.empty:
        return "\n".join([*notes, f"Nothing in the corpus is about “{b.topic}” ({when}). Try other words, a wider "
                           "window (--since 1y), or `sitrep ask` for a question."])
    n = len(b.stories) + len(b.undated)
    lines = [*notes, f"{b.topic} — {n} stor{'y' if n == 1 else 'ies'}, {when}", ""]
    for s in b.stories:
        lines.extend(story_text(s, color))
        lines.append("")
    if b.undated:
        lines.append("Undated (no publication date, so not placed on the timeline):")
        lines.append("")
        for s in b.undated:
            lines.extend(story_text(s, color))
            lines.append("")
    if b.more:
        lines.append(f"… and {b.more} more stor{'y' if b.more == 1 else 'ies'}: raise --max or narrow the window")
    return "\n".join(lines).rstrip()


def check_json(report: Any, dry_run: bool) -> dict[str, Any]:
    """`sitrep follow check --json`: per follow, the stories it would post and the posts it would update."""
    return {"dry_run": dry_run, "articles_new": report.articles_new, "follows": report.follows,
            "seconds": round(report.seconds, 4),
            "deliveries": [{"channel_id": d.follow.channel_id, "topic": d.follow.topic, "source": d.follow.source, "digest": d.digest,
                            "new": [_story_json(s) for s in d.new],
                            "updates": [{"post_id": p.id, "message_id": p.message_id, "story": _story_json(s)}
                                        for p, s in d.updates]}
                           for d in report.deliveries if not d.empty]}


def check_text(report: Any, dry_run: bool) -> str:
    active = [d for d in report.deliveries if not d.empty]
    verb = "would post" if dry_run else "posted (marked as delivered)"
    lines = [f"{report.follows} follow(s), {report.articles_new} new article(s) checked in {report.seconds * 1000:.0f} ms"]
    if not active:
        lines.append("nothing new for any follow")
    for d in active:
        lines.append("")
        what = f"{len(d.new)} new stor{'y' if len(d.new) == 1 else 'ies'}" + (" as one digest" if d.digest else "")
        lines.append(f"#{d.follow.channel_id} “{d.follow.label}”: {verb} {what}"
                     + (f", {len(d.updates)} earlier post(s) updated with more outlets" if d.updates else ""))
        for s in d.new:
            lines.extend("  " + line for line in story_text(s))
        for p, s in d.updates:
            lines.append(f"  update of post {p.id}: also in {', '.join(s.outlets[1:]) or '-'}")
    return "\n".join(lines)
