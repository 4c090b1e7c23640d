"""Questions left waiting: a question the corpus could not answer, asked again when new stories arrive.

When sitrep refuses ("the corpus does not answer this"), the asker may leave the question waiting
(Discord's 🔔 under the refusal). After each update that brings articles, every waiting question that
has arrivals it has not been tried against is asked again, as it was searched (a follow-up with its
conversation); it is answered only when the answer is no refusal *and* cites a story that arrived since
it was left — an older article that a changed index now ranks differently is not news to the asker. A
question is tried once per arrival (last_seq) and dropped after its days (SITREP_WAIT_DAYS) or when
answered. Stored in the follow database's waits table (follows/state.py: schema, locking, errors).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sitrep.follows.errors import FollowError
from sitrep.follows.state import FollowStore
from sitrep.retrieval.types import Answer, Query

WAITS_PER_USER = 10  # questions one person may leave waiting at once


@dataclass(frozen=True)
class Wait:
    """A question the corpus could not answer, left waiting for a story that does."""

    id: int
    channel_id: int
    message_id: int  # the refusal: the answer is posted as a reply to it
    user: str  # who asked, hashed (chat/policy.hash_user): a cap per person; nobody is pinged
    question: str  # as it was shown
    searched: str  # what was searched (a follow-up's question with its conversation)
    source: str | None
    asked_at: str
    until: str  # ISO time: dropped after it
    last_seq: int  # arrivals up to this one were tried


@dataclass(frozen=True)
class Gap:
    """One question the corpus cannot answer yet, with how many people wait for it: a coverage gap."""

    question: str
    source: str | None
    people: int
    since: str  # when the first of them left it waiting
    channels: tuple[int, ...]


@dataclass(frozen=True)
class Answered:
    wait: Wait
    answer: Answer
    new: tuple[str, ...]  # the cited articles that arrived while it waited


class WaitStore:
    """The waits table of a follow database (its connection, transactions and one-line errors)."""

    def __init__(self, store: FollowStore) -> None:
        self.store = store

    def add(self, channel_id: int, message_id: int, user: str, question: str, searched: str, source: str | None,
            days: float) -> Wait:
        """Leave a refused question waiting for `days`; FollowError when this person already waits for it or
        for WAITS_PER_USER questions."""
        now = _now()
        until = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")
        with self.store._write() as db:
            db.execute("DELETE FROM waits WHERE until<?", (now,))
            if db.execute("SELECT COUNT(*) FROM waits WHERE user=?", (user,)).fetchone()[0] >= WAITS_PER_USER:
                raise FollowError(f"you already wait for {WAITS_PER_USER} questions: each ends when a story answers it, "
                                  f"or after {days:g} days")
            if db.execute("SELECT 1 FROM waits WHERE message_id=? AND user=?", (message_id, user)).fetchone():
                raise FollowError("you already wait for this question: its answer comes here when a story has it")
            newest = db.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0]
            cur = db.execute("INSERT INTO waits (channel_id, message_id, user, question, searched, source, asked_at, "
                             "until, last_seq) VALUES (?,?,?,?,?,?,?,?,?)",
                             (channel_id, message_id, user, question, searched, source, now, until, newest))
            return Wait(int(cur.lastrowid or 0), channel_id, message_id, user, question, searched, source, now, until, newest)

    def cancel(self, message_id: int, user: str) -> bool:
        """This person no longer waits for the answer to this refusal; False when they did not."""
        with self.store._write() as db:
            return db.execute("DELETE FROM waits WHERE message_id=? AND user=?", (message_id, user)).rowcount > 0

    def waits(self) -> list[Wait]:
        """The questions still waiting (those past their time are dropped first), oldest first."""
        with self.store._write() as db:
            db.execute("DELETE FROM waits WHERE until<?", (_now(),))
        rows = self.store._read("SELECT id, channel_id, message_id, user, question, searched, source, asked_at, until, "
                                "last_seq FROM waits ORDER BY id")
        return [Wait(*r) for r in rows]

    def gaps(self) -> list[Gap]:
        """The waiting questions as coverage gaps: one per question (as searched, with its source), most people
        first, then the longest waiting."""
        groups: dict[tuple[str, str | None], list[Wait]] = {}
        for w in self.waits():
            groups.setdefault((" ".join(w.searched.lower().split()), w.source), []).append(w)
        out = [Gap(g[0].question, g[0].source, len({w.user for w in g}), min(w.asked_at for w in g),
                   tuple(dict.fromkeys(w.channel_id for w in g))) for g in groups.values()]
        return sorted(out, key=lambda gap: (-gap.people, gap.since))

    def end(self, wait_id: int) -> None:
        with self.store._write() as db:
            db.execute("DELETE FROM waits WHERE id=?", (wait_id,))

    def advance(self, seq: int, keep: Collection[int] = ()) -> None:
        """Every waiting question (but those in `keep`, to be tried again) was tried against arrivals up to `seq`."""
        with self.store._write() as db:
            db.execute(f"UPDATE waits SET last_seq=MAX(last_seq, ?) WHERE id NOT IN ({','.join('?' * len(keep))})",
                       (seq, *keep))

    def answered(self, articles: dict[str, str], ask: Callable[[Query], Answer],
                 k: int = 10) -> tuple[list[Answered], int]:
        """(the waiting questions a new story answers, the newest arrival seq). `articles` is the index's
        article -> content hash; `ask` answers one query (the caller holds whatever lock the model needs).
        Nothing is recorded: post each, then end() it; advance(seq) for the rest."""
        self.store.sync(articles)
        seq = self.store.newest_seq()
        waits = [w for w in self.waits() if w.last_seq < seq]
        if not waits:
            return [], seq
        arrivals = self.store.arrivals_after(min(w.last_seq for w in waits))
        out = []
        asked: dict[tuple[str, str | None], Answer] = {}  # one question waited for by several people: asked once
        for w in waits:
            new = {x.article_id for x in arrivals if x.seq > w.last_seq and articles.get(x.article_id) == x.hash}
            if not new:
                continue
            if (w.searched, w.source) not in asked:
                asked[w.searched, w.source] = ask(Query(w.searched, k=k, source=w.source))
            answer = asked[w.searched, w.source]
            cited = tuple(dict.fromkeys(c.article_id for c in answer.citations if c.article_id in new))
            if not answer.abstained and cited:
                out.append(Answered(w, answer, cited))
        return out, seq


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
