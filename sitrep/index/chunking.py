"""Article -> passages: windows of whole sentences that fit the embedding model.

Pure functions. A passage never crosses a removed boilerplate line, so its text is
exactly article.text[start:end] and a quote found in it maps back to the original.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sitrep.corpus.articles import Article, Span

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class ChunkSettings:
    target_tokens: int = 128  # stop growing a window once it holds this many word pieces
    max_tokens: int = 200  # never exceed this (MiniLM truncates at 256, title included)
    overlap_sentences: int = 1
    title_prefix: bool = True  # index "title. passage" so a passage knows what it is about

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Passage:
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.ordinal}"


# Words before a full stop that do not end a sentence.
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "sgt", "capt", "cmdr", "adm", "gov", "sen", "rep", "rev", "st", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "nos", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "approx", "est", "dept", "univ", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "i.e", "e.g", "d.c"]
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentence spans of text[start:end] (one line of an article), trimmed."""
    spans: list[Span] = []
    cursor = start
    for m in _BOUNDARY.finditer(text, start, end):
        word = text[max(cursor, m.start() - 12) : m.start()].rsplit(None, 1)
        last = word[-1].lower().lstrip("(\"'“‘") if word else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "Gen. Wei", "J. Smith"
        stop = m.end()
        while stop > cursor and text[stop - 1].isspace():
            stop -= 1
        spans.append((cursor, stop))
        cursor = m.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans


def _split_long(text: str, span: Span, tokens: int, max_tokens: int, count: TokenCounter) -> list[tuple[Span, int]]:
    """Cut a sentence longer than the window at word boundaries; nothing is dropped."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span[0] : span[1]])]
    per_word = tokens / max(len(words), 1)
    step = max(1, int(max_tokens * 0.9 / per_word))
    pieces: list[Span] = []
    for i in range(0, len(words), step):
        chunk = words[i : i + step]
        pieces.append((span[0] + chunk[0][0], span[0] + chunk[-1][1]))
    counts = count([text[a:b] for a, b in pieces])
    out: list[tuple[Span, int]] = []
    for piece, n in zip(pieces, counts):
        if n > max_tokens and step > 1:
            out.extend(_split_long(text, piece, n, max_tokens, count))
        else:
            out.append((piece, n))
    return out


def chunk(article: Article, settings: ChunkSettings, count: TokenCounter) -> list[Passage]:
    passages: list[Passage] = []
    for block in article.blocks:
        sentences = [s for a, b in block for s in split_sentences(article.text, a, b)]
        counts = count([article.text[a:b] for a, b in sentences])
        units: list[tuple[Span, int]] = []
        for span, n in zip(sentences, counts):
            if n > settings.max_tokens:
                units.extend(_split_long(article.text, span, n, settings.max_tokens, count))
            else:
                units.append((span, n))
        for first, last in windows([n for _, n in units], settings):
            a, b = units[first][0][0], units[last][0][1]
            passages.append(Passage(article.id, len(passages), a, b, article.text[a:b]))
    return passages


def windows(counts: list[int], settings: ChunkSettings) -> list[tuple[int, int]]:
    """(first, last) unit indices of each window, inclusive, overlapping by whole sentences."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(counts):
        j, total = i, 0
        while j < len(counts) and (j == i or (total < settings.target_tokens and total + counts[j] <= settings.max_tokens)):
            total += counts[j]
            j += 1
        out.append((i, j - 1))
        if j >= len(counts):
            break
        i = max(j - settings.overlap_sentences, i + 1)
    return out


def index_text(title: str | None, passage_text: str, settings: ChunkSettings) -> str:
    """What is embedded and BM25-indexed for a passage (the stored text stays verbatim)."""
    if settings.title_prefix and title:
        return f"{title}\n{passage_text}"
    return passage_text
