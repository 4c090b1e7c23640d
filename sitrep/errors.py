"""The root of every error a user can fix. Its message is one line that says what to do next; the
front-ends catch `SitrepError` in one place each and show that line — the CLI (`cli/main.py`: exit 2),
the REPL (`cli/repl.py`: per line, the session goes on) and Discord (`chat/client.py`'s
`user_error()`: an ephemeral reply). Anything else that escapes is a bug and is logged as one.

    SitrepError
    ├── CorpusError        corpus/errors.py     the corpus folder or an article cannot be read
    ├── FeedsError         feeds/errors.py      a feed or page cannot be fetched or is refused
    ├── IndexStoreError    index/errors.py      the index: not built, corrupt, busy, unreachable ...
    ├── RetrievalError     retrieval/errors.py  the question or its options
    ├── DatasetError       evaluation/errors.py an evaluation dataset
    ├── FollowsError       follows/errors.py    the follow database, or a follow request
    ├── AppError           app/errors.py        a setting
    ├── ChatError          chat/errors.py       the Discord bot's own refusals (a reindex already running)
    └── UserError          cli/errors.py        the command line's own input

Each package's `errors.py` draws its part of the tree and documents every leaf. Errors that mean a
bug (a quote that is not verbatim, `answer/errors.py`) do not derive from `SitrepError`: a front-end
must never show them as the user's to fix.
"""

from __future__ import annotations


class SitrepError(Exception):
    """A problem the user can fix; the message (one line) says how."""
