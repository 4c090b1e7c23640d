"""Whom an answer named: the person a later "he" or "she" in the conversation is read as.

"Who is India's defence minister?" is answered "… Defence Minister Rajnath Singh …"; "What did he say?" then asks
about Rajnath Singh, whom no question named. A who-question's answer names the person asked for: of the names in its
first quote, the one whose title holds the question's own words ("Defence Minister" for "defence minister"), else the
first full name. Any other answer names someone only when its first quote holds exactly one full name ("… terminate
the contract of district police chief Pete Arredondo …"), and none when the question names a person itself. Names are capitalised runs of words, less the titles before
them; places (the gazetteer), days, months and names of bodies ("Robb Elementary School", "Texas House") are not people.
"""

from __future__ import annotations

import re

from sitrep.answer.places import places
from sitrep.answer.reader import QuestionKind
from sitrep.index.lexicon import QUESTION_WORDS

_NAME = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
_WORD = re.compile(r"[\w’'-]+")
_TITLES = frozenset({
    "minister", "ministers", "president", "vice", "secretary", "chief", "prime", "foreign", "defence", "defense", "home",
    "finance", "external", "affairs", "general", "governor", "mayor", "senator", "sen", "rep", "representative",
    "spokesperson", "spokesman", "spokeswoman", "ambassador", "envoy", "ceo", "chairman", "chairwoman", "chair",
    "director", "commissioner", "judge", "justice", "king", "queen", "prince", "princess", "pope", "sir", "dame", "lord",
    "lady", "dr", "mr", "mrs", "ms", "gov", "gen", "adm", "admiral", "col", "colonel", "capt", "captain", "coach",
    "speaker", "leader", "officer", "police", "district", "former", "new", "acting", "interim", "deputy", "state",
    "union", "federal", "us", "u.s", "uk", "the", "a", "an", "and", "but", "as", "at", "in", "on", "by", "for", "of",
    "with", "when", "while", "after", "before", "then", "if", "it", "this", "that", "these", "those", "he", "she",
    "they", "we", "his", "her", "their", "its", "our", "no", "st", "mt", "lt", "sgt", "cpl", "pvt", "maj", "cmdr",
    "detective", "star", "actress", "actor", "singer", "rapper", "legend", "legendary", "superstar", *QUESTION_WORDS,
})
_BODIES = frozenset({
    "school", "board", "committee", "department", "house", "court", "university", "college", "party", "church",
    "council", "agency", "company", "bank", "ministry", "office", "association", "league", "club", "team", "times",
    "news", "post", "network", "group", "inc", "corp", "co", "ltd", "foundation", "institute", "center", "centre",
    "service", "services", "police", "army", "navy", "force", "forces", "government", "administration", "senate",
    "congress", "parliament", "commission", "airport", "station", "hospital", "museum", "park", "stadium", "street",
    "avenue", "bridge", "river", "island", "islands", "county", "city", "republic", "nations", "organization",
    "organisation", "federation", "games", "cup", "series", "awards", "day", "week", "month", "year", "act", "bill",
    "program", "programme", "project", "festival", "show", "media", "press", "reuters", "cnn", "bbc", "ap", "afp",
})
_CALENDAR = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})


def _people(quote: str, asked: set[str]) -> list[tuple[int, list[str]]]:
    """(how many of the question's words its title holds, its words) for each name of a person in the quote, in
    order; a name the question already holds is left out."""
    out = []
    for m in _NAME.finditer(quote):
        words = [re.sub(r"[’']s$", "", w).rstrip(".") for w in m.group(0).split()]
        lead = 0
        while lead < len(words) and (words[lead].lower() in _TITLES or words[lead].lower() in asked):
            lead += 1
        person = words[lead:]
        if not person or len(person) > 4 or not all(w[:1].isupper() and w[1:2].islower() for w in person):
            continue  # nothing left, too long for a name, or an acronym ("NATO", "US")
        lowered = [w.lower() for w in person]
        if lowered[-1] in _BODIES or not _CALENDAR.isdisjoint(lowered) or all(w in asked for w in lowered):
            continue
        if places(" ".join(person)):
            continue  # a place, not a person ("Texas", "New Delhi")
        out.append((sum(w.lower() in asked for w in words[:lead]), person))
    return out


def _names_a_person(question: str, quote: str) -> bool:
    """The question names a person: a full name ("Nichelle Nichols"), or a single word the quote gives a first name
    ("Biden" for "… President Joe Biden …"; "Uvalde" is not one: "The Uvalde school board")."""
    for _, person in _people(question, set()):
        if len(person) >= 2:
            return True
        before = re.search(rf"\b([A-Z][a-z]+)\s+{re.escape(person[0])}\b", quote)
        if before is not None and before.group(1).lower() not in _TITLES:
            return True
    return False


def named_person(question: str, quote: str) -> str:
    """The person an answer to `question` names in its first `quote`, or "" (see the module's doc). A question
    that names a person itself ("… actress Nichelle Nichols …?") has its own: a later "she" means her, not another
    person its answer names ("Lt Nyota Uhura", her role)."""
    if not quote or _names_a_person(question, quote):
        return ""
    asked = {w.lower().removesuffix("’s").removesuffix("'s") for w in _WORD.findall(question)}
    people = _people(quote, asked)
    if QuestionKind.of(question).who:
        if not people:
            return ""
        best = max(range(len(people)), key=lambda i: (people[i][0], len(people[i][1]) >= 2, -i))
        return " ".join(people[best][1])
    full = {" ".join(p) for _, p in people if len(p) >= 2}
    return full.pop() if len(full) == 1 else ""
