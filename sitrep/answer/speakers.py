"""Who is speaking: "What did India say?" asks for India's words, not for what was said *to* India.

A question that asks what someone said, how they responded or what their position is names its speaker
(`asked_speaker`). A sentence that gives the speaker's words ("On Sunday Singh said India wanted ...", "India's
foreign ministry said", "according to India") answers it; one that names the speaker only as whom something
was said to, with or against ("In the note verbale to India, China says ...") does not. The reader reads this as one feature
(`role`: +1, -1, or 0), by word position alone: no parser. And a question's "say" or "tell" says only that
words were spoken: any word of reported speech covers it ("said" is not "say"'s stem), while "respond" or
"propose" stay what the answer is about (`speech_terms`; the reader's word families, answer/candidates.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from sitrep.index import lexicon
from sitrep.index.lexicon import BM25Settings

# Verbs of speaking only: "What did China propose?" is answered by China's proposals whether or not a sentence
# reports them as speech, so it asks about no speaker here (the bundled corpus's first answer lists them).
_VERBS = (r"say|said|saying|says|tell|told|respond|responded|react|reacted|reply|replied|answer|answered|announce|"
          r"announced|claim|claimed|warn|warned|argue|argued|comment|commented|make of")
# "What did India say", "How has the mayor responded", "What did New York Mayor Eric Adams say about ..."
_ASKED = re.compile(r"\b(?:what|how)\s+(?:did|does|do|has|have|had|will|would|could|is|are|was|were)\s+"
                    r"(?P<who>[\w’'.-]+(?:\s+[\w’'.-]+){0,5}?)\s+(?P<verb>" + _VERBS + r")\b", re.I)
# "What was India's response", "What is the mayor's position"
_POSSESSIVE = re.compile(r"\bwhat\s+(?:is|was|are|were|has been)\s+(?P<who>[\w.-]+(?:\s+[\w.-]+){0,5}?)[’']s?\s+"
                         r"(?:response|reaction|reply|answer|position|stance|view|message|statement|comment)\b", re.I)
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "you", "i", "them", "him", "her"})
_ARTICLES = frozenset({"the", "a", "an", "its", "their", "his", "her"})
# A name right after one of these is whom something was said to, with, against or about, not who said it.
_ADDRESSED = frozenset({"to", "with", "against", "toward", "towards", "at", "into", "on", "upon", "for", "about", "over",
                        "between", "than", "like"})
_TITLES = frozenset({"minister", "ministers", "president", "secretary", "chief", "prime", "foreign", "defence", "defense",
                     "counterpart", "leader", "general", "governor", "mayor", "senator", "spokesperson", "spokesman",
                     "spokeswoman", "ambassador", "envoy", "officials", "official", "government", "ministry"})
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_WORD = re.compile(r"[\w’'-]+")
_TOKEN = re.compile(r"[\w’'-]+|[,;:()“”\"—]")
_BREAKS = frozenset(",;:()“”\"—")


@lru_cache(maxsize=256)
def asked_speaker(question: str, context: str = "") -> tuple[str, ...]:
    """The words (lower-cased, articles left out) naming who the question asks about as a speaker, or ()
    when it asks no such thing. A pronoun ("What did he say?") is read as the first name the question
    gives before it, its subject as a quiz writes it ("President Joe Biden made a declaration about the
    Covid-19 pandemic. What did he say?"); failing that, in a conversation (`context`: what the follow-up
    was searched with), as the speaker the earlier question asked about, or else its first name ("What did
    Esper say about India?" ... "What did he say about China?"); else as none."""
    m = _ASKED.search(question) or _POSSESSIVE.search(question)
    if m is None:
        return ()
    who = [w for w in _WORD.findall(m.group("who").lower()) if w not in _ARTICLES]
    if not who or who[0] in _PRONOUNS:
        who = _first_name(question[: m.start()])
        if not who and context and context != question:
            earlier = context[: len(context) - len(question)] if context.endswith(question) else context
            who = list(asked_speaker(earlier)) or _first_name(earlier)
    return tuple(who)


def no_words_note(question: str, context: str = "") -> str:
    """The note under an answer to "What did Modi say?" none of whose sentences gives his words: they only name him.
    The speaker as the question (or, for a pronoun, the conversation) wrote it."""
    who = asked_speaker(question, context)
    pattern = r"\b" + r"\W+".join(map(re.escape, who)) + r"\b"
    m = re.search(pattern, question, re.I) or re.search(pattern, context, re.I)
    name = m.group(0) if m else " ".join(who)
    return f"no sentence found gives {name}'s own words: these are the nearest"


def _first_name(text: str) -> list[str]:
    names = [n for n in _NAME.findall(text) if n.split()[0].lower() not in _PRONOUNS | _ARTICLES | {"what", "how", "which"}]
    return _WORD.findall(names[0].lower()) if names else []


# Words that report speech: a sentence holding one covers the verb of "What did India say?" ("said" is not
# "say"'s stem; "Then, there will be a suitable response, sources said" answers "What did India say?").
SPEECH = ("say", "says", "said", "saying", "tell", "tells", "told", "according", "announce", "announced",
          "announcement", "respond", "responded", "response", "reply", "replied", "declare", "declared", "claim",
          "claimed", "warn", "warned", "insist", "insisted", "explain", "explained", "spokesperson", "spokesman",
          "spokeswoman")  # not "state", "add", "note": mostly other words


_BLEACHED = frozenset({"say", "said", "saying", "says", "tell", "told"})


def asking_verb(question: str, context: str = "") -> str:
    """The verb of a question that asks what someone said ("say" in "What did India say?"), or "". Only verbs
    that say nothing but that words were spoken: "respond" or "propose" are what the answer is about."""
    m = _ASKED.search(question)
    verb = m.group("verb").lower() if m is not None else ""
    return verb if verb in _BLEACHED and asked_speaker(question, context) else ""


def speech_terms(question: str, settings: BM25Settings, context: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the asking verb's terms, the terms of reported speech), as the index analyses them; ((), ()) when the
    question asks no one's words."""
    verb = asking_verb(question, context)
    return (tuple(lexicon.tokenize([verb], settings)[0]), _speech(settings)) if verb else ((), ())


@lru_cache(maxsize=4)
def _speech(settings: BM25Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lexicon.tokenize([" ".join(SPEECH)], settings)[0]))


def _bare(word: str) -> str:
    """A word without its possessive ("India's" -> "india")."""
    w = word.lower()
    return w[:-2] if w.endswith(("'s", "’s")) else w.rstrip("'’")


# ... and those that report it when they stand after the speaker ("India's response" is no quote of India's).
_SPEECH_WORDS = frozenset(SPEECH) - {"response", "announcement", "spokesperson", "spokesman", "spokeswoman"}


# ... but a name right after one of these is who was told or warned ("migrants told the mayor ..."), unlike ", said Singh".
_TOLD = frozenset({"tell", "tells", "told", "telling", "warn", "warns", "warned", "warning"})


def _apposed(tokens: list[str], words: list[str], i: int) -> bool:
    """The speaker at i, then a clause between commas, then a word of reported speech: "Singh, the defence minister,
    said", "Grandi, while adding that the UK was signatory to the Refugee Convention, said"."""
    if i + 1 >= len(tokens) or tokens[i + 1] != ",":
        return False
    for k in range(i + 2, min(len(tokens) - 1, i + 32)):
        if tokens[k] in _BREAKS:
            return tokens[k] == "," and words[k + 1] in _SPEECH_WORDS - _TOLD
    return False


def role(sentence: str, speaker: tuple[str, ...]) -> float:
    """+1 when the sentence gives the speaker's words: the speaker followed, within its clause and a few words,
    by a word of reported speech ("Singh said", "India's foreign ministry said"), after one (", said Singh"),
    or after "according to"; -1 when it names the speaker only after "to", "with", "against" ... or as whom
    someone told (what was said to it: "In the note verbale to India, China says ...", "Migrants told the
    mayor ..."); else 0."""
    if not speaker:
        return 0.0
    tokens = _TOKEN.findall(sentence)  # words and the clause breaks between them
    words = [_bare(t) for t in tokens]
    named = set(speaker)
    at = [i for i, w in enumerate(words) if w in named]
    if not at:
        return 0.0
    addressed = 0
    for i in at:
        after = []
        for t, w in zip(tokens[i + 1 : i + 6], words[i + 1 : i + 6]):
            if w in _BREAKS or (t[0].isupper() and w not in named):
                break  # another clause, or another name: "to India, China says"
            after.append(w)
        j = i - 1
        while j >= 0 and (words[j] in _ARTICLES or words[j] in named or words[j] in _TITLES or tokens[j][0].isupper()):
            j -= 1  # "to the", "to New York", "with defence minister Rajnath Singh"
        if not _SPEECH_WORDS.isdisjoint(after) or (j >= 0 and words[j] in _SPEECH_WORDS - _TOLD) or (
                j > 0 and words[j] == "to" and words[j - 1] == "according") or _apposed(tokens, words, i):
            return 1.0
        addressed += j >= 0 and words[j] in _ADDRESSED | _TOLD
    return -1.0 if addressed == len(at) else 0.0
