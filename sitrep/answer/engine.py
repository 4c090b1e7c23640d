"""Engine: the one object front-ends hold. Question in, Answer out, over any backend."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from sitrep.answer import compound, frontpage, referent
from sitrep.answer.answerer import Answerer, AnswerParams
from sitrep.answer.brief import Brief, Briefer, BriefParams
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.base import ArticleMeta, Backend
from sitrep.index.embedding import Encoder
from sitrep.retrieval import spelling
from sitrep.retrieval.conversation import Conversation, Turn, article_key, leans_weakly, nothing_to_continue, plan
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams, SearchResult, clean_question
from sitrep.retrieval.mentions import read_as
from sitrep.retrieval.types import Answer, Query

log = logging.getLogger(__name__)
Meta = dict[str, ArticleMeta]  # article id -> its title, outlet, date, location ... (for rendering an answer)


class Engine:
    def __init__(
        self,
        backend: Backend,
        encoder: Encoder,
        params: RetrievalParams = RetrievalParams(),
        answer_params: AnswerParams = AnswerParams(),
        brief_params: BriefParams = BriefParams(),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.backend = backend
        self.retriever = HybridRetriever(backend, encoder, params, today)
        self.answerer = Answerer(backend, self.retriever.terms, answer_params)
        self.briefer = Briefer(self.retriever, self.answerer, brief_params)

    @classmethod
    def open(cls, target: Path | BackendConfig, encoder: Encoder, **kwargs: object) -> Engine:
        """Open an index (a local path or any backend) and check it was embedded by this encoder's weights."""
        config = target if isinstance(target, BackendConfig) else BackendConfig(path=Path(target))
        backend = config.open()
        try:
            backend.manifest.check(encoder, backend.manifest.chunking, config.where())
        except Exception:
            backend.close()
            raise
        return cls(backend, encoder, **kwargs)  # type: ignore[arg-type]

    def search(self, query: Query) -> SearchResult:
        return self.retriever.search(query)

    def ask(self, query: Query, conversation: Conversation | None = None) -> Answer:
        """Answer a question; in a conversation, as a follow-up of its earlier turns when it points
        back to them (or finds too little alone), and the turn is added to the conversation."""
        if conversation is None:
            nothing_to_continue(query.text)
            if query.asked is not None or compound.parts(query.text) is None:
                return self.ask_batch([query])[0]
            conversation = Conversation()  # two questions in one: the second a follow-up of the first
        return self.converse(query, conversation)[1]

    def spelled(self, query: Query) -> tuple[Query, str | None]:
        """The query with its typos read as the corpus's words (retrieval/spelling.py), and the note saying so."""
        text, fixes = self.retriever.speller.correct(query.text)
        return (replace(query, text=text), spelling.note(fixes)) if fixes else (query, None)

    def converse(self, query: Query, conversation: Conversation) -> tuple[SearchResult, Answer]:
        """ask() in a conversation, with the search result behind the answer (for :explain; of two questions
        in one, the second's)."""
        halves = compound.parts(query.text) if query.asked is None else None
        if halves is not None:
            whole, read = self.spelled(query)  # typos read once, for the message: its halves are the corrected text's
            halves = compound.parts(whole.text) or halves
            kept = list(conversation.turns)
            _, first = self._converse_one(replace(whole, text=halves[0]), conversation)
            result, second = self._converse_one(replace(whole, text=halves[1]), conversation)
            if first.abstained and second.asked_as is not None and second.asked_as.followup:
                second = replace(second, abstained=True)  # "… and what is he known for?": he, of a question refused
            elif second.abstained and not first.abstained:  # "How did India respond?" (to what?): with the first half
                joint = self._converse_one(replace(whole, text=" ".join(halves)), Conversation())
                if not joint[1].abstained:
                    result, second = joint
                    conversation.turns.pop()
                    conversation.add(turn_of(second))
            both = compound.merged(whole.text, halves, first, second)
            if both is not None:
                return result, (replace(both, notes=(read, *both.notes)) if read else both)
            conversation.turns.clear()  # neither half answered: the message whole, as if never split
            conversation.turns.extend(kept)
        return self._converse_one(query, conversation)

    def _converse_one(self, query: Query, conversation: Conversation) -> tuple[SearchResult, Answer]:
        query, read = self.spelled(query)
        result, answer = self._converse(query, conversation)
        return result, (replace(answer, notes=(read, *answer.notes)) if read else answer)

    def _converse(self, query: Query, conversation: Conversation) -> tuple[SearchResult, Answer]:
        if not len(conversation):  # nothing remembered (or only turns too old to carry on from)
            nothing_to_continue(query.text)
        first = self.understand(query, conversation)
        result = self.retriever.search(first)
        if first.asked is not None and first.asked.since_at is not None:  # "any news?": what is dated since, and
            seen = set(first.asked.seen)  # none the last answer cited (an undated article cannot be shown to be new)
            dated = {a for a, m in self.backend.articles([h.article_id for h in result.hits]).items() if m.date}
            result.hits = [h for h in result.hits if h.article_id in dated and h.article_id not in seen
                           and article_key(h.article_id) not in seen]
        answer = self.answerer.answer(result)
        if answer.abstained and first.asked is not None and first.since is not None and first.asked.since_at is not None:
            answer = replace(answer, notes=(*result.notes, f"nothing new on this since {first.since.isoformat()}"))
        again = None
        if answer.abstained and first.asked is None and len(conversation):
            again = self.understand(query, conversation, force=True)  # found too little alone
            again = again if again.asked is not None else None
        elif answer.abstained and leans_weakly(first.asked):  # found nothing with the conversation's subject
            again = replace(query, asked=None)
        if again is not None:  # a second search: said in the log (the answer's "understood as" shows which was kept)
            log.debug("%r refused %s; searched again %s", query.text, "alone" if first.asked is None else "as a follow-up",
                      "as a follow-up" if again.asked is not None else "alone")
            second = self.retriever.search(again)
            reply = self.answerer.answer(second)
            if not reply.abstained:
                result, answer = second, reply
        conversation.add(turn_of(answer))
        return result, answer

    def understand(self, query: Query, conversation: Conversation | None, force: bool = False) -> Query:
        """The query as it will be searched: with `asked` set when the conversation takes part."""
        if conversation is None or not conversation.turns:  # (an old turn still serves "any news?")
            return query
        text, _ = clean_question(query.text, self.retriever.params.max_question_chars)
        terms = self.retriever.terms
        asked = plan(text, conversation, terms.all_terms, terms.strength, self._similar, force=force)
        if asked.since_at is not None:  # "any news?": published since the last answer (as of the question's day)
            day = min(datetime.fromtimestamp(asked.since_at, UTC).date(), query.as_of or date.max)
            return replace(query, asked=asked, since=max(day, query.since or day))
        return replace(query, asked=asked) if asked.followup else query

    def _similar(self, name: str, others: Sequence[str]) -> np.ndarray:
        vectors = self.retriever.encoder.encode_queries([name, *others])
        return vectors[1:] @ vectors[0]

    def ask_batch(self, queries: Sequence[Query]) -> list[Answer]:
        spelled = [self.spelled(q) for q in queries]
        answers = [self.answerer.answer(r) for r in self.retriever.search_batch([q for q, _ in spelled])]
        return [replace(a, notes=(read, *a.notes)) if read else a for a, (_, read) in zip(answers, spelled)]

    def brief(self, topic: str, since: date | None = None, until: date | None = None, source: str | None = None,
              max_entries: int | None = None, oldest_first: bool = False) -> Brief:
        """A topic's stories in a window, newest first, each quoted (retrieval/brief.py); a typo in the topic
        read as the corpus's word, and said. No topic (or "the latest news"): the front page."""
        if not topic.strip() or " ".join(topic.lower().split()) == frontpage.TOPIC:
            return self.front_page(since, until, source, max_entries)
        topic, fixes = self.retriever.speller.correct(topic)
        b = self.briefer.brief(topic, since, until, source, max_entries, oldest_first)
        return replace(b, notes=(spelling.note(fixes), *b.notes)) if fixes else b

    def front_page(self, since: date | None = None, until: date | None = None, source: str | None = None,
                   max_entries: int | None = None) -> Brief:
        """The latest news, no topic asked: the stories of the last days the corpus has, most outlets first,
        each quoted (answer/frontpage.py)."""
        if source:
            self.retriever.check_source(source)
        return frontpage.front_page(self.briefer, self.backend.dated_articles, self.backend.articles,
                                    until or self.retriever.today(), since, source,
                                    max_stories=max_entries or self.briefer.params.max_entries)

    def meta(self, article_ids: Iterable[str]) -> Meta:
        """Title, outlet, date and location of these articles, for rendering an answer."""
        return self.backend.articles(list(dict.fromkeys(article_ids)))

    def answer_meta(self, answer: Answer) -> Meta:
        ids = [c.article_id for c in answer.citations] + [h.article_id for h in answer.hits]
        ids += [a for h in answer.hits for a in h.also_in]
        return self.meta(ids)

    def status(self) -> dict[str, object]:
        return self.backend.stats().manifest.status()


def turn_of(answer: Answer) -> Turn:
    """The turn an answer adds to its conversation, with the person it named whom the question did not
    (answer/referent.py): a later "he" or "she" is read as them."""
    turn = Turn.of(answer)
    named = read_as(answer.asked_as.reason if answer.asked_as else None) or (  # the one "he" was read as goes on
        referent.named_person(answer.question, answer.sentences[0][0]) if answer.sentences else "")
    return replace(turn, named=named) if named else turn
