"""How far back a question about a recent span ("this week", "yesterday", "last week") may be answered from
(retrieval/dates.py RECENT_DAYS). The refusals themselves, on the seed corpus with the real model:
tests/test_known_answers.py."""

from __future__ import annotations

from datetime import date

from sitrep.retrieval.dates import Window, too_old


def test_too_old_counts_back_from_the_as_of_date_and_knows_nothing_of_undated_articles() -> None:
    week = Window(None, date(2024, 1, 10), "this week", hard=False)
    assert too_old(week, date(2024, 1, 10), date(2024, 1, 3)) is None  # 7 days: still this week
    assert too_old(week, date(2024, 1, 10), date(2024, 1, 2)) == 7
    assert too_old(week, date(2024, 1, 10), None) is None  # undated: its age is unknown
    assert too_old(Window(date(2023, 1, 1), date(2023, 12, 31), "in 2023"), date(2024, 1, 10), date(2023, 1, 2)) is None
    assert too_old(Window(None, date(2024, 1, 10), "this year", hard=False), date(2024, 1, 10), date(2023, 1, 2)) is None
