"""Who holds a post: "Who is India's defence minister?" is answered by a sentence that names the holder beside
the post — "Defence Minister Rajnath Singh", "Rishi Sunak, the new prime minister", "Sunak became prime
minister" — not by one that names the post alone ("The Chinese defence minister has sought a meeting"), another
country's holder ("China's Defence Minister Wei Fenghe") or a former one ("former prime minister Boris Johnson").

`asked_post` reads the question ("Who is / was / became [the] [new] [India's] <post> [of <whom>]?", the post's
last word one of POSTS); `holder` reads a sentence: +1 when it names a holder of the post that fits, -1 when it
names only holders that do not (another country's, a former one), else 0. The reader reads this as one feature
(answer/reader.py), by word position alone: no parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sitrep.answer.demonyms import DEMONYMS

# The last word of a post a question may ask the holder of.
POSTS = frozenset({
    "minister", "president", "premier", "chancellor", "secretary", "ceo", "cfo", "coo", "chairman", "chairwoman",
    "chair", "chief", "head", "leader", "spokesperson", "spokesman", "spokeswoman", "governor", "mayor", "senator",
    "speaker", "ambassador", "envoy", "commissioner", "director", "king", "queen", "monarch", "pope", "coach",
    "manager", "captain", "commander", "general", "founder", "owner", "editor", "justice", "judge", "attorney",
    "treasurer", "ruler", "emperor", "prince", "princess", "successor", "heir", "host", "mvp", "champion",
})
# Said of a holder who no longer holds the post, or not yet: no answer to "who is" unless the question says so.
_NOT_NOW = ("former", "ex", "then", "late", "outgoing", "previous", "erstwhile")
# ... and what is done to one who is leaving it ("Musk ... firing CEO Parag Agrawal", "replacing Prime Minister ...").
_OUSTED = frozenset({"fired", "firing", "fires", "ousted", "ousting", "ousts", "sacked", "sacking", "sacks", "dismissed",
                     "dismissing", "removed", "removing", "replaced", "replacing", "replaces", "succeeded",
                     "succeeding", "succeeds", "toppled", "toppling", "impeached", "predecessor"})
# Between a name and a post, words that say the name does not hold it ("running for", "candidate to").
_LINKS = frozenset({"for", "to", "against", "with", "from", "by", "about", "like", "than", "under", "candidate", "running",
                    "bid", "race"})
# Spellings of one word of office ("defence" in London, "defense" in Washington).
_SPELLINGS = {"defence": "defen[cs]e", "defense": "defen[cs]e"}
_MODIFIERS = ("new", "current", "next", "acting", "interim", "incoming", "newly", "appointed", "elected", "sitting",
              "present", "incumbent", "serving", "top") + _NOT_NOW
_TIME = re.compile(r"\s+(?:now|currently|today|these days|right now|at the moment|this (?:week|month|year)|"
                   r"last (?:week|month|year)|in \d{4})$", re.I)
_ASKED = re.compile(
    r"^\W*who\s+(?:is|was|are|were|became|becomes|has become|will become|will be|would be|has been|had been|"
    r"was named|has been named|was appointed|has been appointed|was elected|was chosen|is named|is set to become)\s+"
    r"(?:now\s+|currently\s+)?(?:(?:the|a|an)\s+)?(?P<mods>(?:(?:" + "|".join(_MODIFIERS) + r")[\s-]+)*)"
    r"(?:(?P<qual>[\w.-]+(?:\s+[\w.-]+){0,2}?)[’']s?\s+)?(?P<post>[\w.-]+(?:\s+[\w.-]+){0,3}?)"
    r"(?:\s+(?:of|for|at|in|to)\s+(?:the\s+)?(?P<of>[\w.’'-]+(?:\s+[\w.’'-]+){0,3}))?$", re.I)
_NAME = r"(?:[A-Z][\w’'.-]+\s+){0,3}[A-Z][\w’'-]+"
_COUNTRY_GROUPS = [{"uk", "u.k.", "britain", "british", "united kingdom", "england", "english"},
                   {"us", "u.s.", "america", "american", "united states", "usa"}]


@dataclass(frozen=True)
class Post:
    words: tuple[str, ...]  # the post, lower-cased: ("defence", "minister")
    whose: frozenset[str]  # who it belongs to, each way a sentence may say it: {"india", "indian"}; empty: anyone's
    former: bool  # the question asks for a former holder ("Who was the former prime minister?")


@lru_cache(maxsize=256)
def asked_post(question: str) -> Post | None:
    """The post whose holder the question asks for, or None."""
    text = _TIME.sub("", question.strip().rstrip("?!. ").strip())
    m = _ASKED.match(text)
    if m is None:
        return None
    words = tuple(w.lower() for w in re.findall(r"[\w.-]+", m.group("post")))
    if not words or words[-1].rstrip(".") not in POSTS:
        return None
    owners = [m.group("qual")]
    if m.group("of") and not m.group("of").islower():
        owners.append(m.group("of"))
    elif m.group("of"):  # "the secretary of state": all of it the post
        words += ("of", *(w.lower() for w in re.findall(r"[\w.’'-]+", m.group("of"))))
    while len(words) > 1 and words[0] in _every_country():  # "the Indian defence minister": India's
        owners.append(words[0])
        words = words[1:]
    whose = {w for part in owners if part for w in _ways(part)}
    return Post(words, frozenset(whose), any(w in (m.group("mods") or "").lower() for w in _NOT_NOW))


def _ways(owner: str) -> set[str]:
    """An owner's name and its country's other names ("India" -> india, indian; "Britain" -> uk, british ...)."""
    name = re.sub(r"[’']s$", "", re.sub(r"^the\s+", "", owner.strip().lower()))
    out = {name}
    for country, people in _countries().items():
        if name == country or name in people:
            out |= {country, *people}
    for group in _COUNTRY_GROUPS:
        if name in group:
            out |= group
    return out


@lru_cache(maxsize=1)
def _countries() -> dict[str, set[str]]:
    return {c.lower(): {p.lower() for p in people.split()} for c, people in DEMONYMS.items()}


@lru_cache(maxsize=1)
def _every_country() -> frozenset[str]:
    return frozenset({c for c, people in _countries().items() for c in (c, *people)} | set().union(*_COUNTRY_GROUPS))


@lru_cache(maxsize=64)
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    post = r"[\s-]+".join(_SPELLINGS.get(w, re.escape(w)) for w in words)
    before = r"(?P<pre>(?:[\w.’'-]+\s+){0,3}(?:[\w’']+-)?)"  # "then-President Castillo": its "then-" too
    # "Defence Minister Rajnath Singh", "India's defence minister, Rajnath Singh," (the name right after the post)
    after = re.compile(before + r"(?i:" + post + r")(?:s)?,?\s+(?P<name>" + _NAME + r")")
    # "Rishi Sunak, the new prime minister", "Liz Truss is the new prime minister of Britain", "Sunak became PM"
    named = re.compile(r"(?P<name>" + _NAME + r")(?:,\s+(?:who\s+(?:is|was|became)\s+)?|\s+(?:is|was|became|has become|"
                       r"will become|is set to become|is to become|was named|was appointed|was elected|as)\s+)(?:(?:the|a|an)\s+)?"
                       + before + r"(?i:" + post + r")\b(?:\s+(?:of|for)\s+(?:the\s+)?(?P<of>[\w.’'-]+(?:\s+[\w.’'-]+)?))?")
    return after, named


def holder(sentence: str, post: Post | None) -> float:
    """+1 when the sentence names a holder of the asked post that fits (theirs, not another country's; not a
    former one unless asked), -1 when every holder it names does not fit, 0 when it names none."""
    seen = 0.0
    for _, fits in _holders(sentence, post):
        if fits:
            return 1.0
        seen = -1.0
    return seen


def holders_named(sentence: str, post: Post | None) -> frozenset[str]:
    """The surnames of the holders of the asked post the sentence names that fit ("sunak" in "Rishi Sunak is the
    United Kingdom's latest prime minister")."""
    return frozenset(name.split()[-1].lower() for name, fits in _holders(sentence, post) if fits)


def _holders(sentence: str, post: Post | None) -> list[tuple[str, bool]]:
    """(name, whether it fits) for each holder of the post the sentence names."""
    if post is None:
        return []
    after, named = _patterns(post.words)
    theirs = _owned(sentence, post)
    out = []
    for m in (*after.finditer(sentence), *named.finditer(sentence)):
        if m.group("name").split()[0].lower() in ("the", "a", "an", "on", "in", "and", "but", "said", "has", "had"):
            continue
        if m.re is named and _LINKS & set(m.group("pre").lower().split()):
            continue  # "Lula, who is running for president": the post is what the name seeks, not holds
        # "The Chinese defence minister has sought a meeting with defence minister Rajnath Singh": the asked country's
        # holder is the one the sentence names by country, unnamed; the named one with no country is another's
        other = any(not (m.start() <= a and b <= m.end()) for a, b in theirs) and not _owners(m)
        out.append((m.group("name"), not other and _fits(m, post)))
    return out


def _owners(m: re.Match[str]) -> list[str]:
    """The countries a match of the post names as its owner: in the words before it ("India's", "the Chinese"), or
    after "of"."""
    pre = " ".join(re.sub(r"[’']s$", "", w.lower().rstrip(",")) for w in m.group("pre").split())
    owners = [c for c in _every_country() if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", pre)]
    of = m.groupdict().get("of")
    if of:
        owners += [w for w in _ways(of) if w in _every_country()][:1]
    return owners


def _owned(sentence: str, post: Post) -> list[tuple[int, int]]:
    """The spans of the post where the sentence gives it the asked owner ("The Chinese defence minister")."""
    if not post.whose:
        return []
    mention = re.compile(r"(?P<pre>(?:[\w.’'-]+\s+){0,3})(?i:" + r"[\s-]+".join(_SPELLINGS.get(w, re.escape(w))
                                                                             for w in post.words) + r")")
    return [m.span() for m in mention.finditer(sentence) if any(w in post.whose for w in _owners(m))]


def _fits(m: re.Match[str], post: Post) -> bool:
    bare = [re.sub(r"[’']s$", "", w.lower().rstrip(",")) for w in m.group("pre").split()]
    if not post.former and any(w.rstrip("-") in _NOT_NOW or w in _OUSTED or w.startswith("ex-") for w in bare[-2:]):
        return False
    owners = _owners(m)
    return not (post.whose and owners and not any(w in post.whose for w in owners))
