"""The sentences an answer may quote: each passage cut into sentences, each sentence read (its share of
the question, the reader's features and phrases, the neighbour that may carry the answer) and scored.
Pure functions and the records they pass along; answerer.py chooses among them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sitrep.answer import copies, reader
from sitrep.index import lexicon
from sitrep.records import quick_init
from sitrep.retrieval import readings
from sitrep.retrieval.conversation import names
from sitrep.retrieval.hybrid import SearchResult
from sitrep.retrieval.keys import quote_key
from sitrep.retrieval.lexical import TermWeights
from sitrep.retrieval.types import Hit


@quick_init
@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    hit: Hit
    start: int  # span within the passage text
    end: int
    score: float  # the reader's
    coverage: float  # share of the question's term weight in this sentence
    phrases: tuple[reader.Phrase, ...] = ()  # what the sentence says that the question does not
    usable: bool = True  # False: a question or a dateline, never quoted (still context for its neighbours)
    key: str = ""  # the sentence, lower-cased, white space folded: duplicates across articles share it
    counts: dict[str, int] = field(default_factory=dict)  # candidate sentences saying each of its phrases
    features: tuple[float, ...] = ()  # the reader's inputs, in reader.Weights' order (for tune_reader)
    join_end: int | None = None  # the next sentence carries the answer this one lacks: quote through here
    join_phrases: tuple[reader.Phrase, ...] = ()  # ... and what that sentence says
    copies: tuple[str, ...] = ()  # other articles that carry this sentence, word for word or nearly (copies.py)


@quick_init
@dataclass(frozen=True)
class _Read:
    """One sentence as the reader first reads it, before what other sentences repeat is known."""
    rank: int  # its passage's rank among the hits
    hit: Hit
    start: int  # span within the passage text
    end: int
    coverage: float  # share of the question's term weight in it
    features: list[float]  # reader.features, without repetition
    phrases: tuple[reader.Phrase, ...]
    join_end: int | None  # the next sentence carries the answer this one lacks: its end


def sentence_spans(ranked: Sequence[Hit], texts: dict[int, str]) -> dict[int, list[tuple[int, int]]]:
    """Each passage's sentences as (start, end) spans of its text, line by line (a line break ends a sentence)."""
    return {h.passage: list(readings.sentence_spans(texts[h.passage])) for h in ranked}


def subject_shares(weights: dict[str, float], words: dict[str, set[str]]) -> dict[str, float]:
    """An article's subject: the share of the question's weight among the words of its title and
    retrieved passages."""
    total = sum(weights.values()) or 1.0
    return {aid: sum([w for t, w in weights.items() if t in ws]) / total for aid, ws in words.items()}


def scored(reads: list[_Read], texts: dict[int, str], question: reader.QuestionKind) -> list[_Candidate]:
    """The read sentences scored by the reader, now that what the others repeat is known (a phrase
    many candidate sentences say is likelier the answer)."""
    counts = reader.repetition([r.phrases for r in reads])
    out: list[_Candidate] = []
    for r in reads:
        text = texts[r.hit.passage]
        sentence = text[r.start : r.end]
        repeated = max((counts[p.key] for p in r.phrases if p.kind != "date"), default=0)
        joined = reader.phrases(text[r.end : r.join_end], r.end, question) if r.join_end else ()
        out.append(_Candidate(r.rank, r.hit, r.start, r.end, reader.score(r.features, repeated), r.coverage, r.phrases,
                              reader.quotable(sentence), " ".join(sentence.lower().split()),
                              {p.key: counts.get(p.key, 1) for p in (*r.phrases, *joined)},
                              (*r.features, min(repeated, 6) / 6), r.join_end, joined))
    return out


def _overlap(a: _Candidate, b: _Candidate) -> bool:
    """Two candidates quote some of the same text (one is joined to the other, say)."""
    return a.hit.passage == b.hit.passage and a.start < (b.join_end or b.end) and b.start < (a.join_end or a.end)


_ROLES = (reader.FEATURES.index("speaker"), reader.FEATURES.index("holder"))


def fills_role(c: _Candidate) -> bool:
    """The sentence gives the asked speaker's words or names a holder of the asked post that fits."""
    return any(c.features[i] > 0 for i in _ROLES if i < len(c.features))


def holds(c: _Candidate) -> bool:
    """The sentence names a holder of the asked post that fits (the reader's `holder` feature is +1)."""
    return len(c.features) > _ROLES[1] and c.features[_ROLES[1]] > 0


def speaks(c: _Candidate) -> bool:
    """The sentence gives the words of the speaker the question asks after (the reader's `speaker` feature is +1)."""
    return len(c.features) > _ROLES[0] and c.features[_ROLES[0]] > 0


def short_of(best: _Candidate, c: _Candidate) -> bool:
    """The best sentence gives the words of the speaker the question asks after, or names a holder of the post
    it asks after (the reader's `speaker` or `holder` feature is +1), and c does not: the answer's further
    sentences must too ("What did he say?" is not padded with what others said, "Who is India's defence
    minister?" not with a general)."""
    return any(best.features[i] > 0 >= c.features[i] for i in _ROLES if i < min(len(best.features), len(c.features)))


def _carrier(text: str, spans: list[tuple[int, int]], a: int, b: int, q: reader.QuestionKind) -> int | None:
    """The end of the sentence after text[a:b] when that one carries the answer this one lacks: in the
    same paragraph (nothing but spaces between), of the asked type, and tied to it (reader.tied)."""
    sentence = text[a:b]
    if reader.answers_type(sentence, q) is not False:
        return None  # it has the answer's kind (or the question has no kind to look for)
    after = next(((x, y) for x, y in spans if x >= b), None)
    if after is None or text[b : after[0]].strip() or "\n" in text[b : after[0]]:
        return None
    following = text[after[0] : after[1]]
    if reader.answers_type(following, q) and reader.tied(following, sentence):
        return after[1]
    return None


FAMILY_PREFIX = 5


_VERB, _SPEECH, _PEOPLE = "\0verb", "\0speech", "\0people"  # (keys no prefix can be)


def _family_index(weights: dict[str, float], prefixes: bool = True, verb: Sequence[str] = (),
                  speech: Sequence[str] = (), countries: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """The question's stems of FAMILY_PREFIX letters or more, by their first FAMILY_PREFIX letters (when
    `prefixes`); for "What did India say?", the verb's terms (`verb`), which any term of reported speech
    (`speech`: speakers.SPEECH analysed) covers; and a demonym's term, which covers its country's where the
    question holds that (`countries`: demonyms.as_country, "chines" -> "china")."""
    out: dict[str, list[str]] = {}
    for t in weights if prefixes else ():
        if len(t) >= FAMILY_PREFIX:
            out.setdefault(t[:FAMILY_PREFIX], []).append(t)
    verb = [t for t in verb if t in weights]
    if verb and speech:
        out[_VERB], out[_SPEECH] = verb, list(speech)
    people = {_PEOPLE + d: [c] for d, c in (countries or {}).items() if c in weights}
    if people:
        out[_PEOPLE] = []  # (a mark: look the sentence's terms up)
        out.update(people)
    return out


def _families(present: set[str], family: dict[str, list[str]]) -> set[str]:
    """A sentence's stems plus the question stems of the same word family: the stemmer leaves
    "respond" and "response" ("respons") apart; stems that differ only in their last letter (and
    share at least FAMILY_PREFIX) are one family. A term of reported speech covers the verb of "What did
    India say?", and a demonym its country (_family_index)."""
    extra = set()
    if _VERB in family and not present.isdisjoint(family[_SPEECH]):
        extra.update(family[_VERB])
    if _PEOPLE in family:
        for u in present:
            extra.update(family.get(_PEOPLE + u, ()))
    for u in present:
        for t in family.get(u[:FAMILY_PREFIX], ()):
            if t != u and abs(len(t) - len(u)) <= 1 and t[: min(len(t), len(u)) - 1] == u[: min(len(t), len(u)) - 1]:
                extra.add(t)
    return present | extra if extra else present


def said_before(candidates: Sequence[_Candidate], texts: dict[int, str], shown: Sequence[str]) -> set[str]:
    """The keys of the candidates an earlier answer of the conversation quoted (`shown`: conversation.quote_key
    of each quote): the same sentence, a part of a quoted span, or a sentence a quote was cut from."""
    if not shown:
        return set()
    quoted = [f" {k} " for k in shown if k]
    out = set()
    for c in candidates:
        key = f" {quote_key(texts[c.hit.passage][c.start : c.join_end or c.end])} "
        if key.strip() and any(key in q or (len(q) > 40 and q in key) for q in quoted):
            out.add(c.key)
    return out


def best_untold(usable: list[_Candidate], old: set[str], more: bool, least: float, ratio: float,
                own: Callable[[_Candidate], float] | None = None) -> tuple[_Candidate | None, list[_Candidate]]:
    """The sentence to lead with, and the ones that may follow it, in a conversation (`old`: the keys of those an
    earlier answer quoted). "What else?" (`more`): only sentences not quoted yet that hold `least` of the question.
    A follow-up: not one quoted before when another is at least `ratio` as likely (reader softmax, relative) —
    unless the one quoted before holds more of the follow-up's own words (`own`, own_words): "Which university ran
    that survey?" is answered by the "Monmouth University survey" sentence the answer before quoted; or gives the
    words of the speaker asked after, or names the post's holder, and the other does not (short_of): "What did he say
    about China?" is not answered by China's claims because Esper's one quote was given already."""
    if more:
        usable = [c for c in usable if c.key not in old and c.coverage >= least]
    best = max(usable, key=lambda c: c.score, default=None)
    if best is not None and best.key in old:
        fresh = max((c for c in usable if c.key not in old and not short_of(best, c)), key=lambda c: c.score, default=None)
        if fresh is not None and math.exp(fresh.score - best.score) >= ratio and (own is None or own(fresh) >= own(best)):
            best = fresh
    return best, usable


_NAMING_TERMS = frozenset({"call", "name", "dub", "titl", "nicknam"})  # the stems of "called", "named", "dubbed" ...


def own_words(result: SearchResult, texts: dict[int, str], lexical: TermWeights) -> Callable[[_Candidate], float] | None:
    """A follow-up's share of its own words' weight (those no earlier turn searched) in a candidate sentence (with
    the sentence it is joined to); None for a question that is no follow-up or has no words of its own."""
    own = {t: lexical.term_weight(t) for t in set(result.all_terms) - context_terms(result)} if context_terms(result) else {}
    total = sum(own.values())
    if not total:
        return None

    def share(c: _Candidate) -> float:
        sentence = texts[c.hit.passage][c.start : c.join_end or c.end]
        held = set(lexicon.tokenize([sentence], lexical.settings)[0])
        if reader.names_it(sentence):  # "What is she called?": "who goes by the name Tizi" holds "called"
            held |= _NAMING_TERMS
        return sum(w for t, w in own.items() if t in held) / total
    return share


def context_terms(result: SearchResult) -> set[str]:
    """A follow-up's terms that earlier turns also searched: those carried, and its own that repeat them."""
    asked = result.asked
    if asked is None or not asked.followup or asked.swapped:
        return set()
    return set(asked.carried) | (set(asked.context) & set(asked.terms))


def carried_weights(weights: dict[str, float], result: SearchResult, settings: lexicon.BM25Settings, weight: float,
                    name_weight: float) -> None:
    """A follow-up's terms from earlier turns weigh less in the reader's coverage, the names among them (in what
    was searched) less so: the earlier turns find the story, the follow-up's own words the sentence, and the
    sentence is about the conversation's subject. "What else?" and "Any news?" are the earlier question itself:
    its words weigh as they did. In place."""
    asked = result.asked
    if asked is None or asked.more or asked.since_at is not None:
        return
    context = context_terms(result) & weights.keys()
    if not context:
        return
    named = set(lexicon.tokenize([" ".join(names(asked.text))], settings)[0])
    for t in context:
        weights[t] *= name_weight if t in named else weight


def _typed(c: _Candidate) -> set[str]:
    """What a sentence says of the kinds an answer is made of (names, numbers, dates, places): its typed phrases."""
    return {ph.key for ph in (*c.phrases, *c.join_phrases) if ph.typed}


def _distinct(candidates: list[_Candidate], share: float = 0.8) -> list[_Candidate]:
    """One candidate per sentence: near-duplicate articles repeat sentences word for word, and copies nearly so
    (another dateline or credit in front, a word changed, cut elsewhere: copies.py). Of a sentence's copies (at
    least `share` of the shorter's word triples in the other), the best read is kept, or the full sentence it
    was cut from, scored as the best read of those it stands for, with the other articles that carry it; a copy
    that names something it does not (a date, a number, a name) stays a sentence of its own. share above 1: word
    for word only."""
    best: dict[str, _Candidate] = {}
    also: dict[str, list[str]] = {}
    for c in candidates:
        also.setdefault(c.key, []).append(c.hit.article_id)
        if c.key not in best or c.score > best[c.key].score:
            best[c.key] = c
    kept = list(best.values())
    if share <= 1 and len(kept) > 1:
        merged = []
        for group in copies.groups([c.key for c in kept], share):
            if len(group) == 1:
                merged.append(kept[group[0]])
                continue
            members = [kept[i] for i in group]
            top = max(members, key=lambda c: c.score)
            cut = copies.words(top.key)  # the best read, or the full sentence it was cut from
            full = max((c for c in members if copies.extends(copies.words(c.key), cut)), key=lambda c: len(c.key), default=top)
            says = _typed(full)  # a near-copy that says more ("died Saturday, July 30, at …") is a sentence of its own
            same = [c for c in members if c is full or _typed(c) <= says]
            merged.extend(c for c in members if c is not full and not _typed(c) <= says)
            articles = dict.fromkeys(a for c in same for a in also[c.key])
            articles.pop(full.hit.article_id, None)
            merged.append(replace(full, score=max(c.score for c in same), copies=tuple(articles)))
        kept = merged
    return [replace(c, copies=tuple(dict.fromkeys(a for a in also[c.key] if a != c.hit.article_id)))
            if len(also[c.key]) > 1 and not c.copies else c for c in kept]
