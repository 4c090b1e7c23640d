"""Messages that are not questions: a call for help, a greeting, a thanks, the news with or without a subject.

Every message in the bot's thread is read as a follow-up, so without this "thanks!" was searched for in
the news (and refused, with the nearest articles), a 👍 was told it had no words, "@sitrep help" was
answered with a story about aid and "what's new?" was refused. A message is small talk only when the whole
of it is (a question that starts with "hi" or ends with "thanks" is a question); no model, a few word
lists. Phrases a follow-up could mean about the story ("How does it work?", "What is this?") are
questions. Pure, for every front-end: Discord acts on it (chat/cogs/ask.py, chat/smalltalk.py's help),
the REPL too (cli/repl.py).
"""

from __future__ import annotations

import re
import unicodedata

HELP, GREETING, THANKS, NEWS = "help", "greeting", "thanks", "news"

_HELP = frozenset({
    "help", "help me", "commands", "command list", "list commands", "usage", "how to use", "how to use this",
    "how do i use this", "how do i use you", "what can you do", "what do you do", "what are you", "who are you",
    "what is sitrep", "about", "how do i ask", "how can i ask", "what can i ask", "what can i ask you",
})
_GREETING = frozenset({
    "hi", "hello", "hey", "hiya", "howdy", "yo", "hi there", "hello there", "hey there", "good morning",
    "good afternoon", "good evening", "morning", "gm", "greetings",
})
# The news itself, no subject: the front page (answer/frontpage.py) — in a conversation it is "Any news?" on
# the conversation's question instead (retrieval/conversation.py), which the ask cog leaves to it.
_NEWS = frozenset({
    "news", "any news", "the news", "latest news", "the latest news", "latest", "the latest", "headlines",
    "top stories", "what's new", "whats new", "what is new", "anything new", "what's happening", "whats happening",
    "what is happening", "what's going on", "whats going on", "what is going on", "what happened today",
    "what's the news", "whats the news", "what is the news", "news today", "today's news", "todays news",
    "what's in the news", "what is in the news", "what's the latest", "whats the latest", "what is the latest",
})
# A thanks or an acknowledgement: every word from this list, and at least one of the markers below.
_ACK_WORDS = frozenset({
    "thanks", "thank", "you", "thx", "ty", "tysm", "cheers", "ok", "okay", "k", "kk", "cool", "great", "nice",
    "perfect", "awesome", "got", "it", "so", "much", "a", "lot", "very", "that", "helps", "helped", "makes", "sense",
    "good", "to", "know", "noted", "alright", "understood", "appreciated", "appreciate", "brilliant", "excellent",
    "fantastic", "wonderful", "amazing", "sweet", "ah", "oh", "i", "see", "lovely", "interesting", "wow", "all",
    "right", "for", "the", "answer", "info", "information", "again", "really", "useful", "super", "bot", "mate",
})
_ACK_MARKERS = frozenset({
    "thanks", "thank", "thx", "ty", "tysm", "cheers", "ok", "okay", "k", "kk", "cool", "great", "nice", "perfect",
    "awesome", "got", "noted", "alright", "understood", "appreciated", "appreciate", "brilliant", "excellent",
    "fantastic", "wonderful", "amazing", "sweet", "lovely", "interesting", "wow", "see", "sense", "helps", "helped",
    "useful",
})
_FILLER = frozenset({"sitrep", "please", "pls", "plz"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


# The news on a subject: "What's the latest on Ukraine?", "Any news about the Twitter deal?", "Catch me up on
# Hurricane Ian", "sitrep on India China talks" — a brief (answer/brief.py), the topic's dated stories each
# quoted, not one answer. A pronoun for a subject ("What's the latest on it?") is the conversation's own "any
# news?" (retrieval/conversation.py), and "news from Dawn" names an outlet, not a topic: neither is read here.
_NEWS_ON = re.compile(
    r"^(?:(?:so|ok|okay|hey|hi|please|pls|sitrep)[\s,]+)*(?:"
    r"(?:what'?s|what\s+is|what\s+are)\s+(?:the\s+)?(?:latest|new|news|happening|going\s+on|the\s+story|(?:latest\s+)?updates?)"
    r"|(?:(?:is|are)\s+there\s+)?(?:any(?:thing)?\s+)?(?:new\s+|latest\s+|recent\s+)?(?:news|updates?|developments?)"
    r"|(?:(?:is|are)\s+there\s+)?anything\s+(?:new|recent)|(?:the\s+)?latest|(?:catch|fill)\s+(?:me|us)\s+(?:up|in)|(?:brief|update)\s+(?:me|us)"
    r"|(?:a\s+)?(?:sitrep|situation\s+report|timeline|brief)"
    r")\s+(?:on|about|with|in|regarding|for|of)\s+(?P<topic>[^?!]+?)\s*[?.!…]*$", re.I)
# "What happened with the Uvalde shooting investigation?", "What's up with the Twitter deal?": the story so far, a
# brief too (asked as a question, one answer quoted three captions of a photo gallery). Not "What happened to Liz
# Truss?" or "… in 2021?": those ask for one event; nor one whose subject names nothing ("What happened with the
# proposal?", after a question on it).
_HAPPENED_WITH = re.compile(r"^(?:(?:so|ok|okay|hey|hi|please|pls|sitrep)[\s,]+)*(?:what\s+(?:has\s+|had\s+)?happened|"
                            r"what'?s\s+(?:happened|up))\s+with\s+(?P<topic>[^?!]+?)\s*[?.!…]*$", re.I)
_NAMED = re.compile(r"\b[A-Z][\w'-]*")  # a name in the subject: "the Uvalde shooting investigation", "Mauna Loa"
_ASKS_MORE = re.compile(r"\b(?:who|whom|whose|what|when|where|why|how|which|did|does|do|is|are|was|were)\b", re.I)
# When, after the subject: the brief lists the newest first whatever the span, so it is left out of the topic.
_WHEN = re.compile(r"\s+(?:since\s+\S.*|(?:in|over|during)\s+the\s+(?:last|past)\s+\S.*|(?:so\s+far\s+)?(?:today|yesterday|"
                   r"tonight|this\s+(?:week|weekend|month|year|morning)|lately|recently|these\s+days|right\s+now|now))$", re.I)
_NOT_A_TOPIC = re.compile(r"^(?:it|this|that|them|they|him|her|these|those|the\s+story|this\s+story|that\s+story|"
                          r"here|there|today|this\s+week|the\s+news|everything|anything)$", re.I)


def news_topic(message: str) -> str | None:
    """The subject when the whole message asks for the news on one ("What's the latest on Ukraine?" ->
    "Ukraine"), else None."""
    if len(message) > 300:  # a request for the news is a line; a long message is read as a question (and the
        return None         # pattern, whose subject is found by a lazy match, stays well under a millisecond)
    text = " ".join(unicodedata.normalize("NFKC", message).replace("’", "'").split())
    m = _NEWS_ON.match(text) or _HAPPENED_WITH.match(text)
    if m is None or (m.re is _HAPPENED_WITH and (_ASKS_MORE.search(m.group("topic")) or not _NAMED.search(m.group("topic")))):
        return None  # "… and why did it matter?": a question about the story; "What happened with the proposal?" (no
        # name): most often a follow-up in a conversation, asked as a question
    topic = re.sub(r"(?:[\s,]+(?:please|pls|plz|thanks|thx))+$", "", m.group("topic"), flags=re.I).strip(" ,.;:")
    topic = _WHEN.sub("", topic).strip(" ,.;:")
    return topic if re.search(r"\w", topic) and not _NOT_A_TOPIC.match(topic) else None


def kind(message: str) -> str | None:
    """HELP, GREETING, NEWS or THANKS when the whole message is one (the bot's mention already taken out), else
    None: a question. A message of symbols and emoji alone (👍, 🙏) is THANKS, unless it asks ("?")."""
    text = unicodedata.normalize("NFKC", message).lower().replace("’", "'")
    words = [w for w in _WORD.findall(text) if w not in _FILLER]
    if not words:
        return None if "?" in text or not text.strip() else THANKS
    said = " ".join(words)
    if said in _HELP:
        return HELP
    if said in _GREETING:
        return GREETING
    if said in _NEWS:
        return NEWS
    if all(w in _ACK_WORDS for w in words) and any(w in _ACK_MARKERS for w in words):
        return THANKS
    return None
