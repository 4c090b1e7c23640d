"""Copies: one sentence said by several reports is quoted once, with the outlets that carry it.

A wire story runs in several outlets, and a story's own updates and galleries repeat its sentences. Word for
word, one candidate per sentence text was already kept (candidates._distinct). Nearly word for word — another
dateline or photo credit in front ("CBS/Getty Images Actress and singer …"), a word changed, a copy whose
passage was cut elsewhere ("and rapid snowmelt prompted …" against "Extreme rainfall rates and rapid
snowmelt prompted …") — the answer quoted the same sentence twice as two sources (the syndicated shape: 30 of
256 answers; docs/asking.md "One sentence, several outlets"). Retrieval folds passages only when their vectors
are near-identical (cosine >= 0.97, retrieval/hybrid.fold_twins); such copies sit at 0.88 at the median.

Sentences whose runs of three words lie at least `share` within one another's (of the shorter's) are one
sentence here, ranked as the best read of them and quoted as that one, or as the full sentence that one was
cut from (a truncated copy lacks the words cut away, often the answer: "a historic anti-smoking bill …"
without "New Zealand passed"); the citation names the other outlets ("also in"). Pure functions over the
sentences' text.
"""

from __future__ import annotations

from collections.abc import Sequence


def words(key: str) -> list[str]:
    """A sentence's words as its candidate key has them (lower-cased, white space folded), punctuation kept:
    a copy keeps its punctuation, and splitting on spaces is twice as fast as a word pattern (~2.7 µs a sentence
    against ~5.7), on the path of every answer."""
    return key.split()


def extends(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    """Whether `longer` (words) is `shorter` with more words before or after it: the full sentence of a copy
    whose passage was cut inside it, or a sentence with a credit or dateline in front."""
    n = len(shorter)
    return 0 < n < len(longer) and (list(longer[-n:]) == list(shorter) or list(longer[:n]) == list(shorter))


def triples(words: Sequence[str]) -> frozenset[tuple[str, str, str]]:
    """The runs of three words."""
    return frozenset(zip(words, words[1:], words[2:]))


def repeats(a: frozenset[tuple[str, str, str]], b: frozenset[tuple[str, str, str]], share: float,
            least: int = 6) -> bool:
    """Whether the shorter of two texts (as `triples`) lies at least `share` within the other; a text of
    fewer than `least` triples (a fragment, a heading) repeats nothing."""
    shorter = min(len(a), len(b))
    return shorter >= least and len(a & b) >= share * shorter


def groups(keys: Sequence[str], share: float, least: int = 6, edge: int = 24) -> list[list[int]]:
    """The sentences' positions (`keys`: lower-cased, white space folded) gathered into groups of sentences that
    repeat one another (`repeats`), each group in order of position, groups in order of their first. A sentence
    is compared only with the first sentence of a group that begins or ends as it does (the first or last `edge`
    characters): a copy cut, credited or edited at one end keeps the other, and runs of words are then made for a
    few sentences instead of all of them (they cost ~8 µs a dev sentence: 0.2 ms an answer if made for all)."""
    out: list[list[int]] = []
    at: dict[str, int] = {}  # a group's first sentence's beginning and end -> the group
    grams: dict[int, frozenset[tuple[str, str, str]]] = {}

    def runs(i: int) -> frozenset[tuple[str, str, str]]:
        if i not in grams:
            grams[i] = triples(words(keys[i]))
        return grams[i]

    for j, key in enumerate(keys):
        if len(key) <= 2 * edge:  # (under ~8 words: fewer runs than `least`)
            out.append([j])
            continue
        head, tail = key[:edge], key[-edge:]
        g = at.get(head)
        if g is None or not repeats(runs(out[g][0]), runs(j), share, least):
            g = at.get(tail)
            if g is not None and not repeats(runs(out[g][0]), runs(j), share, least):
                g = None
        if g is not None:
            out[g].append(j)
            continue
        at.setdefault(head, len(out))
        at.setdefault(tail, len(out))
        out.append([j])
    return out
