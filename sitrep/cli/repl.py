"""The interactive loop: a bare line asks; `:commands` change how. The engine loads once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TextIO

from sitrep.answer import present, smalltalk
from sitrep.answer.engine import Engine
from sitrep.cli import render
from sitrep.errors import SitrepError
from sitrep.retrieval.conversation import Conversation
from sitrep.retrieval.dates import ask_window, brief_window, parse_as_of
from sitrep.retrieval.hybrid import SearchResult
from sitrep.retrieval.types import MODES, Answer, Query

HELP = """Type a question and press Enter; a follow-up ("And how did India respond?", "What about Pakistan?",
"What else?" for sentences not quoted yet, "Any news?" for what was published since the last answer) carries on
from the questions before it; two at once ("What did China propose and how did India respond?") are answered
as one. "What's the latest on TOPIC?" is :brief TOPIC. Commands:
  :mode bm25|dense|hybrid   search mode (now: {mode})
  :k N                      hits to fetch, 1-100 (now: {k})
  :as-of YYYY-MM-DD|today   the date questions are asked on (now: {as_of})
  :source NAME|off          only articles from this outlet (now: {source})
  :since SPAN|off           only articles published since: 30d, 2w, 6m, 1y before the as-of date, or a
                            date (now: {since})
  :explain                  how the last question was understood (a follow-up: what came from earlier
                            questions), then each hit: BM25 and vector rank and score, lede rank, fused score
  :brief TOPIC [since SPAN] what has happened on a topic: its stories, newest first, each quoted
                            (SPAN: 30d, 2w, 6m or a date; the window ends on the as-of date); no
                            topic: the latest news, most outlets first
  :new                      start a new conversation (questions so far are no longer followed up)
  :help                     this text
  :quit                     leave (or Ctrl-D); Ctrl-C cancels the line
A command may start with / as in Discord: /brief TOPIC, /ask QUESTION, /quit."""

# The commands above, and /ask: a line starting "/" and one of them is that command (Discord's habit), not a question.
COMMANDS = frozenset({"quit", "q", "exit", "help", "h", "?", "mode", "k", "as-of", "asof", "since", "source", "brief",
                      "new", "explain", "ask"})


class Repl:
    def __init__(self, engine: Engine, out: TextIO = sys.stdout, color: bool = False, k: int = 10) -> None:
        self.engine = engine
        self.out = out
        self.color = color
        self.query = Query("", k=k)
        self.last: SearchResult | None = None
        self.last_answer: Answer | None = None
        self.conversation = Conversation()  # a REPL session is one conversation; :new starts another
        self.since: str | None = None  # a span or date, read against the as-of date at each question

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith("/") and line[1:].partition(" ")[0].lower() in COMMANDS:
            line = ":" + line[1:]  # "/brief India", as Discord's slash command, is :brief India
        try:  # every user error of this line, in one place: said in one line, and the session goes on
            talk = smalltalk.kind(line) if not line.startswith(":") else None
            if talk == smalltalk.THANKS:
                return True  # "thanks", "ok", 👍: nothing to search, and not a turn of the conversation
            if talk in (smalltalk.HELP, smalltalk.GREETING):  # as :help: nobody asks the news for "help" or "hi"
                line = ":help"
            elif talk == smalltalk.NEWS and not self.conversation.turns:
                line = ":brief"  # "what's new?" with nothing asked before: the front page; after, "any news?"
            elif talk is None and not line.startswith(":") and (topic := smalltalk.news_topic(line)):
                self._brief(topic, "")  # "what's the latest on Ukraine?": the topic's brief
                return True
            if not line.startswith(":"):
                self._ask(line)
                return True
            cmd, _, arg = line[1:].partition(" ")
            return self._command(cmd.lower(), arg.strip())
        except SitrepError as exc:  # a bad option or question, the index's server gone ...
            self.say(f"error: {exc}")
            return True

    def _brief(self, topic: str, since: str) -> None:
        q = self.query
        start, end = brief_window(since or None, q.as_of.isoformat() if q.as_of else None, date.today())
        self.say(render.brief_text(self.engine.brief(topic, start, end, q.source), self.color))

    def _command(self, cmd: str, arg: str) -> bool:
        q = self.query
        if cmd in ("quit", "q", "exit"):
            return False
        if cmd in ("help", "h", "?"):
            self.say(HELP.format(mode=q.mode, k=q.k, as_of=q.as_of or "today", source=q.source or "all",
                                 since=self.since or "off"))
        elif cmd == "mode":
            if arg not in MODES:
                self.say(f"error: unknown mode {arg!r}: use one of {', '.join(MODES)}")
            else:
                self.query = replace(q, mode=arg)
                self.say(f"mode: {arg}")
        elif cmd == "k":
            if not arg.isdigit() or not 1 <= int(arg) <= 100:
                self.say("error: k must be a whole number from 1 to 100")
            else:
                self.query = replace(q, k=int(arg))
                self.say(f"k: {arg}")
        elif cmd in ("as-of", "asof"):
            self.query = replace(q, as_of=None if arg in ("", "today") else parse_as_of(arg))
            self.say(f"as of: {self.query.as_of or 'today'}")
        elif cmd == "since":
            since = None if arg in ("", "off", "all") else arg
            self._window(since, q)  # a bad span is told now, not at the next question
            self.since = since
            self.say(f"since: {since or 'off'}")
        elif cmd == "source":
            self.query = replace(q, source=None if arg in ("", "off", "all") else arg)
            self.say(f"source: {self.query.source or 'all'}")
        elif cmd == "brief":
            topic, _, since = f" {arg}".partition(" since ")  # ":brief since 2w": the latest news, two weeks
            self._brief(topic.strip(), since.strip())
        elif cmd == "ask":
            if arg:
                self._ask(arg)
            else:
                self.say('error: ask what? e.g. :ask What did China propose to India?')
        elif cmd == "new":
            self.conversation.clear()
            self.last = self.last_answer = None
            self.say("new conversation: the next question stands on its own")
        elif cmd == "explain":
            if self.last is None or self.last_answer is None:
                self.say("ask a question first; :explain then shows how its hits were ranked")
            else:
                asked = self.last_answer.asked_as
                if asked is not None and asked.followup:  # a follow-up: what the conversation added
                    self.say(f"{present.understood(self.last_answer) or 'understood as typed'} {present.why(self.last_answer) or ''}".rstrip())
                    self.say(f"terms from earlier turns: {' '.join(asked.carried) or '-'}"
                             + "".join(f"; '{new}' in place of '{old}'" for old, new in asked.swapped)
                             + (f"; favouring {', '.join(asked.prior_articles)}" if asked.prior_articles else ""))
                meta = self.engine.meta(h.article_id for h in self.last.hits)
                self.say(render.explain(self.last, {a: m.shown_title for a, m in meta.items()}))
        else:
            self.say(f"error: unknown command :{cmd}; :help lists them")
        return True

    def _window(self, since: str | None, q: Query) -> date | None:
        return ask_window(since, q.as_of.isoformat() if q.as_of else None, date.today())[0]

    def _ask(self, text: str) -> None:
        query = replace(self.query, text=text, since=self._window(self.since, self.query))
        result, answer = self.engine.converse(query, self.conversation)
        self.last, self.last_answer = result, answer
        self.say(render.as_text(answer, self.engine.answer_meta(answer), self.color))

    def run(self, read: Callable[[str], str]) -> None:
        """read(prompt) returns a line, raises KeyboardInterrupt (cancel) or EOFError (leave)."""
        self.say("sitrep: ask a question, :help for commands, Ctrl-D to leave")
        while True:
            try:
                line = read("sitrep> ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                self.say("")
                return
            if not self.handle(line):
                return


def terminal_reader(history: Path) -> Callable[[str], str]:
    """prompt_toolkit with line editing and persistent history on a terminal; input() otherwise."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        history.parent.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        return session.prompt
    return input
