"""Follow-up questions without a language model: a conversation's subject carried by retrieval.

A `Conversation` holds the last few turns (what was typed, what was searched, which articles the
answer cited). `plan()` decides how a new question is searched:

- **as it is** when it names its own subject: no pronoun or ellipsis pointing back, and it finds
  enough on its own (the engine asks it alone first and falls back to the conversation only when
  that answer abstains);
- **with the conversation's subject** when it points back ("And how did India respond?", "Why?",
  "What did they say?"): the earlier turns' topic terms are added to its own, chosen by how well
  each term alone retrieves (HQE, Lin et al. 2020, as in castorini/chatty-goose `cqr/hqe.py`:
  terms of every earlier turn whose single-term BM25 score is high — the topic —, and, when the
  question is ambiguous, the last turn's middling ones — the sub-topic); the earlier question is
  embedded with it, and the articles the last answer cited get a prior;
- **as the earlier question, on what is new** when it asks for news ("Any updates?", "What's new?"):
  only articles published since the last answer, and none it cited (a refusal says there is nothing new);
- **as the earlier question, for more** when it asks for nothing else ("What else?", "Tell me more"): the
  answer quotes only sentences the conversation's answers have not, or says there is nothing more;
- **with the person the last answer named** when its "he" or "she" has no one else to mean ("What did he say?"
  after an answer naming Rajnath Singh is read as "What did Rajnath Singh say?"; mentions.py);
- **as the earlier question with one name swapped** when it names a new entity elliptically
  ("What about Pakistan?" after "What did China propose to India?"): the new name replaces the
  earlier name most like it (cosine of the two names' vectors: a country for a country), and the
  rewritten question is searched as a question of its own.

The result is an `AskedAs`: front-ends show it ("understood as: ...") and `--json` prints it.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sitrep.index import lexicon
from sitrep.retrieval.errors import BadQuestion
from sitrep.retrieval.keys import article_key, quote_key
from sitrep.retrieval.mentions import READ_AS, named_in, names
from sitrep.retrieval.types import Answer, AskedAs

__all__ = ["Conversation", "Turn", "article_key", "quote_key", "plan", "cue", "names", "leans_weakly", "nothing_to_continue"]

_WORD = re.compile(r"[\w’'-]+")
# Words that point back to something said before. "this"/"that" only when they stand alone
# (followed by a verb or the end), not as determiners ("this week", "that deal").
_PRONOUN = re.compile(r"\b(?:he|she|they|them|him|his|her|hers|their|theirs|it|its|those|these|there)\b"
                      r"|\b(?:this|that)\b(?=\s*(?:$|[?.!,]|\s(?:is|was|be|been|mean|means|happen|happened|do|does|did|"
                      r"say|said|will|would|could|affect|change|work|cost|end|start|lead)\b))", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and|but|so|also|then|what about|how about|what of|what else|who else|anything else|"
                       r"any other|what other|same for|else)\b", re.I)
_SWAP_CUE = re.compile(r"^\s*(?:and|but|what about|how about|what of|same for|and what about|and how about)\b", re.I)
# "Any news?", "Anything new?", "What's new?", "Any updates on this?": the last question again, on what was
# published since its answer, leaving out what that answer cited.
_UPDATE = re.compile(r"^\s*(?:(?:and|so|ok|okay)[\s,]+)?(?:(?:is there|are there)\s+)?(?:any|anything)\s+(?:news|new|newer|updates?|"
                     r"more news|developments?|changes?)\b|^\s*(?:what'?s|what is|what has)\s+(?:new|changed|happened since)\b"
                     r"|^\s*(?:updates?|latest|news|any news)\s*\??\s*$|^\s*(?:what(?:'s| is) the )?latest\b", re.I)
_UPDATE_WORDS = ("anything news new newer update updates latest development developments change changes changed happen "
                 "happened since story stories")
# "What else?", "Tell me more", "Go on": nothing but a request for more of the last answer.
_MORE = re.compile(r"^\s*(?:(?:and|so|ok|okay|please|pls)[\s,]+)?(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?)?(?:what else|"
                   r"anything else|what more|tell (?:me|us) more|give (?:me|us) more|say more|more|go on|keep going|continue|more details|details|elaborate|and then|anything more)"
                   r"(?:[\s,]+(?:please|then|too|there|(?:on|about) (?:this|that|it|them)))*\s*[?.!…]*\s*$", re.I)
_BARE_QUESTION = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?(?:when|where|why|how|who|what|which|how many|how much|"
                            r"who else|what else|why not|since when|really|details|more)\s*\??\s*$", re.I)


@dataclass(frozen=True)
class ConversationParams:
    # Chosen on benchmarks/conversations.jsonl over the dev corpus (benchmarks/tune_conversation.py,
    # docs/asking.md "Conversations").
    max_turns: int = 3  # turns remembered
    max_age_s: float = 6 * 3600.0  # a turn older than this is forgotten
    topic_strength: float = 0.2  # a term's best single-term BM25 score over the corpus's best possible:
    # at least this, from any remembered turn, is the conversation's topic
    subtopic_strength: float = 0.1  # at least this, from the last turn, when the question is ambiguous
    swap_min_cosine: float = 0.3  # a new name replaces one of several earlier ones only if they are this alike
    # How many of the last answer's cited articles (in citation order) get a prior (RetrievalParams.
    # followup_prior, x 1.5). 0: none. A follow-up is about what the asker was shown: with the prior,
    # "And how did India respond?" quotes the China article the first answer cited ("Then, there will
    # be a suitable response"); without it, another article's "The Indian side is yet to respond".
    # It costs MRR@10 on the conversation set, whose gold is the dataset's article, not the one shown:
    # where the first answer cited another article, the prior follows it (docs/asking.md "Conversations").
    prior_articles: int = 3
    generic_strength: float = 0.2  # a question with no name, few words and none stronger than this is generic
    # ("How many people died?"): in a conversation, it asks about the conversation's subject
    max_text_chars: int = 600  # what is embedded for a follow-up: the earlier question and this one


@dataclass(frozen=True)
class Turn:
    """What a later question needs of an earlier one. Everything else (its terms, its names) is
    derived from `asked`, so a turn read back from a Discord message is the turn that was made."""

    question: str  # as typed (cleaned)
    asked: str  # the text that was searched: the question itself, the earlier question with it, or a rewrite
    cited: tuple[str, ...]  # article ids (or their short keys, see article_key) the answer cited
    at: float = field(default_factory=time.time)
    quoted: tuple[str, ...] = ()  # the sentences the answer quoted, as quote_key()s: a follow-up says something new
    named: str = ""  # the person the answer named, whom no question did (answer/referent.py): a later "he" or "she"

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        asked = answer.asked_as
        quoted = [quote_key(s) for s, _ in answer.sentences]
        if asked is not None and asked.more:  # "What else?" again and again: none of it said twice, however many
            quoted = [*asked.shown, *quoted]  # turns ago (a conversation remembers max_turns)
        return cls(answer.question, asked.text if asked else answer.question,
                   tuple(dict.fromkeys(c.article_id for c in answer.citations)), quoted=tuple(dict.fromkeys(quoted)))


class Conversation:
    """The last few turns of one conversation (a REPL session, a Discord thread, a DM channel)."""

    def __init__(self, params: ConversationParams = ConversationParams(), clock: Callable[[], float] = time.time,
                 turns: Iterable[Turn] = ()) -> None:
        self.params = params
        self.clock = clock
        self.turns: deque[Turn] = deque(turns, maxlen=params.max_turns)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)

    def clear(self) -> None:
        self.turns.clear()

    def recent(self) -> list[Turn]:
        """The turns still remembered (not older than max_age_s), oldest first."""
        now = self.clock()
        return [t for t in self.turns if now - t.at <= self.params.max_age_s]

    def __len__(self) -> int:
        return len(self.recent())


@dataclass(frozen=True)
class Cue:
    kind: str  # "pronoun", "ellipsis", "short", "swap" or "" (none: the question names its own subject)
    word: str = ""

    def __bool__(self) -> bool:
        return bool(self.kind)


_PERSONAL = {"he", "she", "him", "his", "her", "hers", "they", "them", "their", "theirs"}


def cue(question: str, own_terms: Sequence[str], earlier_names: set[str], generic: bool = False,
        tokenize: Callable[[str], list[str]] | None = None) -> Cue:
    """What in the question points back to the conversation, if anything. `generic`: none of its
    words is specific enough to find a story alone (ConversationParams.generic_strength);
    `tokenize`: the index's analyser (default: sitrep's default BM25 settings)."""
    tokenize = tokenize or _default_tokenize
    found = names(question)
    new = [n for n in found if n.lower() not in earlier_names]
    if new and (_SWAP_CUE.search(question) or _only_names(question, new)):
        return Cue("swap", new[0])
    m = _ELLIPSIS.search(question)
    if m:
        return Cue("ellipsis", m.group(0).strip().lower())
    for m in _PRONOUN.finditer(question):
        # A personal pronoun after a name of the question's own refers to that name ("Why did Musk say
        # he ..."); "it", "this", "that" point back all the same ("How will the FDA respond to it?").
        word = m.group(0).lower()
        if not (word in _PERSONAL and any(question.find(n) < m.start() for n in new)):
            return Cue("pronoun", word)
    if _BARE_QUESTION.search(question) or (len(own_terms) <= 1 and not found):
        return Cue("short", question.strip().rstrip("?").lower())
    if found and not new and len(own_terms) <= len(tokenize(" ".join(found))) + 1:
        return Cue("names", found[0])  # only names already spoken of, and at most one word more
    if generic and not found:
        return Cue("generic", "")
    return Cue("")


_BM25 = lexicon.BM25Settings()


def _default_tokenize(text: str) -> list[str]:
    return lexicon.tokenize([text], _BM25)[0]


def _only_names(question: str, found: Sequence[str]) -> bool:
    """"Pakistan?", "Pakistan then?": nothing but names (and a filler word)."""
    rest = question
    for n in found:
        rest = rest.replace(n, " ")
    return not [w for w in _WORD.findall(rest) if w.lower() not in {"then", "too", "now", "instead", "please"}]


def plan(question: str, conversation: Conversation | None, tokenize: Callable[[str], list[str]],
         strength: Callable[[Sequence[str]], dict[str, float]], similar: Callable[[str, Sequence[str]], np.ndarray],
         force: bool = False) -> AskedAs:
    """How to search `question` (cleaned) given the conversation. `tokenize(text)` gives the index
    terms of a text (the index's own analyser); `strength(terms)` is each term's
    best single-term BM25 score over the corpus's best possible (0..~1); `similar(name, others)` the
    cosine of a name's vector to each other name's. `force`: the question found too little alone,
    search it with the conversation's subject even without a cue."""
    own_terms = tokenize(question)
    alone = AskedAs(question, tuple(own_terms))
    remembered = list(conversation.turns) if conversation is not None else []
    if remembered and _UPDATE.search(question) and set(own_terms) <= set(tokenize(_UPDATE_WORDS)):
        # (only words of asking for news: "Any news about Pakistan?" names its own subject)
        # News on the last question, whenever it was asked (one comes back to a thread days later for that)
        last = remembered[-1]
        terms = tuple(dict.fromkeys(tokenize(last.asked)))
        return AskedAs(last.asked, terms, terms, (), (), "asks what is new since the last answer", terms, last.at, last.cited)
    turns = conversation.recent() if conversation is not None else []
    if not turns:
        return alone
    last = turns[-1]
    p = conversation.params  # type: ignore[union-attr]
    if _MORE.search(question):  # the last question again, for what its answers have not quoted
        terms = tuple(dict.fromkeys(tokenize(last.asked)))
        return AskedAs(last.asked, terms, terms, (), last.cited[: p.prior_articles], "asks for more on the earlier question",
                       terms, shown=_shown(turns), more=True)
    earlier = {n.lower(): n for t in turns for n in names(t.asked)}
    specific = max(strength(own_terms).values(), default=0.0) if 0 < len(own_terms) <= 3 else 1.0
    c = cue(question, own_terms, set(earlier), generic=specific < p.generic_strength, tokenize=tokenize)
    if not c and not force:
        return alone
    if c.kind == "swap" and earlier:
        swapped = _swap(last.asked, c.word, [n for n in names(last.asked)], similar, p.swap_min_cosine)
        if swapped is not None:
            text, old = swapped
            rest = [t for t in own_terms if t not in tokenize(c.word)]
            if rest and not _SWAP_CUE.search(question):
                text = f"{text} {question}"
            terms = tuple(dict.fromkeys(tokenize(text)))
            return AskedAs(text, terms, tuple(t for t in terms if t not in own_terms), ((old, c.word),), (),
                           f"'{c.word}' in place of '{old}' in the earlier question", shown=_shown(turns))
    rewrite = named_in(question, c.word, last.named) if c.kind == "pronoun" else ""  # "What did he say?", him named
    terms_of = [tuple(dict.fromkeys(tokenize(t.asked))) for t in turns]
    carried = _carried(terms_of, own_terms, strength, p, ambiguous=bool(c) and c.kind != "names")
    if rewrite:  # the name searched as the conversation's (its weight in the reader's coverage is a carried name's)
        carried = list(dict.fromkeys([t for t in tokenize(last.named) if t not in own_terms] + carried))
    text = f"{last.asked} {rewrite or question}"
    if len(text) > p.max_text_chars:
        text = text[len(text) - p.max_text_chars:].split(" ", 1)[-1]
    reason = {"pronoun": f"'{c.word}' refers to the earlier question", "ellipsis": f"'{c.word}' continues the earlier question",
              "short": "too short to stand alone", "names": NAMES_ONLY, "generic": TOO_GENERAL,
              "swap": f"'{c.word}' added to the earlier question", "": "found too little alone"}[c.kind]
    if rewrite:
        reason = READ_AS.format(word=c.word, name=last.named)
    context = tuple(dict.fromkeys(t for terms in terms_of for t in terms))
    return AskedAs(text, tuple(own_terms) + tuple(carried), tuple(carried), (), last.cited[: p.prior_articles], reason,
                   context, shown=_shown(turns), rewrite=rewrite)



def _shown(turns: Sequence[Turn]) -> tuple[str, ...]:
    """What the remembered answers quoted: a follow-up's answer does not say it again when another sentence
    answers nearly as well (answer/answerer.py, AnswerParams.repeat_ratio)."""
    return tuple(dict.fromkeys(k for t in turns for k in t.quoted))


def nothing_to_continue(question: str) -> None:
    """A bare request for more ("What else?") with no answer before it in the conversation: a one-line error
    that says what to do, rather than a search for the words "what else"."""
    if _MORE.search(question):
        raise BadQuestion(f"{' '.join(question.split())!r} continues an answer: ask a question first")


NAMES_ONLY, TOO_GENERAL = "names only what was already asked about", "too general to stand alone"


def leans_weakly(asked: AskedAs | None) -> bool:
    """Whether a follow-up was read as one on weak evidence — nothing in it points back, it only names what was
    spoken of or says little ("How did India respond?", "What happened at the border?"): when the conversation's
    subject finds nothing, the question may still stand alone."""
    return asked is not None and asked.reason in (NAMES_ONLY, TOO_GENERAL)


def _carried(turns: Sequence[Sequence[str]], own_terms: Sequence[str], strength: Callable[[Sequence[str]], dict[str, float]],
             p: ConversationParams, ambiguous: bool) -> list[str]:
    """HQE: the topic terms of every remembered turn (each turn's terms), and the last turn's
    sub-topic terms when the question is ambiguous, strongest first, none the question already has."""
    pool = list(dict.fromkeys(t for terms in turns for t in terms if t not in own_terms))
    if not pool:
        return []
    score = strength(pool)
    last = set(turns[-1])
    keep = [t for t in pool if score[t] >= p.topic_strength or (ambiguous and t in last and score[t] >= p.subtopic_strength)]
    return sorted(keep, key=lambda t: -score[t])


def _swap(text: str, new: str, old_names: Sequence[str], similar: Callable[[str, Sequence[str]], np.ndarray],
          min_cosine: float) -> tuple[str, str] | None:
    """The earlier question with the name most like `new` replaced by it (its only name, whatever it is);
    None when it has several and none is alike.
    When the earlier turn was itself a follow-up (its searched text is several questions), the first
    question naming that entity is the one re-asked: "What about Pakistan?" re-asks the conversation's
    question about India, not its latest detail."""
    candidates = [n for n in dict.fromkeys(old_names) if n.lower() != new.lower()]
    if not candidates:
        return None
    sims = similar(new, candidates)
    best = int(np.argmax(sims))
    if len(candidates) > 1 and float(sims[best]) < min_cosine:
        return None  # several names, none like the new one: which one it replaces is not clear
    old = candidates[best]
    pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    base = next((q for q in re.split(r"(?<=[?.!])\s+", text) if pattern.search(q)), text)
    return pattern.sub(new, base), old
