"""Pseudo-relevance feedback for the BM25 list (RM3's idea): the question's words, plus the words its
best hits share, searched again.

A 60-word snippet says a story in words the question rarely uses: "the Fed" for "the central bank",
the name of a player the question only calls "the quarterback". The first fused hits are likely on the
story, so the words that carry them (weighed by how much of each hit they are, how well the hit
ranked and how rare they are) go back into a second BM25 search, beside the question's own terms. The
passages that say the story in those words then meet the vector list again in the fusion.

Weights travel as repetitions of a term (each question term `STEPS` times, an added term about its
weight x `STEPS` times): both backends sum a repeated query term's scores (bm25s's get_scores;
Milvus's BM25 search reads a query's term frequencies), so the same weighted search needs no new call
in the backend protocol and gives the same list on either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

STEPS = 10  # a question term's copies in the weighted query: an added term's weight is kept to a tenth of that


def expansion(feedback: Sequence[tuple[Sequence[str], float]], asked: set[str],
              idf: Callable[[str], float], n_terms: int) -> list[tuple[str, float]]:
    """The `n_terms` words the feedback passages share, best first, with weights summing to 1.

    feedback: each passage's terms (its indexed text's, in order) and its fused score. A term scores
    the sum over passages of (its share of the passage's terms) x (the passage's share of the scores),
    times its idf; the question's own terms (`asked`) are left out, as are terms with no idf."""
    total = sum(max(s, 0.0) for _, s in feedback)
    if total <= 0 or n_terms <= 0:
        return []
    weight: dict[str, float] = {}
    for terms, score in feedback:
        if not terms or score <= 0:
            continue
        each = (score / total) / len(terms)
        for t in terms:
            if t not in asked:
                weight[t] = weight.get(t, 0.0) + each
    scored = {t: w * idf(t) for t, w in weight.items()}
    best = sorted((t for t in scored if scored[t] > 0), key=lambda t: (-scored[t], t))[:n_terms]
    norm = sum(scored[t] for t in best)
    return [(t, scored[t] / norm) for t in best] if norm > 0 else []


def weighted_query(terms: Sequence[str], added: Sequence[tuple[str, float]], weight: float) -> list[str]:
    """The question's terms (each `STEPS` times) and the added ones, together worth `weight` x as much as
    the question's: term t with share w appears round(STEPS x weight x len(terms) x w) times (none when
    that rounds to 0)."""
    out = [t for t in terms for _ in range(STEPS)]
    scale = STEPS * weight * len(terms)
    for t, w in added:
        out.extend([t] * int(round(scale * w)))
    return out
