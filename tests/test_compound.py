"""Two questions in one message (answer/compound.py): split, asked as a question and its follow-up, answered as one."""

from __future__ import annotations

import pytest

from sitrep.answer.compound import parts


@pytest.mark.parametrize(("message", "halves"), [
    ("What did China propose and how did India respond?", ("What did China propose?", "How did India respond?")),
    ("What is BECA and when will it be signed?", ("What is BECA?", "When will it be signed?")),
    ("What is BECA? When will it be signed?", ("What is BECA?", "When will it be signed?")),
    ("How did India respond; what did China say", ("How did India respond?", "What did China say?")),
    ("who signed the MoU, and why did they sign it?", ("Who signed the MoU?", "Why did they sign it?")),
    # one question
    ("Which band announced a new single and will reunite for a tour?", None),  # one subject, two verbs
    ("Who met Esper and where?", None),  # "and where?" is part of the question
    ("What did China propose to India?", None), ("China and India?", None), ("Who and why?", None),
    ("What is X, and what is Y and what is Z?", None),  # three: read whole
    ("What did China propose and how did India respond? " + "x" * 500, None),  # long: read whole
])
def test_two_questions_are_told_from_one(message: str, halves: tuple[str, str] | None) -> None:
    assert parts(message) == halves
