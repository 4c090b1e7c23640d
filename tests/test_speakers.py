"""Who is speaking (answer/speakers.py): "What did India say?" asks for India's words, not for what was said to
India, and "said" answers "say" though the stemmer keeps them apart."""

from __future__ import annotations

import pytest

from sitrep.answer import reader
from sitrep.answer.candidates import _families, _family_index
from sitrep.answer.speakers import asked_speaker, asking_verb, role, speech_terms
from sitrep.index.lexicon import BM25Settings

NOTE = "In the note verbale to India, China says that there should be a visit to China by Indian border troops."
SINGH = "On Sunday Singh said India wanted to resolve the conflict with China peacefully."


@pytest.mark.parametrize(("question", "speaker"), [
    ("What did India say?", ("india",)),
    ("And how did India respond?", ("india",)),
    ("What has the mayor said about it?", ("mayor",)),
    ("What was India's response?", ("india",)),
    ("What did New York Mayor Eric Adams say about the buses?", ("new", "york", "mayor", "eric", "adams")),
    # a pronoun is the question's subject as a quiz writes it
    ("President Joe Biden made a firm declaration about the Covid-19 pandemic this week. What did he say?",
     ("president", "joe", "biden")),
    ("What did he say?", ()),  # nothing to read the pronoun as
    ("What is BECA?", ()),
    ("How many troops are on the border?", ()),
])
def test_the_speaker_a_question_asks_about(question: str, speaker: tuple[str, ...]) -> None:
    assert asked_speaker(question) == speaker
    assert reader.QuestionKind.of(question).speaker == speaker


@pytest.mark.parametrize(("sentence", "speaker", "expected"), [
    (NOTE, ("india",), -1.0),  # said to India, by China
    (NOTE, ("china",), 1.0),
    (SINGH, ("singh",), 1.0),
    (SINGH, ("india",), 1.0),  # "said India wanted": India's position, as reported
    ("India's foreign ministry said the talks would go on.", ("india",), 1.0),
    ("The talks failed, said Singh.", ("singh",), 1.0),
    ("According to India, the talks failed.", ("india",), 1.0),
    ("China has sought a meeting with defence minister Rajnath Singh on the sidelines.", ("singh",), -1.0),
    ("A meeting with India, the US and Japan, officials said.", ("india",), -1.0),  # another clause's speaker
    ("India is currently looking at the requests by China.", ("india",), 0.0),  # India, but not its words
    ("Pakistan said nothing.", ("india",), 0.0),
    ("Some of the migrants told the mayor they had relatives in other cities.", ("mayor",), -1.0),  # told: the listener
    ("The buses were cruel, the mayor told reporters.", ("mayor",), 1.0),
    ("Officials warned India that talks would fail.", ("india",), -1.0),
    # a clause between commas, then the word of speech
    ("Singh, the defence minister, said India wanted peace.", ("singh",), 1.0),
    ("Grandi, while adding that the UK was signatory to the Refugee Convention, said it was wrong.", ("grandi",), 1.0),
    ("Singh, the defence minister, met Shoigu.", ("singh",), 0.0),
    (NOTE, (), 0.0),
])
def test_whose_words_a_sentence_gives(sentence: str, speaker: tuple[str, ...], expected: float) -> None:
    assert role(sentence, speaker) == expected


@pytest.mark.parametrize(("question", "context", "speaker"), [
    # in a conversation, "he" is whom the earlier question asked about ...
    ("What did he say about China?", "What did Esper say about India? What did he say about China?", ("esper",)),
    # ... or, when it asked about no one's words, its first name
    ("What did they say?", "What did China propose to India? What did they say?", ("china",)),
    ("What did he say?", "", ()),
    ("What did India say?", "What did China propose to India? What did India say?", ("india",)),  # named: as typed
])
def test_a_pronoun_in_a_follow_up_is_the_conversations_speaker(question: str, context: str,
                                                              speaker: tuple[str, ...]) -> None:
    assert asked_speaker(question, context) == speaker
    assert reader.QuestionKind.of(question, context).speaker == speaker
    assert (asking_verb(question, context) == "say") is bool(speaker)


def test_said_covers_the_say_of_the_question_and_respond_stays_itself() -> None:
    settings = BM25Settings()
    verb, speech = speech_terms("What did India say?", settings)
    assert verb == ("say",) and "said" in speech and "told" in speech
    family = _family_index({"india": 2.0, "say": 5.0}, False, verb, speech)
    assert _families({"sourc", "said"}, family) == {"sourc", "said", "say"}
    assert _families({"india", "look"}, family) == {"india", "look"}
    # "respond" is what the answer is about: "said" does not cover it (the stems' own families still apply)
    assert asking_verb("How did India respond?") == "" and speech_terms("How did India respond?", settings) == ((), ())
    assert asking_verb("What did he say?") == ""  # no one to read "he" as: "say" stays a word of the question
