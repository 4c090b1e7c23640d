"""Answer -> Discord embeds, inside Discord's limits exactly. Pure: no client, no network.

Limits: 2,000 message characters; embed title 256, description 4,096, 25 fields of name 256
and value 1,024, footer 2,048, 6,000 characters in all. Text from articles and questions is
markdown-escaped and mention-neutralised; the sender also forbids every ping
(AllowedMentions.none()), so an article saying @everyone can never reach anyone.

Over 300 lines on purpose: every Discord limit is enforced in this one file, so one reading checks them all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import discord

from sitrep.answer.brief import Brief, Story
from sitrep.answer.engine import Meta
from sitrep.answer.present import UNDERSTOOD, answer_parts, refusal, shown_windows, snippet_parts, understood, why
from sitrep.answer.referent import named_person
from sitrep.answer.said_days import said_days_text
from sitrep.corpus.metadata import web_address
from sitrep.retrieval.conversation import Turn, article_key, quote_key
from sitrep.retrieval.mentions import read_as
from sitrep.retrieval.types import Answer, Citation

NO_PINGS = discord.AllowedMentions.none()  # every message the bot sends: no mention can reach anyone

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
SNIPPET_CHARS = 300



def clean(text: str) -> str:
    """Markdown-escaped, mention-neutralised, white space folded."""
    text = " ".join(text.split())
    text = discord.utils.escape_markdown(text)
    text = discord.utils.escape_mentions(text)
    return re.sub(r"<(@[!&]?|#)(\d+)>", "<\\1\u200b\\2>", text)


def _clean_part(text: str) -> str:
    """clean() for a piece of a sentence: keeps one space at either edge if there was one."""
    if not text.strip():
        return " " if text else ""
    return (" " if text[0].isspace() else "") + clean(text) + (" " if text[-1].isspace() else "")


def bold_answer(sentence: str, c: Citation | None) -> str:
    """The cleaned sentence with the answer phrase (if the reader marked one) in bold."""
    return "".join(f"**{clean(t)}**" if m else _clean_part(t) for t, m in answer_parts(sentence, c)).strip()


MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")


def question_text(content: str) -> str:
    """The question in a Discord message: user/role/channel mentions and @everyone/@here removed,
    so they neither ping (they are never echoed raw) nor count as words the answer must cover."""
    return " ".join(MENTION.sub(" ", content).split())


def shorten(text: str, limit: int) -> str:
    """At most limit characters, cut at a sentence end, else a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for stop in (". ", "! ", "? "):
        i = cut.rfind(stop)
        if i > limit // 2:
            return cut[: i + 1] + "…" if i + 2 <= limit else cut[: i + 1]
    i = cut.rfind(" ")
    cut = cut[:i] if i > limit // 2 else cut
    cut = cut.rstrip("\\")  # never leave half an escape
    return cut + "…"


def _link(location: str) -> str:
    """A web address as a link Discord makes clickable, with every character that could end it early or
    format what follows percent-encoded (a page names its own address: `<@1>`, `**`, `||`, spaces); a
    file as code."""
    if location.startswith(("http://", "https://")):
        return quote(location, safe=":/?#@!$&'()+,;=%~-._")
    return f"`{location.replace('`', '')}`"


def source_line(title: str | None, source: str | None, date: str | None, location: str) -> str:
    meta = " · ".join(clean(x) for x in (source, date) if x)
    return (f"{meta} · " if meta else "") + _link(location)


@dataclass(frozen=True)
class Rendered:
    embed: discord.Embed
    shown: int  # citations shown in the embed; the rest go behind "More sources"


def _embed_size(e: discord.Embed) -> int:
    return len(e)


def answer_embed(answer: Answer, meta: Meta, max_sources: int = 3) -> Rendered:
    if answer.abstained:
        return Rendered(abstention_embed(answer, meta), 0)
    title = shorten(clean(answer.question), TITLE_MAX)
    parts = [f"{bold_answer(s, answer.citation(i))} **[{n}]**" for i, (s, n) in enumerate(answer.sentences)]
    for note in answer.notes:
        parts.append(f"*{clean(note)}*")
    description = _fit_sentences(parts, DESCRIPTION_MAX)
    embed = discord.Embed(title=title, description=description, colour=discord.Colour.blurple())
    cited = [g for g in answer.sources() if f"**[{g[0].n}]**" in description]  # one field an article
    shown = cited[: min(max_sources, FIELDS_MAX)]
    for g in shown:
        embed.add_field(name=shorten(f"[{g[0].n}] {clean(g[0].title or '(untitled)')}", FIELD_NAME_MAX),
                        value=_source_value(g, SNIPPET_CHARS), inline=False)
    embed.set_footer(text=footer(answer, f"sitrep · confidence {answer.confidence:.0%} · quotes are verbatim from the sources"))
    # Shrink snippets, then drop trailing sources, until the whole embed fits.
    snippet = SNIPPET_CHARS
    while len(embed) > EMBED_TOTAL_MAX and snippet > 60:
        snippet //= 2
        for i, g in enumerate(shown):
            embed.set_field_at(i, name=embed.fields[i].name or "", value=_source_value(g, snippet), inline=False)
    while len(embed) > EMBED_TOTAL_MAX and len(embed.fields) > 1:
        embed.remove_field(len(embed.fields) - 1)
    return Rendered(embed, len(embed.fields))


def _fit_sentences(parts: list[str], limit: int) -> str:
    """Whole sentences (each with its marker) while they fit; a lone over-long one is cut before its marker."""
    out: list[str] = []
    used = 0
    for part in parts:
        extra = len(part) + (1 if out else 0)
        if used + extra <= limit:
            out.append(part)
            used += extra
        elif not out:
            marker = re.search(r" \*\*\[\d+\]\*\*$", part)
            tail = marker.group(0) if marker else ""
            out.append(shorten(part[: len(part) - len(tail)], limit - len(tail)) + tail)
            break
        else:
            break
    return " ".join(out)


def _source_value(group: Sequence[Citation], snippet_chars: int) -> str:
    """One article's field: its source line, which day each "Wednesday" its quotes say is, the other outlets that
    carry them, and the passage around each quote (about `snippet_chars` of it, the question's words in bold): the
    description has the quotes, the field what surrounds them."""
    c = group[0]
    head = source_line(c.title, c.source, c.shown_date, c.address)
    for days in dict.fromkeys(said_days_text(x.quote, x.date) for x in group):  # "on Wednesday": which Wednesday
        if days:
            head += f"\n*{clean(days)}*"
    also = list(dict.fromkeys(name for x in group for name in x.also_in))
    if also:  # a wire copy: the same text from other outlets
        head += "\n" + shorten("also in: " + ", ".join(clean(name) for name in also), 200)
    value = head + "".join(f"\n> {_snippet(x, a, b, snippet_chars, True)}" for x, a, b in shown_windows(group, snippet_chars))
    if len(value) > FIELD_VALUE_MAX:  # cut, a bold pair could lose its end: plain text cuts cleanly
        value = head + "".join(f"\n> {_snippet(x, a, b, snippet_chars, False)}" for x, a, b in shown_windows(group, snippet_chars))
    return shorten(value, FIELD_VALUE_MAX)


def _snippet(c: Citation, start: int, end: int, chars: int, bold: bool) -> str:
    """The passage from start to end, cleaned: at most twice `chars` of it (two quotes' windows made one, or a
    long quote), cut after a whole word."""
    if end - start > 2 * chars:
        cut = c.passage.rfind(" ", start, start + 2 * chars)
        end = cut if cut > start else start + 2 * chars
    body = "".join(f"**{clean(t)}**" if m and bold else _clean_part(t) for t, m in snippet_parts(c, start, end))
    body = " ".join(body.split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(c.passage) else "")


def abstention_embed(answer: Answer, meta: Meta, nearest: int = 3) -> discord.Embed:
    headline, notes = refusal(answer)
    embed = discord.Embed(
        title=shorten(clean(answer.question), TITLE_MAX),
        description=headline + "".join(f"\n*{clean(n)}*" for n in notes),
        colour=discord.Colour.light_grey(),
    )
    embed.set_footer(text=footer(answer, "sitrep · nothing in the corpus answers this"))
    for aid in list(dict.fromkeys(h.article_id for h in answer.hits))[:nearest]:
        m = meta[aid]
        embed.add_field(name=shorten(f"Nearest: {clean(m.shown_title or '(untitled)')}", FIELD_NAME_MAX),
                        value=shorten(source_line(m.shown_title, m.source, m.date, m.address), FIELD_VALUE_MAX), inline=False)
    return embed


def footer(answer: Answer, tail: str) -> str:
    """The embed's footer (small text): for a follow-up, "understood as: ..." on its own first line
    (exact: read back by turn_from_message), then why, then `tail`. Footers render no markdown and
    ping no one, so the text goes in as it is."""
    told = understood(answer)
    if not told:
        return shorten(tail, FOOTER_MAX)
    second = f"{why(answer) or ''} · {tail}".lstrip(" ·")
    return shorten(f"{shorten(told, FOOTER_MAX - len(second) - 1)}\n{second}", FOOTER_MAX)


MORE_PREFIX = "sitrep:more:"
MAX_KEYS = 8  # 12 + 8 x 9 characters: within Discord's 100 for a custom id


def more_custom_id(answer: Answer) -> str:
    """The "More sources" button's id carries the cited articles' short keys, so a thread can be
    rebuilt from its messages after a restart (Discord keeps components with the message)."""
    keys = [article_key(a) for a in dict.fromkeys(c.article_id for c in answer.citations)][:MAX_KEYS]
    return MORE_PREFIX + ",".join(keys)


_ESCAPE = re.compile(r"\\(.)")


def unescape(title: str) -> str:
    """A title's text as it was before clean() (markdown escapes and zero-width breaks undone, a cut's "…" off)."""
    return _ESCAPE.sub(r"\1", title.replace("\u200b", "")).rstrip("…")


_MARKER = re.compile(r"\s*\*\*\[\d+\]\*\*")


def quoted_sentences(description: str | None) -> tuple[str, ...]:
    """The sentences an answer's description quotes: the text before each **[n]** marker (the notes after the
    last one are not quotes)."""
    return tuple(quote_key(p) for p in _MARKER.split(description or "")[:-1] if quote_key(p))


def turn_from_message(title: str | None, footer_text: str | None, custom_ids: list[str], at: float,
                      description: str | None = None) -> Turn | None:
    """An earlier turn read back from one of sitrep's answers (its embed and buttons), or None if the
    message is not one. The question is the title (markdown escapes undone); what was searched is
    the footer's "understood as:" line if there is one, else the question; what it quoted, the description's
    sentences."""
    more = next((c for c in custom_ids if c.startswith(MORE_PREFIX)), None)
    if more is None or not title:
        return None
    question = unescape(title)
    asked = question
    first = (footer_text or "").split("\n", 1)[0]
    if first.startswith(UNDERSTOOD):
        asked = first[len(UNDERSTOOD):].rstrip("…")
    cited = tuple(k for k in more[len(MORE_PREFIX):].split(",") if k)
    quotes = _MARKER.split(description or "")[:-1]  # the first quote names whom a later "he" means, as the answer did
    named = read_as(footer_text) or (named_person(question, unescape(quotes[0].replace("**", "")).strip()) if quotes else "")
    return Turn(question, asked, cited, at, quoted_sentences(description), named)


def more_sources_text(answer: Answer, meta: Meta, skip: int) -> str:
    """The cited articles not shown (`skip`: the embed's fields), then the other hits' articles: one message of at most
    2,000 characters."""
    lines: list[str] = []
    for c, *_ in answer.sources()[skip:]:  # the cited articles the embed had no room for
        lines.append(f"**[{c.n}]** {clean(c.title or '(untitled)')} — {source_line(c.title, c.source, c.shown_date, c.address)}")
    cited = {a for c in answer.citations for a in (c.article_id, *c.copies)}  # a copy of a cited report is that report
    for aid in dict.fromkeys(h.article_id for h in answer.hits):
        if aid not in cited:
            m = meta[aid]
            lines.append(f"• {clean(m.shown_title or '(untitled)')} — {source_line(m.shown_title, m.source, m.date, m.address)}")
    if not lines:
        return "No further sources."
    out = ""
    for line in lines:
        candidate = f"{out}\n{line}" if out else line
        if len(candidate) > CONTENT_MAX:
            break
        out = candidate
    return out or shorten(lines[0], CONTENT_MAX)


# -- situation reports -------------------------------------------------------------------------------
BRIEF_PAGE = 8  # stories per brief message (fields), within the 6,000-character total


def _story_value(s: Story, limit: int = FIELD_VALUE_MAX) -> str:
    """The story's quote(s), its lead source with link, and the other outlets: within one field."""
    lead = s.sources[0]
    tail = "— " + source_line(None, lead.source, lead.shown_date, web_address(lead.url) or lead.location)
    if days := s.said_days:
        tail += f"\n*{clean(days)}*"
    others = [clean(name) + (f" ({', '.join(days)})" if days else "") for name, days in s.also_in()]
    also = shorten("also in: " + ", ".join(others), 300) if others else ""
    room = limit - len(tail) - (len(also) + 1 if also else 0) - 1
    quotes = shorten(" ".join(f"> {clean(q.text)}" for q in s.quotes[:1]) + "".join(f" {clean(q.text)}" for q in s.quotes[1:]), max(room, 0)) \
        if s.quotes and room > 20 else ""
    return "\n".join(x for x in (quotes, tail, also) if x)[:limit]


def _story_name(s: Story) -> str:
    lead = s.sources[0]
    when = s.day or lead.shown_date or "undated"
    return shorten(f"{when} · {clean(lead.title or '(untitled)')}", FIELD_NAME_MAX)


def brief_embed(b: Brief, start: int = 0, page: int = BRIEF_PAGE) -> Rendered:
    """One page of a brief: the dated stories (in the brief's order), then the undated ones marked so."""
    from sitrep.answer.present import window_text

    stories = list(b.stories) + list(b.undated)
    title = shorten(f"Brief: {clean(b.topic)}", TITLE_MAX)
    when, notes = window_text(b.since, b.until), "".join(f"\n*{clean(n)}*" for n in b.notes)
    if not stories:
        e = discord.Embed(title=title, colour=discord.Colour.light_grey(), description=f"Nothing in the corpus is "
                          f"about this topic ({when}). Try other words or a wider `since`.{notes}")
        return Rendered(e, 0)
    total = len(stories)
    e = discord.Embed(title=title, colour=discord.Colour.dark_teal(),
                      description=f"{total} stor{'y' if total == 1 else 'ies'}, {when}"
                      + ("; undated ones last, never placed on the timeline" if b.undated else "") + notes)
    shown = 0
    for s in stories[start : start + page]:
        name, value = _story_name(s), _story_value(s)
        if len(e) + len(name) + len(value) + 60 > EMBED_TOTAL_MAX or len(e.fields) >= FIELDS_MAX:
            break
        e.add_field(name=name, value=value, inline=False)
        shown += 1
    left = total - start - shown + b.more
    if left > 0:
        e.set_footer(text=f"{left} more: press More" if total - start - shown > 0 else f"{left} more: narrow the window")
    return Rendered(e, shown)


def story_embed(s: Story, topic: str) -> discord.Embed:
    """One followed story, as posted (and edited when more outlets carry it)."""
    lead = s.sources[0]
    e = discord.Embed(title=shorten(clean(lead.title or "(untitled)"), TITLE_MAX), colour=discord.Colour.orange(),
                      url=lead.url if lead.url and lead.url.startswith(("http://", "https://")) else None)
    e.set_footer(text=shorten(f"following: {clean(topic)}", 300))
    e.description = _story_value(s, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - len(e) - 10))
    return e


def digest_embed(topic: str, stories: list[Story]) -> discord.Embed:
    """Many new stories for one follow at once: one message, a field each, most outlets first."""
    ranked = sorted(stories, key=lambda s: (len(s.outlets), s.day or ""), reverse=True)
    e = discord.Embed(title=shorten(f"{len(stories)} new stories: {clean(topic)}", TITLE_MAX), colour=discord.Colour.orange())
    shown = 0
    for s in ranked:
        name, value = _story_name(s), _story_value(s, 400)
        if len(e) + len(name) + len(value) + 80 > EMBED_TOTAL_MAX or len(e.fields) >= FIELDS_MAX - 1:
            break
        e.add_field(name=name, value=value, inline=False)
        shown += 1
    if shown < len(stories):
        e.set_footer(text=f"and {len(stories) - shown} more: /brief {shorten(' '.join(topic.split()), 80)}")
    return e
