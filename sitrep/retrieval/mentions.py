"""Whom a question mentions: its capitalised names ("India", "Rajnath Singh", "Bank of England"), and a follow-up's
"he" or "she" read as the person the last answer named (answer/referent.py finds them): "What did he say?" after
"Who is India's defence minister?" is asked as "What did Rajnath Singh say?"."""

from __future__ import annotations

import re

from sitrep.index import lexicon

_WORD = re.compile(r"[\w’'-]+")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:of|de|the|[A-Z][\w’'-]*))*")

_NOT_NAMES = frozenset(lexicon.QUESTION_WORDS) | {"and", "but", "or", "so", "the", "a", "an", "of", "de", "in", "on",
                                                  "at", "to", "for", "if", "as", "please", "tell", "show", "give"}


def names(text: str) -> list[str]:
    """Capitalised names in a question ("India", "Rajnath Singh", "Bank of England"). A question's
    first word counts only when the question is short ("Pakistan?"), else it is capitalised anyway."""
    out: list[str] = []
    short = len(_WORD.findall(text)) <= 3
    for m in _CAPITALISED.finditer(text):
        words = m.group(0).split()
        if m.start() == len(text) - len(text.lstrip()) and not short:
            words = words[1:]
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        while words and words[-1].lower() in {"of", "de", "the"}:
            words = words[:-1]
        if words:
            out.append(" ".join(words))
    return out


_SINGULAR = {"he": "", "him": "", "she": "", "his": "'s", "hers": "'s"}
_NOT_POSSESSED = r"(?:to|in|on|at|for|with|about|from|after|before|and|or|as|by|over|if|when|that|this|now|then|again)\b"


def named_in(question: str, word: str, named: str) -> str:
    """The question with its first personal pronoun read as `named` (the person the last answer named): "What did
    he say?" -> "What did Rajnath Singh say?", "Which of her songs …" -> "Which of Loretta Lynn's songs …"; "" when
    the pronoun is not "he"/"she" and their forms, or nobody was named."""
    if not named or (word not in _SINGULAR and word != "her") or named.lower() in question.lower():
        return ""
    m = re.search(rf"\b{word}\b", question, re.I)
    if m is None:
        return ""
    possessive = _SINGULAR.get(word, "")
    if word == "her" and re.match(rf"\s+(?!{_NOT_POSSESSED})[a-z]", question[m.end():], re.I):
        possessive = "'s"  # "her songs", not "beat her in"
    return question[: m.start()] + named + possessive + question[m.end():]


READ_AS = "'{word}' read as {name}, whom the last answer named"  # a rewrite's reason, as "understood as" shows it
_READ_AS = re.compile(r"'\w+' read as (?P<name>.+?), whom the last answer named")


def read_as(reason: str | None) -> str:
    """The person a follow-up's pronoun was read as, from its reason (or a footer that shows it), else "": the
    conversation goes on about them ("Whose record did he pass?" after "How much will he have earned?" read as
    LeBron James), not about someone else its answer names."""
    m = _READ_AS.search(reason or "")
    return m.group("name") if m else ""
