"""A photo's credit run into the caption after it, and a wire story's dateline before its first sentence, are
not quoted: the quote starts at the caption's or the story's own words, still a verbatim slice of its passage."""

from __future__ import annotations

import pytest

from sitrep.answer.present import caption, credit_prefix, dateline_prefix


@pytest.mark.parametrize(("sentence", "credit"), [
    ("John Raoux/AP The SpaceX Falcon 9 rocket sits on the launch pad.", "John Raoux/AP "),
    ("Dan Kitwood/Getty Images Charles receives the crown.", "Dan Kitwood/Getty Images "),
    ("Civil Air Patrol/USGS Hawaii officials have said the eruptions are not threatening homes.", "Civil Air Patrol/USGS "),
    ("Ricardo Arduengo/AFP/Getty Images President Joe Biden talks to people.", "Ricardo Arduengo/AFP/Getty Images "),
    ("RICARDO ARDUENGO/X0374 A man collects spring water.", "RICARDO ARDUENGO/X0374 "),
    ("Pratham Gokhale/Hindustan Times/Sipa/Reuters Students carry a flag.", "Pratham Gokhale/Hindustan Times/Sipa/Reuters "),
    ("Matthew Busch for CNN Congregants light candles in Uvalde on May 26.", "Matthew Busch for CNN "),
    ("Jae C. Hong for The New York Times Crosses bear the names of the victims.", "Jae C. Hong for The New York Times "),
    # Not credits: sentences that merely hold a slash, or a credit with nothing after it, or "for" anything else.
    ("Centers for Disease Control Director Rochelle Walensky said so.", ""),
    ("The Respect for Marriage Act passed.", ""),
    ("Matthew Busch for CNN", ""),
    ("Joe Biden/Harris campaign said on Tuesday.", ""),
    ("Boeing/Airbus Rivalry Heats Up", ""),
    ("AFP/Getty Images The crowd gathered.", "AFP/Getty Images "),  # (a credit of one agency's name: after the list)
    ("Joe Biden/Kamala Harris Ticket Wins", ""),
    ("The Prime Minister said.", ""),
    ("John Raoux/AP", ""),
    # one word before the slash: known by the photo agency the credit ends with; a lone "AP " before a caption
    ("Keystone-France/Gamma-Keystone/Getty Images Hindu and Sikh women arrive in Bombay.", "Keystone-France/Gamma-Keystone/Getty Images "),
    ("Stringer/EPA-EFE/Shutterstock An old man sits near his house.", "Stringer/EPA-EFE/Shutterstock "),
    ("AP Jawaharlal Nehru and Liaquat Ali Khan sign the agreement.", "AP "),
    ("AP reported that the talks failed.", ""),
    ("AP Photo/Susan Walsh President Biden speaks.", ""),  # not "AP " alone: the credit runs on
    ("NASA via AP Waves kick up along the shore of Batabano.", "NASA via AP "),
    ("Boeing/Airbus Rivalry Heats Up", ""),
    ("Reuters/Ipsos Poll Shows a Lead", ""),
])
def test_credit_prefix(sentence: str, credit: str) -> None:
    assert sentence[: credit_prefix(sentence)] == credit


@pytest.mark.parametrize(("sentence", "dateline"), [
    ("(CNN) The US Centers for Disease Control announced on Tuesday.", "(CNN) "),
    ("New York (CNN Business) Apple said its sales fell.", "New York (CNN Business) "),
    ("ST. LOUIS (AP) — Mexican drug cartels fill the demand.", "ST. LOUIS (AP) — "),
    ("ANCHORAGE, Alaska (AP) — A plane landed.", "ANCHORAGE, Alaska (AP) — "),
    ("Lviv, Ukraine (CNN) — Russian strikes hit the city.", "Lviv, Ukraine (CNN) — "),
    ("New York (CNNBusiness) Shares fell.", "New York (CNNBusiness) "),
    ("Washington (CNN)The House voted.", "Washington (CNN)"),
    ("(AP) — “We will rebuild,” she said.", "(AP) — "),
    ("WASHINGTON – Public approval of the Supreme Court tumbled.", "WASHINGTON – "),
    ("LOUISVILLE, Ky. — The fair opened.", "LOUISVILLE, Ky. — "),
    ("ZHANGJIAKOU, China – The skiers arrived.", "ZHANGJIAKOU, China – "),
    ("SAN FRANCISCO — Twitter laid off staff.", "SAN FRANCISCO — "),
    ("FILE - A man walks past the court.", "FILE - "),
    ("New York CNN Business — Rapper Ye’s falling out has cost him.", "New York CNN Business — "),
    ("CNN — Olivia Newton-John died on Monday.", "CNN — "),
    ("Tokyo, Japan CNN — Japan’s Sakurajima volcano erupted.", "Tokyo, Japan CNN — "),
    ("Associated Press NEW YORK — Target is canceling orders.", "Associated Press NEW YORK — "),
    ("Marta Fiorin and Raf Casert Associated Press KORTRIJK, Belgium — The 19-year-old landed.",
     "Marta Fiorin and Raf Casert Associated Press KORTRIJK, Belgium — "),
    ("Officials told CNN — off the record — that talks stalled.", ""),
    ("CNN reported that the talks stalled.", ""),
    ("The Associated Press — a news agency — reported it.", ""),
    ("US – China talks resumed on Monday.", ""),
    ("NASA said the rocket was ready.", ""),
    ("► Ian’s strength at landfall tied it for the fifth-strongest hurricane.", "► "),
    ("• WASHINGTON (AP) — The House voted.", "• WASHINGTON (AP) — "),
    ("* The House voted.", "* "),
    ("*NSYNC reunited on stage.", ""),
    ("►", ""),
    # Not datelines: a name that starts with a star, brackets that name no outlet, a ticker, a dateline with nothing after it, one mid-sentence.
    ("(APPLAUSE) Thank you all.", ""),
    ("Apple (AAPL) said its sales fell.", ""),
    ("The agency's Emergency Operations Center (EOC) opened.", ""),
    ("(CNN)", ""),
    ("He told CNN (CNN) The show", ""),
])
def test_dateline_prefix(sentence: str, dateline: str) -> None:
    assert sentence[: dateline_prefix(sentence)] == dateline
    assert credit_prefix(sentence) == 0  # a dateline is no caption: the reader does not mark the sentence down


def _ask(tmp_path, name: str, text: str, question: str):
    """The answer to `question` over a one-article corpus (the fake encoder)."""
    from sitrep.answer.engine import Engine
    from sitrep.index.build import update
    from sitrep.retrieval.types import Query
    from tests.conftest import FakeEncoder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_text(text, encoding="utf-8")
    update(corpus, tmp_path / "idx", FakeEncoder())
    return Engine.open(tmp_path / "idx", FakeEncoder()).ask(Query(question, as_of=None))


@pytest.mark.parametrize(("name", "text", "question", "holds", "starts"), [
    ("launch.md", "---\ntitle: Rocket launch delayed\nsource: Space Desk\ndate: 2022-10-05\n---\n"
     "The launch was delayed by a day because of high winds over the Atlantic coast.\n\n"
     "John Raoux/AP The SpaceX Falcon 9 rocket with the Crew Dragon spacecraft sits on the launch pad at the "
     "Kennedy Space Center on Tuesday.\n",
     "Where does the SpaceX Falcon 9 rocket with the Crew Dragon spacecraft sit?", "Falcon 9", "The SpaceX Falcon 9 rocket"),
    ("cdc.md", "---\ntitle: CDC activates its emergency centre\nsource: cnn.com\ndate: 2022-06-28\n---\n"
     "(CNN) The US Centers for Disease Control and Prevention announced on Tuesday the activation of its "
     "Emergency Operations Center to respond to the monkeypox outbreak.\n\n"
     "The centre brings together experts from across the agency.\n",
     "What did the Centers for Disease Control and Prevention activate to respond to the monkeypox outbreak?",
     "Emergency Operations Center", "The US Centers for Disease Control"),
])
def test_an_answer_quotes_the_caption_or_story_not_its_credit_or_dateline(tmp_path, name: str, text: str, question: str,
                                                                          holds: str, starts: str) -> None:
    answer = _ask(tmp_path, name, text, question)
    quotes = [c for c in answer.citations if holds in c.quote]
    assert quotes, answer
    c = quotes[0]
    assert c.quote.startswith(starts) and c.passage[c.quote_start:].startswith(c.quote)


@pytest.mark.parametrize(("name", "text", "question", "lead", "credit"), [
    ("uvalde.md", "Matthew Busch for CNN People in Uvalde light candles during a memorial for the shooting victims on "
     "May 25.\n\nA Texas House committee released a report on Sunday about the police response to the Uvalde school "
     "shooting, finding systemic failures.\n", "What is the news on the Uvalde shooting?",
     "A Texas House committee released a report", "Busch for CNN"),
    # a caption without a credit: an agency's scene with its full date, then its place
    ("ian.md", "This aerial view shows the destruction left in the wake of Hurricane Ian on October 02, 2022 in Fort "
     "Myers Beach, Florida.\n\nHurricane Ian destroyed hundreds of homes in Fort Myers Beach, officials said on "
     "Monday.\n", "What did Hurricane Ian do to Fort Myers Beach?", "Hurricane Ian destroyed hundreds of homes", ""),
])
def test_a_caption_gives_way_to_the_story_s_own_sentence(tmp_path, name: str, text: str, question: str, lead: str,
                                                         credit: str) -> None:
    """A caption shows a scene ("Matthew Busch for CNN People in Uvalde light candles …"); where a sentence of the
    story tells the news on the same words, that sentence is quoted first (the caption, the article's first
    sentence here, led before: reader weight `caption`)."""
    answer = _ask(tmp_path, name, f"---\ntitle: The story\nsource: News Desk\ndate: 2022-10-03\n---\n{text}", question)
    assert not answer.abstained, answer
    assert answer.citations[0].quote.startswith(lead), answer.citations[0].quote
    assert not credit or all(credit not in c.quote for c in answer.citations)  # a caption quoted later: not its credit


def test_a_dateline_stays_in_the_quote_when_the_question_asks_where() -> None:
    """"Where is the launchpad?": "Kennedy Space Center, Florida CNN — The launch …" names the place in its dateline."""
    from sitrep.answer.answerer import Answerer
    from sitrep.answer.candidates import _Candidate
    from sitrep.retrieval.types import Hit

    text = "Kennedy Space Center, Florida CNN — The launch of NASA’s Artemis I mission has been postponed."
    c = _Candidate(0, Hit(0, "a", "a#0", 1.0), 0, len(text), 1.0, 1.0)
    assert Answerer._verbatim(text, c) == ("The launch of NASA’s Artemis I mission has been postponed.",
                                           len("Kennedy Space Center, Florida CNN — "))
    assert Answerer._verbatim(text, c, place=True) == (text, 0)


@pytest.mark.parametrize(("sentence", "is_one"), [
    # agencies' captions without a credit before them: a scene in the present, its full date, then its place
    ("Sofiane Boufal of Morocco celebrates at Al Thumama Stadium on December 10, 2022 in Doha, Qatar.", True),
    ("Police form a cordon during a protest in Beijing on November 27, 2022.", True),
    ("This aerial view shows the destruction left in the wake of Hurricane Ian on October 02, 2022.", True),
    ("In this file photo, a man walks past the bank's headquarters.", True),
    ("NASA via AP Waves kick up along the shore of Batabano as Hurricane Ian reaches Cuba on Monday.", True),
    ("John Raoux/AP The SpaceX Falcon 9 rocket sits on the launch pad.", True),  # a credit first
    # ... or a scene in the present that ends on its weekday and date, as CNN's captions end
    ("WNBA star Brittney Griner arrives in San Antonio on Friday, December 9.", True),
    ("Residents line up at a fever clinic in Beijing, China, on Tuesday, December 13, 2022.", True),
    ("The Senate Judiciary Committee is poised to vote on the nomination on Monday, April 4.", False),  # ahead
    ("This year, Presidents Day is on Monday, Feb. 19.", False),  # when a day falls
    ("Editor's note: This page recaps the news from Ukraine on Sunday, Feb. 27.", False),
    ("The vote was held on Friday, December 9.", False),
    # news told with a full date and place is no caption
    ("According to Abbott, Webb was born on November 16, 1905 in Footscray, a suburb of Melbourne.", False),
    ("Thomason's estranged wife had drowned in Canyon Lake on July 3, 2005.", False),
    ("The summit will be held in Bali on November 15, 2022.", False),
    ("The law took effect in California on January 1.", False),
    ("A photograph of the rally went viral.", False),
])
def test_a_caption_is_known_by_its_credit_or_by_how_agencies_write_one(sentence: str, is_one: bool) -> None:
    assert caption(sentence) is is_one
