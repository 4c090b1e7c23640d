"""The days a quote names relative to its article's date, made absolute (answer/said_days.py), and shown beside
the quote: in the CLI's source list, its --json, a Discord answer's source field and a brief's story."""

from __future__ import annotations

from datetime import date

import pytest

from sitrep.answer.brief import Quote, Source, Story
from sitrep.answer.said_days import said_days, said_days_text
from sitrep.chat.render import _source_value, _story_value
from sitrep.cli.render import as_json, as_text, story_text
from sitrep.retrieval.types import Answer, Citation

THURSDAY = date(2022, 10, 6)


@pytest.mark.parametrize(("sentence", "meant"), [
    # told in the past: the latest such day on or before publication (the day itself included)
    ("The rocket launched on Wednesday.", {"Wednesday": date(2022, 10, 5)}),
    ("Officials said Thursday that the launch went well.", {"Thursday": THURSDAY}),
    ("The band announced Monday that it will tour next year.", {"Monday": date(2022, 10, 3)}),  # "announced" is nearer
    ("Whoever won the jackpot Tuesday will have to reveal an identity.", {"Tuesday": date(2022, 10, 4)}),
    ("They met last Thursday.", {"last Thursday": date(2022, 9, 29)}),
    # told in the future: the first such day on or after it
    ("The rocket will launch on Friday.", {"Friday": date(2022, 10, 7)}),
    ("A court scheduled the trial to start Monday.", {"Monday": date(2022, 10, 10)}),
    ("The sale runs through Sunday.", {"Sunday": date(2022, 10, 9)}),
    ("UAMS said the clinic will be held Saturday.", {"Saturday": date(2022, 10, 8)}),
    ("The district said students would return on Monday.", {"Monday": date(2022, 10, 10)}),  # "would": ahead  # "held" after "be": no past
    ("Talks resume next Thursday.", {"next Thursday": date(2022, 10, 13)}),
    ("They are dropping a new single on Friday, titled Edging.", {"Friday": date(2022, 10, 7)}),
    # a quotation has its own tense: the speaker's "confirmed" or "said" is not it; a title in quotes names no day
    ("Sarafin confirmed that “Friday is definitely in play” if the team can fix it.", {"Friday": date(2022, 10, 7)}),
    ("“We met on Monday,” he said.", {"Monday": date(2022, 10, 3)}),
    ("“Conditions may deteriorate as early as Tuesday,” the weather service said.", {"Tuesday": date(2022, 10, 11)}),
    ("Storms may hit the coast Saturday.", {"Saturday": date(2022, 10, 8)}),  # "may" is ahead; "May" the month is not
    ("The storm will hit the coast Saturday.", {"Saturday": date(2022, 10, 8)}),  # "hit" after "will" is no past
    ('She hosted "Saturday Night Live" in 2017.', {}),
    ("NASA’s rocket launched on Wednesday.", {"Wednesday": date(2022, 10, 5)}),  # an apostrophe opens no quotation
    # a weekday that is its clause's subject, in the present: ahead; one that dates a verb before it keeps that tense
    ("Tuesday is the first day of school.", {"Tuesday": date(2022, 10, 11)}),
    ("Saturday and Sunday are slated to be the lightest travel days.", {"Saturday": date(2022, 10, 8), "Sunday": date(2022, 10, 9)}),
    ("Thursday is all about inflation: the index is due at 8:30 a.m.", {"Thursday": THURSDAY}),
    ("A lawsuit filed Tuesday is challenging the law.", {"Tuesday": date(2022, 10, 4)}),
    # days named together are one stretch, each after the one before: the first ahead, or the last back
    ("Grand juries met Monday through Wednesday.", {"Monday": date(2022, 10, 3), "Wednesday": date(2022, 10, 5)}),
    ("The grand jury met Saturday through Monday.", {"Saturday": date(2022, 10, 1), "Monday": date(2022, 10, 3)}),
    ("Grand juries met Friday through Sunday.", {}),  # Friday the day after publication, in the past: which week?
    ("Kids can wear a costume Friday through Sunday.", {"Friday": date(2022, 10, 7), "Sunday": date(2022, 10, 9)}),
    ("The turnpike saw 668,000 vehicles between Wednesday and Monday.", {"Wednesday": date(2022, 9, 28), "Monday": date(2022, 10, 3)}),
    ("The curfew will be enforced Sunday through Thursday.", {"Sunday": date(2022, 10, 9), "Thursday": date(2022, 10, 13)}),
    ("They will play games on Saturday, Sunday and Tuesday.",
     {"Saturday": date(2022, 10, 8), "Sunday": date(2022, 10, 9), "Tuesday": date(2022, 10, 11)}),
    ("The person reported working last Thursday through Saturday.", {"last Thursday": date(2022, 9, 29), "Saturday": date(2022, 10, 1)}),
    ("Snow is forecast to fall late Friday through Sunday morning.", {"Friday": date(2022, 10, 7), "Sunday": date(2022, 10, 9)}),
    ("Snow is forecast to hit late Wednesday through Saturday morning.", {"Wednesday": date(2022, 10, 5), "Saturday": date(2022, 10, 8)}),
    ("Ian is forecast to make landfall on Friday, the center said Thursday.", {"Friday": date(2022, 10, 7), "Thursday": THURSDAY}),
    ("Prices are likely to climb after the president announced a ban on imports on Tuesday.", {"Tuesday": date(2022, 10, 4)}),
    ("Hours for Saturday and Sunday are still being finalized.", {"Saturday": date(2022, 10, 8), "Sunday": date(2022, 10, 9)}),
    ("The auction was held Tuesday and a sale will follow Sunday.", {"Tuesday": date(2022, 10, 4), "Sunday": date(2022, 10, 9)}),
    # a day that recurs or is counted from something else names no date
    ("“Typically, Friday is a work day,” Hunter says.", {}),
    ("The market will run every Thursday evening from spring through fall.", {}),
    ("A workshop will be held each Thursday in April.", {}),
    ("She was set to play each Friday and Saturday night.", {}),
    ("Presidents Day is always celebrated the third Monday of February.", {}),
    ("Clerks cannot begin until the Friday before Election Day.", {}),
    ("Virginia Soyez died on a Monday in March.", {}),
    ("Blinken spoke to her one-on-one last Thursday.", {"last Thursday": date(2022, 9, 29)}),
    ("The area was hit by several quakes, the latest one Tuesday.", {"Tuesday": date(2022, 10, 4)}),
    ("The day is observed on the Friday preceding the third Monday in January.", {}),
    ("Prices rose later Thursday and early Friday.", {"Thursday": THURSDAY, "Friday": date(2022, 10, 7)}),
    ("Officials spoke at the Monday briefing, where they said little.", {"Monday": date(2022, 10, 3)}),
    # days that are not weekdays
    ("Officials said yesterday that it was over.", {"yesterday": date(2022, 10, 5)}),
    ("The minister resigned earlier today.", {"earlier today": THURSDAY}),
    ("The storm hit last night and will return tomorrow.", {"last night": date(2022, 10, 5), "tomorrow": date(2022, 10, 7)}),
    # left alone: dated already, no tense to go by, the day after publication told in the past (a day ahead of the
    # outlet's clock abroad, or six days back?), "today" (news writes it for "nowadays")
    ("The crew lifted off on Wednesday, October 5, from Florida.", {}),
    ("The crew lifted off on Wednesday (Oct. 5) from Florida.", {}),
    ("Monday, October 10", {}),
    ("An earthquake struck the northern Philippines on Friday, officials said.", {}),
    ("Americans today spend more on food.", {}),
])
def test_the_day_a_quote_means(sentence: str, meant: dict[str, date]) -> None:
    assert dict(said_days(sentence, THURSDAY)) == meant


def test_no_publication_date_no_day() -> None:
    assert said_days("The rocket launched on Wednesday.", None) == []
    assert said_days_text("The rocket launched on Wednesday.", None) == ""
    assert said_days_text("The rocket launched on Wednesday.", "not a date") == ""


QUOTE = "SpaceX and NASA launched a crew of astronauts to the space station on Wednesday."


def test_the_day_is_shown_beside_the_quote() -> None:
    c = Citation(1, "crew.md", "crew.md#0", "Crew-5 launch", "Space Desk", "2022-10-06", "crew.md", QUOTE, QUOTE, 0)
    a = Answer("When did Crew-5 launch?", ((QUOTE, 1),), (c,), (), False, 0.9)
    assert "    “Wednesday”: Wed 2022-10-05" in as_text(a).splitlines()
    assert as_json(a)["citations"][0]["said_days"] == [{"words": "Wednesday", "date": "2022-10-05"}]
    assert "*“Wednesday”: Wed 2022-10-05*" in _source_value([c], 300)
    # a page seen on a day (not published on it) is no ground for "Wednesday"
    seen = Citation(1, "crew.md", "crew.md#0", "Crew-5 launch", "Space Desk", None, "crew.md", QUOTE, QUOTE, 0,
                    seen="2022-10-06")
    assert "Wed 2022" not in as_text(Answer("When?", ((QUOTE, 1),), (seen,), (), False, 0.9))


def test_a_brief_s_story_shows_its_days() -> None:
    s = Story("crew.md", "2022-10-06", (Source("crew.md", "Crew-5 launch", "Space Desk", "2022-10-06", None, None, "crew.md"),),
              (Quote(QUOTE, "crew.md", "crew.md#0"),), 1.0)
    assert s.said_days == "“Wednesday”: Wed 2022-10-05"
    assert "    “Wednesday”: Wed 2022-10-05" in story_text(s)
    assert "*“Wednesday”: Wed 2022-10-05*" in _story_value(s)
