"""Two questions in one message: "What did China propose and how did India respond?"

Asked whole, the reader quotes what answers the question's words best, and that is one half: the proposal, never
India's response. A message that is two questions — a question, then "and" (or "?" or ";") and a second that
starts with a question word — is asked as two turns of a conversation, the second as a follow-up of the first
(so "What is BECA and when will it be signed?" reads "it" as BECA, as a follow-up would), and the two answers
are given as one: the first's sentences, then the second's that it did not quote, their sources numbered in one
list. A second half that the corpus does not answer alone or as a follow-up ("How did India respond?": to
what?) is asked with the first before it, as the message gave them. One half the corpus does not answer is said
in a note; both unanswered, the message is asked whole, as before. Only a second part that starts with a
question word, and says more than "… and why?", splits ("Which band announced a single and will reunite for a
tour?" is one question about one band).
"""

from __future__ import annotations

import re
from dataclasses import replace

from sitrep.retrieval.types import Answer, AskedAs

_ASKS = r"(?:how|what|when|where|why|who|whom|whose|which|did|does|do|is|are|was|were|will|would|has|have|had|can|could)"
_WH = r"(?:how|what|when|where|why|who|whom|whose|which)"
_TWO = re.compile(rf"^(?P<a>{_ASKS}\b.*?\w)\s*(?:,?\s+and\s+(?:also\s+)?|\?\s+(?:and\s+)?|;\s*)(?P<b>{_WH}\b.*)$", re.I | re.S)


def parts(question: str) -> tuple[str, str] | None:
    """The two questions a message asks, each ending in "?", or None when it asks one."""
    text = question.strip()
    if len(text) > 500:  # a long message is read whole (and the lazy match stays cheap)
        return None
    if ";" not in text and "?" not in text[:-1] and " and " not in text.lower():  # most questions: 0.3 µs, not 9
        return None
    m = _TWO.match(text)
    if m is None:
        return None
    a, b = m.group("a").rstrip(" ?,;"), m.group("b").strip().rstrip(" ?")
    if len(a.split()) < 2 or len(b.split()) < 3 or _TWO.match(b):  # "… and why?" is one question; three are read whole
        return None
    return f"{a[:1].upper()}{a[1:]}?", f"{b[:1].upper()}{b[1:]}?"


def merged(question: str, halves: tuple[str, str], first: Answer, second: Answer) -> Answer | None:
    """The two answers as one (None when both refused: the message is then asked whole)."""
    if first.abstained and second.abstained:
        return None
    said = f'asked as two questions: "{halves[0]}" and "{halves[1]}"'
    quoted = {s for s, _ in first.sentences}
    if first.abstained or second.abstained:
        kept, lost = (second, halves[0]) if first.abstained else (first, halves[1])
        return replace(kept, question=question, notes=(*kept.notes, said, f'nothing in the corpus answers "{lost}"'),
                       asked_as=_asked(question, first, second))
    if all(s in quoted for s, _ in second.sentences):  # the first answer's quotes answer the second half too
        return replace(first, question=question, notes=(*first.notes, said), asked_as=_asked(question, first, second))
    citations = list(first.citations)
    number = {c.article_id: c.n for c in citations}  # one number an article, across both halves
    have = {(c.passage_id, c.quote) for c in citations}
    renumbered: dict[int, int] = {}
    for c in second.citations:
        n = number.setdefault(c.article_id, max(number.values(), default=0) + 1)
        if (c.passage_id, c.quote) not in have:
            citations.append(replace(c, n=n))
            have.add((c.passage_id, c.quote))
        renumbered[c.n] = n
    sentences = first.sentences + tuple((s, renumbered[n]) for s, n in second.sentences if s not in quoted)
    shown = {h.passage_id for h in first.hits}
    hits = first.hits + tuple(h for h in second.hits if h.passage_id not in shown)
    notes = tuple(dict.fromkeys((*first.notes, *second.notes, said)))
    return Answer(question, sentences, tuple(citations), hits, False, min(first.confidence, second.confidence), notes,
                  _asked(question, first, second))


def _asked(question: str, first: Answer, second: Answer) -> AskedAs:
    """What was searched, as one question: the message and both halves' terms (a follow-up carries them on)."""
    terms = tuple(dict.fromkeys(t for a in (first, second) if a.asked_as is not None for t in a.asked_as.terms))
    return AskedAs(question, terms)
