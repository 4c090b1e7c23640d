"""The sentence reader's parts: what a question asks for, what a sentence says that the question
does not, and the linear score over those features.

The weights are a softmax model over each dev question's candidate sentences (label: the
sentence holds the quiz's answer text), fitted with benchmarks/tune_reader.py. Five-fold
cross-validated on the dev set (272 answered questions; the answer text is in some candidate
sentence for 82.4% of them), the best sentence held the answer for 52.6% and one of the best
three for 67.7%, against 44.1% / 63.2% for question-word coverage alone. Sentence vectors (the
same model, one per sentence, cosine to the question) were measured as a feature too: alone
40.1% / 59.2%, added to the rest 54.1% / 67.7%, so not worth a second vector per sentence in the
index (docs/evaluation.md "Answer quality").

Over 300 lines on purpose: the question kinds, the phrase finders and the fitted weights must change
together (a feature added here is a weight refitted here).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import mul

from sitrep.answer.holders import Post, asked_post, holder
from sitrep.answer.present import caption as is_caption
from sitrep.answer.speakers import asked_speaker, role
from sitrep.records import quick_init

_NUMBER_Q = re.compile(r"\b(how (many|much|old|long|far|big|tall)|what (number|percent|percentage|age|amount|share|"
                       r"proportion|price|rate|year)|what\b[^?,]{0,40}?\b(?:price|cost|percentage|percent|"
                       r"amount|rate|temperature|salary|fine|score|toll|sum|speed|height|weight|population))\b", re.I)
_WHEN_Q = re.compile(r"\b(when|what (year|day|month|date))\b", re.I)
_WHO_Q = re.compile(r"\b(who|whom|whose)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                     r"hundred|thousand|million|billion|half|dozen)\b", re.I)
_NUMBER_PHRASE = re.compile(r"\$?\d+(?:[.,]\d+)*%?(?:\s+(?:million|billion|trillion|thousand|hundred))?")
_YEAR = re.compile(r"(?:19|20)\d\d")
# "How old is he?" asks for an age, not any number (a year, a sum): "Sunak, 42, …", "the 42-year-old", "aged 42",
# "at the age of 90", "turned 42".
# "What is it called?" is answered where a sentence names it: a naming verb, then a name or a title.
_NAMING = re.compile(r"\b(?:named|called|dubbed|titled|nicknamed|christened|known as|goes by(?: the name(?: of)?)?|go by"
                     r"(?: the name(?: of)?)?|under the name(?: of)?)\s+[“\"‘']?(?:the\s+)?[A-Z]")
_AGE_Q = re.compile(r"\bhow old\b|\b(?:what|which) age\b", re.I)
_AGE = re.compile(r"\b\d{1,3}-year-old\b|\b(?:aged?|at age|at the age of|turn(?:ed|s|ing)|(?:die[sd]?|dying) at|"
                  r"(?:he|she|they) (?:was|is|were|are))\s+\d{1,3}\b(?![.,:]\d|%| ?(?:years? (?:ago|later|earlier)|percent|"
                  r"million|billion|minutes?|hours?|days?|weeks?|months?|points?|feet|foot|miles?|pounds?|degrees?|"
                  r"meters?|metres?|kilometers?|km|kg|mph))|, \d{1,3},", re.I)  # "She was 90." and "dies at 90" count too
_DATE = re.compile(r"\b(?:(?:19|20)\d\d|(?:January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)(?:\s+\d{1,2})?(?:,?\s+(?:19|20)\d\d)?|Monday|Tuesday|Wednesday|Thursday|Friday|"
                   r"Saturday|Sunday)\b")
# A capitalised word, not the sentence's first: the capital is matched first and what stands before it checked
# after (a word boundary, not a sentence's start, not just after ". "), which lets the engine skip to capitals.
_CAPITALISED = re.compile(r"[A-Z](?<!\w[A-Z])(?<![.!?]\s[A-Z])(?<!^[A-Z])[\w’'-]+")
_NAME = re.compile(r"[A-Z][\w’'-]+(?:\s+(?:of|de|the|[A-Z][\w’'-]+))*")


_WHERE_Q = re.compile(r"\bwhere\b", re.I)
_CALLED_Q = re.compile(r"\b(?:called|named|dubbed|titled|nicknamed|the name of|what (?:is|was) the name|what name)\b", re.I)
_WHY_Q = re.compile(r"\b(?:why|what (?:caused|causes|prompted|led to|is behind|was behind)|for what reason)\b", re.I)
# An answer to "why": a causal clause.
_REASON = re.compile(r"\b(?:because|due to|owing to|as a result of|in response to|after|amid|following|since|"
                     r"so that|in order to|aimed at|over concerns?|to (?:protect|prevent|avoid|stop|help|reduce|"
                     r"boost|save|curb|fight|address|counter|ensure))\b", re.I)
# A place-shaped phrase: a capitalised name after a preposition of place.
_PLACE_PHRASE = re.compile(r"\b(?:at|in|near|outside|inside|across|off|around)\s+(?:the\s+)?"
                           r"([A-Z][\w’'-]+(?:\s+(?:of|de|the)\s+[A-Z][\w’'-]+|\s+[A-Z][\w’'-]+)*)")
_TITLE = re.compile(r"[“\"‘]([^”\"’]{2,80})[”\"’]")
# "which country", "what company", "which two countries": the noun the answer is (not a verb: "what did")
_WHICH_NOUN_Q = re.compile(r"\b(?:which|what)\s+(?:(?:one|two|three|four|five|major|new|popular|other|former|"
                           r"famous|US|American|British|European|\w+-\w+)\s+)*([a-z]{3,})\b", re.I)
_NOT_NOUNS = frozenset({"is", "was", "are", "were", "did", "does", "do", "has", "have", "had", "will", "would", "can",
                        "could", "should", "may", "might", "must", "about", "happened", "happens", "makes", "made",
                        "caused", "causes", "kind", "type", "sort", "percentage", "percent", "number", "amount", "age",
                        "share", "price", "rate", "year", "day", "month", "date"})


@dataclass(frozen=True)
class QuestionKind:
    text: str  # lower-cased question
    number: bool  # how many / how much / what percentage ...
    when: bool
    who: bool
    where: bool = False
    noun: str = ""  # "which country" -> "country" (the answer is one of those), "" if the question names none
    called: bool = False  # what ... called / named: a title or a name
    why: bool = False
    speaker: tuple[str, ...] = ()  # "What did India say?": who is asked about as a speaker (answer/speakers.py)
    post: Post | None = None  # "Who is India's defence minister?": the post whose holder is asked for (answer/holders.py)

    @classmethod
    def of(cls, question: str, context: str = "") -> QuestionKind:
        """`context`: what a follow-up was searched with, for whom "What did he say?" asks about."""
        m = _WHICH_NOUN_Q.search(question)
        noun = m.group(1).lower() if m and m.group(1).lower() not in _NOT_NOUNS else ""
        return cls(question.lower(), bool(_NUMBER_Q.search(question)), bool(_WHEN_Q.search(question)),
                   bool(_WHO_Q.search(question)), bool(_WHERE_Q.search(question)), noun,
                   bool(_CALLED_Q.search(question)) and not _WHO_Q.search(question), bool(_WHY_Q.search(question)),
                   asked_speaker(question, context), asked_post(question))

    @cached_property
    def age(self) -> bool:
        """The question asks how old someone is: its number is an age."""
        return bool(_AGE_Q.search(self.text))

    @cached_property  # asked for every sentence of every candidate passage
    def place(self) -> str:
        """The kind of place the answer is ("country", "state", "city", "continent", "place"), or ""."""
        from sitrep.answer.places import PLACE_NOUNS

        if self.where and not (self.number or self.when):
            return "place"
        return PLACE_NOUNS.get(self.noun, "") if not (self.number or self.when or self.who) else ""

    @cached_property
    def typed(self) -> bool:
        """The question asks for an answer whose shape a sentence shows (typed_answer can tell)."""
        return bool(self.when or self.place or self.called or self.why)

    @property
    def type(self) -> str:
        """The question's type, for reporting: how many, when, who, where, which+noun, what, other."""
        if self.number:
            return "how many"
        if self.when:
            return "when"
        if self.who:
            return "who"
        if self.where:
            return "where"
        if self.noun:
            return "which+noun"
        if re.search(r"\bwhat\b", self.text):
            return "what"
        return "other"


@quick_init
@dataclass(frozen=True)
class Phrase:
    start: int  # in the passage
    end: int
    key: str  # lower-cased text: the same phrase in two sentences
    kind: str  # "name", "number", "date", "place" or "title"
    typed: bool  # the kind the question asks for (a number for "how many", a date for "when", else a name)


def phrases(sentence: str, offset: int, q: QuestionKind) -> tuple[Phrase, ...]:
    """Names (and, for number/date questions, numbers/dates) in the sentence that the question does
    not contain: what the sentence adds."""
    out: list[Phrase] = []
    for m in _NAME.finditer(sentence):
        text = m.group(0)
        if (m.start() == 0 and " " not in text) or text.lower() in q.text:
            continue  # a lone first word is capitalised anyway; a name from the question adds nothing
        out.append(Phrase(offset + m.start(), offset + m.end(), text.lower(), "name",
                          not (q.number or q.when or q.called)))  # a title is what "... called?" asks for
    if q.number:
        years = "year" in q.text
        for m in _NUMBER_PHRASE.finditer(sentence):
            if not years and _YEAR.fullmatch(m.group(0)):
                continue  # a year is no answer to "how many" / "how much"
            out.append(Phrase(offset + m.start(), offset + m.end(), m.group(0).lower(), "number", True))
    if q.when:
        for m in _DATE.finditer(sentence):
            if m.group(0).lower() not in q.text:
                out.append(Phrase(offset + m.start(), offset + m.end(), m.group(0).lower(), "date", True))
    if q.place:
        for a, b, name in _places(sentence, q):
            out.append(Phrase(offset + a, offset + b, name.lower(), "place", True))
    if q.called:
        for m in _TITLE.finditer(sentence):
            if m.group(1).lower() not in q.text:
                out.append(Phrase(offset + m.start(1), offset + m.end(1), m.group(1).lower(), "title", True))
    return tuple(out)


_TIE = re.compile(r"^\W*(?:It|Its|He|His|She|Her|They|Their|Them|This|That|These|Those|There|Such|The|Both|Its)\b")


def names_it(sentence: str) -> bool:
    """A naming verb, then a name or a title: "has been named Tachymenoides harrisonfordi", "goes by the name Tizi"."""
    return bool(_NAMING.search(sentence))


def holds_age(sentence: str) -> bool:
    """An age as news gives one ("Sunak, 42,", "the 42-year-old", "aged 42"), not any number."""
    return bool(_AGE.search(sentence))


def answers_type(sentence: str, q: QuestionKind) -> bool | None:
    """Whether the sentence holds an answer of the kind the question asks for; None when the question
    asks for no kind a sentence shows (what ..., other)."""
    if q.number:
        if q.age:
            return holds_age(sentence)  # "seven decades" is no age
        return any(m.group(0).lower() not in q.text for m in _NUMBER_PHRASE.finditer(sentence)) or bool(
            _NUMBER.search(sentence.lower().replace(q.text, "")) and not _NUMBER.search(q.text))
    if q.typed:
        return typed_answer(sentence, q)
    if q.who or q.noun:
        return any(w.lower() not in q.text for w in _CAPITALISED.findall(sentence))
    return None


def tied(following: str, sentence: str) -> bool:
    """The next sentence continues this one: it opens with a pronoun or a definite noun phrase ("It",
    "He", "The show", "The deal") or repeats one of its names."""
    if _TIE.search(following):
        return True
    names = _names_anywhere(sentence)
    return any(n in names for n in _names_anywhere(following))


_FUNCTION = frozenset({"the", "a", "an", "in", "on", "at", "but", "and", "as", "after", "when", "while", "for", "if",
                       "it", "he", "she", "they", "we", "this", "that", "there", "its", "his", "her", "their"})


def _names_anywhere(sentence: str) -> set[str]:
    """Capitalised words, a sentence's first included ("Shoigu arrived ..."), function words left out."""
    return {w.lower() for w in re.findall(r"\b[A-Z][\w’'-]+", sentence) if w.lower() not in _FUNCTION}


_MONTHS_DAYS = frozenset(["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])


def _asked(text: str, q: QuestionKind) -> bool:
    """Every word of `text` is in the question ("Aero India-2021" for "Aero India 2021")."""
    return set(re.findall(r"\w+", text.lower())) <= set(re.findall(r"\w+", q.text))


@lru_cache(maxsize=256)  # a sentence's places are asked for by its features and by its phrases
def _places(sentence: str, q: QuestionKind) -> tuple[tuple[int, int, str], ...]:
    """The places a sentence offers as an answer, none the question names. "where": a capitalised name
    after at / in / near / outside / from ... ("at the Yelahanka air base", not "Russia's commitment");
    "which country / state / city": a gazetteer name of that kind anywhere in the sentence."""
    if q.where:
        out = []
        for m in _PLACE_PHRASE.finditer(sentence):
            name = m.group(1).rstrip(".,;:’'")
            if name.split()[0].lower() not in _MONTHS_DAYS and not _asked(name, q):
                out.append((m.start(1), m.start(1) + len(name), name))
        return tuple(out)
    from sitrep.answer.places import places

    return tuple((a, b, name) for a, b, name in places(sentence, q.place) if not _asked(name, q))


def typed_answer(sentence: str, q: QuestionKind) -> bool:
    """The sentence holds an answer of the kind asked, beyond the question's own words: a date for
    "when", a place for "where" / "which country|state|city" (the gazetteer, or a capitalised name
    after at/in/near/outside ... for "where"), a quoted or capitalised title for "what ... called",
    a causal clause for "why"."""
    if q.when and any(m.group(0).lower() not in q.text for m in _DATE.finditer(sentence)):
        return True
    if q.place and _places(sentence, q):
        return True
    if q.called:
        if any(m.group(1).lower() not in q.text for m in _TITLE.finditer(sentence)):
            return True
        if any(w.lower() not in q.text for w in _CAPITALISED.findall(sentence)):
            return True
    return bool(q.why and _REASON.search(sentence))


def repetition(per_sentence: Sequence[tuple[Phrase, ...]]) -> Counter[str]:
    """How many candidate sentences say each phrase. An answer tends to be repeated: by other
    passages of its article and by other articles on the story."""
    return Counter(k for phs in per_sentence for k in {p.key for p in phs})


@dataclass(frozen=True)
class Weights:
    """Fitted by the model in benchmarks/tune_reader.py (softmax over each dev question's sentences,
    L2 0.5) on the sentences of the 8 best passages, before the default became 6; tune_reader prints
    a refit on the current candidates beside these (not swapped in: docs/evaluation.md's numbers are these)."""

    coverage: float = 2.19  # share of the question's idf weight in the sentence
    rank_prior: float = 1.53  # 1 / (1 + 0.35 * passage rank): 0.35 is the old reader's prior, kept
    novel_names: float = 0.19  # capitalised words the question does not use, up to 4
    number_for_number_question: float = 2.08
    names_for_who_question: float = 0.66
    lede: float = 1.51  # the article's first sentence
    neighbour_coverage: float = 0.72  # the better of the sentences before and after
    coverage_x_prior: float = 2.6
    repetition: float = 1.17  # the sentence's most repeated phrase, in up to 6 candidate sentences
    typed_answer: float = 1.63  # the sentence holds an answer of the asked type (typed_answer())
    names_for_which_question: float = 0.48  # novel names, for "which company / team / show ..." questions
    speaker: float = 2.0  # "What did India say?": the sentence gives India's words (+1: "Singh said India wanted
    # ...") or names India only as whom something was said to (-1: "In the note verbale to India, China says");
    # speakers.role. Set by hand, not fitted: one dev question asks so (docs/asking.md "Who is speaking")
    holder: float = 2.0  # "Who is India's defence minister?": the sentence names a holder of the post that fits (+1:
    # "Defence Minister Rajnath Singh") or only ones that do not (-1: "China's Defence Minister Wei Fenghe", "former
    # ..."); holders.holder. Set by hand like `speaker`: one dev question asks so (docs/asking.md "Who holds a post")
    caption: float = -2.0  # a photo's caption, its credit first ("John Raoux/AP The rocket sits on the pad") or told as
    # agencies caption a scene ("… on October 2, 2022 in Fort Myers Beach, Florida", present.caption): it
    # shows a scene, it rarely tells the news; quoted only where no sentence of the story is nearly as good. Set by
    # hand (docs/evaluation.md "A photo's caption")
    naming: float = 1.0  # "What is it called?": the sentence names it ("has been named Tachymenoides harrisonfordi",
    # "who goes by the name Tizi", "a robot called Optimus"). Set by hand (docs/asking.md "What is it called?")


WEIGHTS = Weights()


def features(sentence: str, q: QuestionKind, coverage: float, rank: int, neighbour: float, lede: bool,
             dense_gap: float) -> list[float]:
    """The features in Weights' order, less repetition (it needs every candidate; see score)."""
    del dense_gap  # measured (weight +0.5) but left out: no cross-validated gain
    prior = 1.0 / (1.0 + 0.35 * rank)
    # The caps (4 names, 6 repeats; score()) were set before fitting, to keep one long sentence of
    # names from dominating; they were not swept.
    names = len([w for w in _CAPITALISED.findall(sentence) if w.lower() not in q.text])
    return [
        coverage,
        prior,
        min(names, 4) / 4,
        float(q.number and bool((_AGE if q.age else _NUMBER).search(sentence))),
        (min(names, 4) / 4) * q.who,
        float(lede),
        neighbour,
        coverage * prior,
        float(q.typed and typed_answer(sentence, q)),
        (min(names, 4) / 4) * bool(q.noun and not (q.place or q.number or q.when or q.who)),
        role(sentence, q.speaker),
        holder(sentence, q.post),
        float(is_caption(sentence)),
        float(q.called and names_it(sentence)),
    ]


FEATURES = ("coverage", "rank_prior", "novel_names", "number_for_number_question", "names_for_who_question", "lede",
            "neighbour_coverage", "coverage_x_prior", "typed_answer", "names_for_which_question",
            "speaker", "holder", "caption", "naming")


def score(feats: list[float], repeated: int, w: Weights = WEIGHTS) -> float:
    weights = _feature_weights(w)
    if len(feats) != len(weights):
        raise ValueError(f"{len(feats)} features for {len(weights)} weights")
    return sum(map(mul, weights, feats)) + w.repetition * min(repeated, 6) / 6  # map: no generator frame a term


@lru_cache(maxsize=8)
def _feature_weights(w: Weights) -> tuple[float, ...]:
    """The weights in FEATURES' order (asked for every candidate sentence of every question)."""
    return tuple(getattr(w, name) for name in FEATURES)


def weight_vector(w: Weights = WEIGHTS) -> list[float]:
    """The weights in the order of a candidate's features (features() then repetition)."""
    return [getattr(w, name) for name in FEATURES] + [w.repetition]


# Page furniture that survives as a sentence of the text: a video player's caption ("Video Ad Feedback See images
# of Mauna Loa erupting 03:05 - Source: CNN", "JUST WATCHED ... Replay More Videos ..."), a newsletter or reader
# prompt, a live page's note on what it covers, an editor's note on the author, a link to another story glued to
# its label ("More:Supreme Court overturns Roe v. Wade ...", "OPINION:The power of love ...": no space after the colon).
_FURNITURE = re.compile(r"\W*(?:[^\W\d][\w’'. -]{0,58}:(?=[A-Z\"“‘'])|(?:video ad feedback|just watched)\b|"
                        r"get\b.{0,60}\bin your inbox\b|share your thoughts with\b|this story covers\b.{0,80}\bnews from\b|"
                        r"for (?:our|the) latest coverage\b|editor['’]s note\s*:)", re.I)  # matched at a sentence's start


_ENDS = frozenset(".!…\"”’')]")  # a sentence's end; a heading, a link's text or a sentence cut at a passage's end has none


def quotable(sentence: str) -> bool:
    """A question ("A top chef banned which diners ...?", quoted from a quiz), a dateline ("New York CNN
    Business —"), page furniture (a video player's caption, a newsletter prompt) or what does not end as a sentence
    does (a heading, a link's text, a photo's caption, a sentence cut at a passage's end) never answers."""
    end = sentence.rstrip()[-1:]
    if not end or end not in _ENDS or _FURNITURE.match(sentence):
        return False
    return "ideos" not in sentence or "replay more videos" not in sentence.lower()  # (a player's caption, anywhere)


def answer_spans(phrases: tuple[Phrase, ...], counts: dict[str, int], best: bool = True) -> tuple[tuple[int, int], ...]:
    """The answer phrase to mark in a quote, when the reader can tell it: for a number or date
    question, the number/date that the most candidate sentences repeat (at least MARK_REPEATS), or
    in the best sentence the only one there is; for a place question, the one place (or chain of
    places) of the sentence."""
    typed = [p for p in phrases if p.typed and p.kind != "name"]  # names: marks held the answer for only
    # 42% of dev answers (numbers 53%), so a name is never marked
    if not typed:
        return ()
    places = sorted((p for p in typed if p.kind == "place"), key=lambda p: p.start)
    # Places: one place, or one chain of them ("the Yelahanka air base outside Bengaluru"), is the answer.
    if places and len(places) == len(typed) and all(b.start - a.end <= PLACE_CHAIN for a, b in zip(places, places[1:])):
        return ((places[0].start, places[-1].end),)
    top = max(typed, key=lambda p: (counts.get(p.key, 0), -p.start))
    if counts.get(top.key, 0) >= MARK_REPEATS or (best and len(typed) == 1):
        return ((top.start, top.end),)
    return ()


PLACE_CHAIN = 30  # characters between two places that still read as one ("<place> air base outside <place>")
MARK_REPEATS = 2  # dev, numbers: 2 -> 18/34 marks hold the answer, 3 -> 17/34 (docs/evaluation.md "Answer quality")
